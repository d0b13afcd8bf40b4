package idempotency

import (
	"errors"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encoder writes values exactly as Python's json.dumps does with
// ensure_ascii=True and allow_nan=True.
//
// In sorted mode (the idempotency hash input) it mirrors
// json.dumps(data, sort_keys=True): separators ", " and ": ", object keys
// sorted by code point. Otherwise it mirrors JMESPath's to_string,
// json.dumps(data, separators=(",", ":")): dict order, no spaces.
type encoder struct {
	buf    []byte
	pairs  []srcPair
	sorted bool
}

type srcPair struct {
	k string
	v *jnode
}

var errNotSerializable = errors.New("object of type expref is not JSON serializable")

// appendCanonical appends the canonical JSON of v (sorted mode) to dst.
func (e *encoder) appendCanonical(dst []byte, v value) ([]byte, error) {
	e.buf, e.sorted = dst, true
	err := e.value(v)
	return e.buf, err
}

// appendCompact appends JMESPath to_string's rendering of v to dst.
func (e *encoder) appendCompact(dst []byte, v value) ([]byte, error) {
	e.buf, e.sorted = dst, false
	err := e.value(v)
	return e.buf, err
}

func (e *encoder) comma() {
	if e.sorted {
		e.buf = append(e.buf, ", "...)
	} else {
		e.buf = append(e.buf, ',')
	}
}

func (e *encoder) colon() {
	if e.sorted {
		e.buf = append(e.buf, ": "...)
	} else {
		e.buf = append(e.buf, ':')
	}
}

func (e *encoder) value(v value) error {
	switch v.kind {
	case kNull:
		e.buf = append(e.buf, "null"...)
	case kBool:
		e.buf = strconv.AppendBool(e.buf, v.b)
	case kInt, kFloat:
		if v.src != nil {
			e.srcNumber(v.src)
		} else if v.kind == kInt {
			e.buf = appendInt(e.buf, v)
		} else {
			e.buf = appendPyFloat(e.buf, v.f)
		}
	case kString:
		e.buf = appendPyString(e.buf, v.s)
	case kArray:
		if v.src != nil {
			e.srcValue(v.src)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, el := range v.arr {
			if i > 0 {
				e.comma()
			}
			if err := e.value(el); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case kObject:
		if v.src != nil && e.sorted {
			e.srcValue(v.src)
			return nil
		}
		return e.object(v.dict())
	default:
		return errNotSerializable
	}
	return nil
}

// object writes an owned dict, sorting its keys in sorted mode.
func (e *encoder) object(o *object) error {
	order := make([]int, len(o.keys))
	for i := range order {
		order[i] = i
	}
	if e.sorted {
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(o.keys[a], o.keys[b]) })
	}
	e.buf = append(e.buf, '{')
	for n, i := range order {
		if n > 0 {
			e.comma()
		}
		e.buf = appendPyString(e.buf, o.keys[i])
		e.colon()
		if err := e.value(o.vals[i]); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// srcValue writes a parsed JSON node; in sorted mode without materialising it.
func (e *encoder) srcValue(v *jnode) {
	switch v.kind {
	case jObject:
		if !e.sorted {
			_ = e.object(value{src: v, kind: kObject}.dict()) // source values always serialize
			return
		}
		e.srcObject(v)
	case jArray:
		e.buf = append(e.buf, '[')
		for i, el := range v.children() {
			if i > 0 {
				e.comma()
			}
			e.srcValue(el)
		}
		e.buf = append(e.buf, ']')
	case jString:
		e.buf = appendPyString(e.buf, v.string())
	case jNumber:
		e.srcNumber(v)
	case jTrue:
		e.buf = append(e.buf, "true"...)
	case jFalse:
		e.buf = append(e.buf, "false"...)
	default:
		e.buf = append(e.buf, "null"...)
	}
}

// srcObject writes an object with sorted keys; for duplicate keys the last
// value wins, as with json.loads. Pairs are staged on a shared stack.
func (e *encoder) srcObject(o *jnode) {
	base := len(e.pairs)
	kv := o.children()
	for i := 0; i < len(kv); i += 2 {
		e.pairs = append(e.pairs, srcPair{k: kv[i].string(), v: kv[i+1]})
	}
	top := len(e.pairs)
	ps := e.pairs[base:top]
	if !slices.IsSortedFunc(ps, cmpPair) {
		slices.SortStableFunc(ps, cmpPair)
	}
	e.buf = append(e.buf, '{')
	first := true
	for i := base; i < top; i++ {
		p := e.pairs[i]
		if i+1 < top && e.pairs[i+1].k == p.k {
			continue // a later duplicate wins
		}
		if !first {
			e.comma()
		}
		first = false
		e.buf = appendPyString(e.buf, p.k)
		e.colon()
		e.srcValue(p.v)
	}
	e.buf = append(e.buf, '}')
	clear(e.pairs[base:top])
	e.pairs = e.pairs[:base]
}

func cmpPair(a, b srcPair) int { return strings.Compare(a.k, b.k) }

// srcNumber writes a source number: ints keep their digits (-0 becomes 0),
// floats are re-rendered as repr(float(text)).
func (e *encoder) srcNumber(v *jnode) {
	text := v.str
	if isIntText(text) {
		if text == "-0" {
			text = "0"
		}
		e.buf = append(e.buf, text...)
		return
	}
	f, _ := strconv.ParseFloat(text, 64)
	e.buf = appendPyFloat(e.buf, f)
}

// needsEscape marks the bytes that ensure_ascii output cannot carry as is:
// control characters, '"', '\\', DEL and every non-ASCII byte.
var needsEscape = func() (t [256]bool) {
	for i := range t {
		t[i] = i < 0x20 || i >= 0x7f || i == '"' || i == '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendPyString appends s as a JSON string with Python's ensure_ascii
// escaping. s is UTF-8, or WTF-8 where it carries lone surrogates.
func appendPyString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip to the next byte to escape, eight bytes at a time.
		for i+8 <= len(s) {
			if m := escapeMask(load8(s, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(s) && !needsEscape[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		dst = append(dst, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = appendU4(dst, rune(c))
			}
			i++
		} else {
			r, w := decodeWTF8(s[i:])
			if r > 0xFFFF {
				r -= 0x10000
				dst = appendU4(dst, 0xD800+(r>>10))
				dst = appendU4(dst, 0xDC00+(r&0x3FF))
			} else {
				dst = appendU4(dst, r)
			}
			i += w
		}
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// escapeMask flags (high bit of each byte, exact for the first one) the
// bytes of w that needsEscape marks.
func escapeMask(w uint64) uint64 {
	d := w ^ (0x7f * ones)
	return special(w) | w&highs | (d-ones)&^d&highs
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// decodeWTF8 decodes one code point, accepting encoded surrogates.
func decodeWTF8(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xED && s[1] >= 0xA0 && s[1] <= 0xBF && s[2]&0xC0 == 0x80 {
		return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s)
}

// codePoints counts code points (Python len) in UTF-8/WTF-8 text.
func codePoints(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

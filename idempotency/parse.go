package idempotency

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// parseDoc parses JSON text the way the Python Lambda runtime does
// (simplejson.loads of the UTF-8 body; json.loads for powertools_json):
// strict RFC 8259 syntax, duplicate keys allowed (last wins, see value.lookup),
// lone UTF-16 surrogate escapes kept, integers over 4300 digits rejected.
//
// The returned tree lives until the parser state is reset. event is set
// for raw event bytes: they must be UTF-8 and, as simplejson does, a leading
// byte order mark (or its Latin-1 mojibake "\u00ef\u00bb\u00bf") is skipped.
// Strings given to powertools_json are already valid and keep a BOM, which
// json.loads rejects.
//
// Deliberate differences: NaN/Infinity literals (accepted by Python, never
// produced by Lambda, which rejects them) are errors here, and nesting is
// limited to fastjson.MaxDepth (300) levels.
func (st *deriveState) parseDoc(data string, event bool) (*fastjson.Value, error) {
	if event {
		if !utf8.ValidString(data) {
			return nil, errors.New("event is not valid UTF-8")
		}
		if strings.HasPrefix(data, "\xef\xbb\xbf") {
			data = data[3:]
		} else if strings.HasPrefix(data, "\u00ef\u00bb\u00bf") {
			data = data[6:]
		}
	}
	if err := fastjson.Validate(data); err != nil {
		return nil, err
	}
	if i := strings.IndexByte(data, '\\'); i >= 0 {
		if fixed, ok := rewriteLoneSurrogates(st.fix[:0], data, i); ok {
			st.fix = fixed
			data = b2s(fixed) // fastjson copies its input
		}
	}
	p := st.parser()
	root, err := p.Parse(data)
	if err != nil {
		return nil, err
	}
	if len(data) > maxIntDigits {
		if err := checkIntDigits(data, root); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// rewriteLoneSurrogates replaces every \uXXXX escape of an unpaired UTF-16
// surrogate with the surrogate's 3-byte generalized UTF-8 (WTF-8) encoding.
// fastjson would otherwise mangle it, while Python keeps it as a code point
// and json.dumps writes it back as \udXXX; the canonical encoder recognises
// the WTF-8 form. The input must be valid JSON; first is the index of its
// first backslash. ok is false (and dst unused) when nothing needed fixing.
func rewriteLoneSurrogates(dst []byte, data string, first int) ([]byte, bool) {
	changed := false
	last := 0
	for i := first; i < len(data); {
		if data[i] != '\\' {
			j := strings.IndexByte(data[i:], '\\')
			if j < 0 {
				break
			}
			i += j
			continue
		}
		if data[i+1] != 'u' {
			i += 2
			continue
		}
		cp := hex4(data[i+2 : i+6])
		if cp < 0xD800 || cp > 0xDFFF {
			i += 6
			continue
		}
		if cp <= 0xDBFF && i+12 <= len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
			if lo := hex4(data[i+8 : i+12]); lo >= 0xDC00 && lo <= 0xDFFF {
				i += 12
				continue
			}
		}
		if !changed {
			dst = append(dst, data[:i]...)
			changed = true
		} else {
			dst = append(dst, data[last:i]...)
		}
		dst = append(dst, 0xE0|byte(cp>>12), 0x80|byte(cp>>6)&0x3F, 0x80|byte(cp)&0x3F)
		i += 6
		last = i
	}
	if !changed {
		return dst, false
	}
	return append(dst, data[last:]...), true
}

// hex4 decodes four validated hex digits.
func hex4(b string) rune {
	var r rune
	for _, c := range []byte(b) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		default:
			r |= rune(c-'A') + 10
		}
	}
	return r
}

// checkIntDigits enforces Python's 4300-digit limit on integer literals.
// A run of more than 4300 digits must cover an index that is a multiple of
// 4300, so only those bytes are probed before walking the tree.
func checkIntDigits(data string, root *fastjson.Value) error {
	suspect := false
	for i := maxIntDigits; i < len(data) && !suspect; i += maxIntDigits {
		if !isDigit(data[i]) {
			continue
		}
		lo, hi := i, i
		for lo > 0 && isDigit(data[lo-1]) {
			lo--
		}
		for hi < len(data) && isDigit(data[hi]) {
			hi++
		}
		suspect = hi-lo > maxIntDigits
	}
	if !suspect {
		return nil
	}
	return walkIntDigits(root)
}

func walkIntDigits(v *fastjson.Value) error {
	switch v.Type() {
	case fastjson.TypeNumber:
		if text := v.MarshalTo(nil); isIntText(text) {
			if _, err := parseIntText(text); err != nil {
				return err
			}
		}
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if err := walkIntDigits(e); err != nil {
				return err
			}
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		var err error
		o.Visit(func(_ []byte, e *fastjson.Value) {
			if err == nil {
				err = walkIntDigits(e)
			}
		})
		return err
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// errorf wraps err as an invalid event error.
func invalidEvent(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, args...)...)
}

package idempotency

import (
	"errors"
	"fmt"
	"math/bits"
	"unsafe"
)

// maxDepth is the deepest nesting accepted: a value nested in more than 300
// arrays or objects is refused (the root value is at depth 1).
const maxDepth = 300

// jcont is where a container of a scanned text ends: the offset just past
// its closing bracket, and the index (in document order) of the first
// container after it, so that building a level skips nested containers in
// O(1); str0 and strNext are the same for long strings (the first one
// inside the container, the first one after it).
type jcont struct{ end, next, str0, strNext int32 }

// jstr is a long string of a scanned text: where its opening quote is,
// where it ends (just past its closing quote), whether it holds escapes and
// whether its text is known to be canonical (exactly what Python's
// json.dumps with ensure_ascii writes for its value: see scanStringContent). Building
// a level finds long strings' ends here instead of scanning them again, and
// the encoder copies canonical ones as they are.
type jstr struct {
	start, end int32
	esc, canon bool
	// unesc is the unescaped content when scanUnescape made it (esc set).
	unesc string
}

// longString is the length (quotes included) from which scan records a
// string in jdoc.strs.
const longString = 48

// Errors of the scanner; the offset where the text went wrong is added.
var (
	errJSONEmpty   = errors.New("empty JSON text")
	errJSONDepth   = fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	errJSONSyntax  = errors.New("invalid JSON")
	errJSONControl = errors.New("control character in a JSON string")
	errJSONEscape  = errors.New("invalid escape in a JSON string")
	errJSONString  = errors.New("unterminated JSON string")
	errJSONNumber  = errors.New("invalid JSON number")
	errJSONTail    = errors.New("unexpected data after the JSON value")
	errJSONTooBig  = errors.New("JSON text larger than 2 GiB")
)

func jsonError(err error, at int) error { return fmt.Errorf("%w at offset %d", err, at) }

// scan validates text as strict RFC 8259 JSON in one pass, with no
// allocation beyond its tables: whitespace is space, tab, CR and LF; strings
// hold no raw control characters and only the escapes \" \\ \/ \b \f \n \r
// \t \uXXXX; numbers follow the JSON grammar (no NaN, Infinity, leading
// zeros or plus signs); integers have at most 4300 digits (CPython's limit);
// nesting is at most maxDepth levels. It appends one jcont per container to
// st.conts and one jstr per long string to st.strs, in document order, and
// returns their ranges.
func (st *deriveState) scan(text string) (conts []jcont, strs []jstr, err error) {
	if len(text) > 1<<31-1 {
		return nil, nil, errJSONTooBig
	}
	base, sbase := len(st.conts), len(st.strs)
	stack := st.stack[:0] // open containers: index<<1 | 1 for objects
	defer func() { st.stack = stack[:0] }()
	i := skipWS(text, 0)
	if i == len(text) {
		return nil, nil, errJSONEmpty
	}
	needValue, needKey := true, false
	for {
		if needKey {
			// An object key and its colon. A key of up to fifteen bytes
			// with no escape (most keys) is found in two words here;
			// others are checked by scanString.
			needKey = false
			if i+17 <= len(text) && text[i] == '"' {
				j, m := i+1, special(load8(text, i+1))
				if m == 0 {
					j, m = i+9, special(load8(text, i+9))
				}
				if m != 0 {
					if j += bits.TrailingZeros64(m) >> 3; text[j] == '"' {
						i = j + 1
						goto colon
					}
				}
			}
			if i >= len(text) || text[i] != '"' {
				return nil, nil, jsonError(errJSONSyntax, i)
			}
			if i, err = st.scanString(text, i); err != nil {
				return nil, nil, err
			}
		colon:
			if i >= len(text) || text[i] != ':' { // most keys end right at their colon
				if i = skipWS(text, i); i >= len(text) || text[i] != ':' {
					return nil, nil, jsonError(errJSONSyntax, i)
				}
			}
			i = skipWS(text, i+1)
		}
		if needValue {
			if len(stack) >= maxDepth {
				return nil, nil, jsonError(errJSONDepth, i)
			}
			if i >= len(text) {
				return nil, nil, jsonError(errJSONSyntax, i)
			}
			switch c := text[i]; c {
			case '{', '[':
				idx := int32(len(st.conts) - base)
				st.conts = append(st.conts, jcont{str0: int32(len(st.strs) - sbase)})
				isObj := int32(0)
				if c == '{' {
					isObj = 1
				}
				stack = append(stack, idx<<1|isObj)
				i = skipWS(text, i+1)
				if i < len(text) && (text[i] == '}' && isObj == 1 || text[i] == ']' && isObj == 0) {
					break // empty: closed below
				}
				needKey = isObj == 1
				continue // the first member (or element)
			case '"':
				// As for keys: a short plain string in two words.
				if i+17 <= len(text) {
					j, m := i+1, special(load8(text, i+1))
					if m == 0 {
						j, m = i+9, special(load8(text, i+9))
					}
					if m != 0 {
						if j += bits.TrailingZeros64(m) >> 3; text[j] == '"' {
							i = j + 1
							break
						}
					}
				}
				if i, err = st.scanString(text, i); err != nil {
					return nil, nil, err
				}
			case 't':
				if len(text)-i < 4 || text[i:i+4] != "true" { // one word compare
					return nil, nil, jsonError(errJSONSyntax, i)
				}
				i += 4
			case 'f':
				if len(text)-i < 5 || text[i:i+5] != "false" { // one word compare
					return nil, nil, jsonError(errJSONSyntax, i)
				}
				i += 5
			case 'n':
				if len(text)-i < 4 || text[i:i+4] != "null" { // one word compare
					return nil, nil, jsonError(errJSONSyntax, i)
				}
				i += 4
			default:
				// A plain integer (no sign, fraction or exponent, not
				// too long) is checked here; others by scanNumber.
				if c >= '1' && c <= '9' {
					j := i + 1
					for j < len(text) && isDigit(text[j]) {
						j++
					}
					if j < len(text) && text[j] != '.' && text[j]|0x20 != 'e' && j-i <= maxIntDigits {
						i = j
						break
					}
				}
				if i, err = scanNumber(text, i); err != nil {
					return nil, nil, err
				}
			}
		}
		// After a value, or at an empty container's closing bracket.
		i = skipWS(text, i)
		if len(stack) == 0 {
			if i != len(text) {
				return nil, nil, jsonError(errJSONTail, i)
			}
			return st.conts[base:], st.strs[sbase:], nil
		}
		if i >= len(text) {
			return nil, nil, jsonError(errJSONSyntax, i)
		}
		top := stack[len(stack)-1]
		switch c := text[i]; {
		case c == ',':
			i = skipWS(text, i+1)
			needValue, needKey = true, top&1 == 1
		case c == '}' && top&1 == 1, c == ']' && top&1 == 0:
			stack = stack[:len(stack)-1]
			c := &st.conts[base+int(top>>1)]
			c.end, c.next, c.strNext = int32(i+1), int32(len(st.conts)-base), int32(len(st.strs)-sbase)
			i++
			needValue = false
		default:
			return nil, nil, jsonError(errJSONSyntax, i)
		}
	}
}

// skipWS returns the offset of the first non-whitespace byte at or after i.
func skipWS(text string, i int) int {
	if i < len(text) && text[i] > ' ' {
		return i
	}
	// One space before a non-space byte: json.dumps's ", " and ": ".
	if i+1 < len(text) && text[i] == ' ' && text[i+1] > ' ' {
		return i + 1
	}
	for i < len(text) {
		switch text[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SWAR constants: one byte repeated eight times.
const (
	ones    = 0x0101010101010101
	highs   = 0x8080808080808080
	quotes  = '"' * ones
	slashes = '\\' * ones
	spaces  = 0x20 * ones
)

// special returns a mask with the high bit set in the first byte of w (and
// maybe later ones) that is '"', '\\' or a control character.
func special(w uint64) uint64 {
	q := w ^ quotes
	s := w ^ slashes
	return ((q-ones)&^q | (s-ones)&^s | (w-spaces)&^w) & highs
}

// load8 reads 8 bytes of text at i (i+8 <= len(text)), little-endian.
func load8(text string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), i))
}

// scanString checks the string whose opening quote is at i, records it
// if it is long, and returns the offset just past its closing quote.
func (st *deriveState) scanString(text string, i int) (int, error) {
	// Fast path: a short string (not recorded: see longString), which is
	// most keys and values, needs only checking: special bytes are found
	// eight bytes at a time, valid escapes stepped over, and the string
	// ends at its quote. Anything else (a control byte, a bad escape, a
	// long string, the end of the text near) is checked again from its
	// start by the full scan, which reports errors.
fast:
	for j := i + 1; j+8 <= len(text) && j-i < longString; {
		m := special(load8(text, j))
		if m == 0 {
			j += 8
			continue
		}
		j += bits.TrailingZeros64(m) >> 3
		switch text[j] {
		case '"':
			if j+1-i < longString {
				return j + 1, nil
			}
		case '\\':
			if j+6 > len(text) {
				break fast
			}
			switch text[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
				continue
			case 'u':
				if isHex4(text[j+2 : j+6]) {
					j += 6
					continue
				}
			}
		}
		break
	}
	start := i
	if st.unescapeLong {
		end, _, _, err := st.scanLongString(text, i)
		return end, err
	}
	end, esc, canon, err := scanStringContent(text, i+1)
	if err == nil && end-start >= longString {
		st.strs = append(st.strs, jstr{start: int32(start), end: int32(end), esc: esc, canon: canon})
	}
	return end, err
}

// scanStringContent checks string content that starts at i and returns
// the offset just past the closing quote, whether there were escapes, and
// whether the content is canonical: only printable ASCII (no byte >= 0x7f)
// and only the escapes Python's ensure_ascii writes (see isCanonicalEscape).
// canon may be false for a canonical string followed by non-ASCII text in
// the same eight bytes; it is never true for one that is not canonical.
func scanStringContent(text string, i int) (end int, esc, canon bool, err error) {
	end, esc, canon, kind, at := scanStringAt(text, i)
	if kind != nil {
		return 0, false, false, jsonError(kind, at)
	}
	return end, esc, canon, nil
}

// scanStringAt is scanStringContent with its error unformatted: the error
// and the offset where the text went wrong.
func scanStringAt(text string, i int) (end int, esc, canon bool, kind error, at int) {
	var high uint64 // high bit set in some byte: a byte >= 0x7f was seen
	canon = true
	for {
		// Find the next quote, backslash or control character, eight
		// bytes at a time, then byte by byte near the end. w|(w+ones) has
		// the high bit of every byte >= 0x7f set (a carry only comes out
		// of a 0xff byte, itself flagged). At a stop the whole word counts
		// too, even the bytes past the closing quote: a non-ASCII byte
		// there only makes a canonical string be taken for one that is
		// not, which the encoder handles the same (only slower).
		for i+8 <= len(text) {
			w := load8(text, i)
			if m := special(w); m != 0 {
				high |= w | (w + ones)
				i += bits.TrailingZeros64(m) >> 3
				goto found
			}
			high |= w | (w + ones)
			i += 8
		}
		for ; i < len(text); i++ {
			if needsCheck[text[i]] {
				goto found
			}
			if text[i] >= 0x7f {
				canon = false
			}
		}
		return 0, false, false, errJSONString, i
	found:
		// \" and \\ first: a JSON document in a string (an API Gateway
		// body) stops here at every one of its quotes.
		if text[i] == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\\') {
			esc = true
			i += 2
			continue
		}
		switch c := text[i]; {
		case c == '"':
			return i + 1, esc, canon && high&highs == 0, nil, 0
		case c == '\\':
			esc = true
			if i+1 >= len(text) {
				return 0, false, false, errJSONString, i
			}
			switch text[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				i += 2
			case '/':
				canon = false
				i += 2
			case 'u':
				if i+6 > len(text) || !isHex4(text[i+2:i+6]) {
					return 0, false, false, errJSONEscape, i
				}
				canon = canon && isCanonicalEscape(text[i+2:i+6])
				i += 6
			default:
				return 0, false, false, errJSONEscape, i
			}
		default:
			return 0, false, false, errJSONControl, i
		}
	}
}

// isCanonicalEscape reports whether Python's ensure_ascii writes the UTF-16
// code unit of the four valid hex digits h as "\\u" + h: lowercase digits, and
// a unit that is neither printable ASCII nor one of \b \t \n \f \r (those are
// written as they are or with their short escapes). A surrogate pair is
// written back as the same two escapes, and so is a lone surrogate.
func isCanonicalEscape(h string) bool {
	for i := range 4 {
		if c := h[i]; c >= 'A' && c <= 'F' {
			return false
		}
	}
	switch r := hex4(h); {
	case r >= 0x7f:
		return true
	case r >= 0x20:
		return false
	default:
		return r != '\b' && r != '\t' && r != '\n' && r != '\f' && r != '\r'
	}
}

// needsCheck marks the bytes scanString stops at.
var needsCheck = func() (t [256]bool) {
	for i := range t {
		t[i] = i < 0x20 || i == '"' || i == '\\'
	}
	return t
}()

func isHex4(s string) bool {
	for i := range 4 {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// scanNumber checks a number at i and returns the offset just past it.
func scanNumber(text string, i int) (int, error) {
	start := i
	if i < len(text) && text[i] == '-' {
		i++
	}
	digits := i
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	switch n := i - digits; {
	case n == 0:
		return 0, jsonError(errJSONNumber, start)
	case n > 1 && text[digits] == '0':
		return 0, jsonError(errJSONNumber, start)
	}
	isInt := true
	if i < len(text) && text[i] == '.' {
		isInt = false
		i++
		frac := i
		for i < len(text) && isDigit(text[i]) {
			i++
		}
		if i == frac {
			return 0, jsonError(errJSONNumber, start)
		}
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		isInt = false
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		exp := i
		for i < len(text) && isDigit(text[i]) {
			i++
		}
		if i == exp {
			return 0, jsonError(errJSONNumber, start)
		}
	}
	if isInt && i-digits > maxIntDigits {
		if _, err := parseIntText(text[start:i]); err != nil {
			return 0, err
		}
	}
	return i, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

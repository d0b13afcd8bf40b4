package idempotency

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/idemproxy/idemproxy/internal/swar"
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
				j, m := i+1, swar.Special(load8(text, i+1))
				if m == 0 {
					j, m = i+9, swar.Special(load8(text, i+9))
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
				// As for keys: a short plain string in two words. The
				// check is written out in both places: a function for it
				// would not be inlined (cost 148), and calling it costs
				// about 5% of a key's instructions (callgrind).
				if i+17 <= len(text) {
					j, m := i+1, swar.Special(load8(text, i+1))
					if m == 0 {
						j, m = i+9, swar.Special(load8(text, i+9))
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

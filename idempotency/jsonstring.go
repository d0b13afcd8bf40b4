package idempotency

import (
	"math/bits"
	"unsafe"

	"github.com/idemproxy/idemproxy/internal/swar"
)

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
		m := swar.Special(load8(text, j))
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
	noRun := 0 // skipEscapeRun would stop before this offset
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
			if m := swar.Special(w); m != 0 {
				high |= w | (w + swar.Ones)
				i += bits.TrailingZeros64(m) >> 3
				goto found
			}
			high |= w | (w + swar.Ones)
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
		// body) would stop here at every one of its quotes, so what
		// follows is stepped over 64 bytes at a time while it holds no
		// other escape (skipEscapeRun); a shorter rest escape by escape.
		if text[i] == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\\') {
			esc = true
			if i < noRun {
				i += 2
				continue
			}
			j, h, stop := skipEscapeRun(text, i)
			noRun = stop + 1
			if j > i {
				i, high = j, high|h
			} else {
				i += 2
			}
			continue
		}
		switch c := text[i]; {
		case c == '"':
			return i + 1, esc, canon && high&swar.Highs == 0, nil, 0
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

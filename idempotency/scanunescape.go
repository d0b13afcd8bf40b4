package idempotency

import (
	"math/bits"
	"unsafe"

	"github.com/idemproxy/idemproxy/internal/swar"
)

// unescapeFrom is the length (quotes included) from which scanString, when
// deriveState.unescapeLong is set, unescapes a string while it checks it
// (scanUnescape): a long JSON document in a string, such as an API Gateway
// body given to powertools_json, is then checked and unescaped in one pass
// instead of two. Shorter strings are checked alone, as without the flag.
const unescapeFrom = 4 << 10

// scanLongString checks the string whose opening quote is at i, as
// scanStringContent does; a string of unescapeFrom bytes or more that
// holds escapes is unescaped too (jstr.unesc). It returns the offset just
// past the closing quote, whether there were escapes and whether the
// content is canonical.
func (st *deriveState) scanLongString(text string, i int) (end int, esc, canon bool, err error) {
	lim := min(len(text), i+unescapeFrom)
	end, esc, canon, kind, _ := scanStringAt(text[:lim], i+1)
	if kind == nil {
		if end-i >= longString {
			st.strs = append(st.strs, jstr{start: int32(i), end: int32(end), esc: esc, canon: canon})
		}
		return end, esc, canon, nil
	}
	// The string goes on past lim (or is invalid there): check it whole.
	return st.scanUnescape(text, i)
}

// scanUnescape checks the string whose opening quote is at i, with
// scanStringContent's rules and errors, and unescapes its content into the
// byte arena as deriveState.unescape does. It records the string in st.strs
// with its unescaped content when it holds escapes. canon is reported only
// for a string without escapes (false otherwise): an escaped string's node
// takes its unescaped content, which the encoder escapes again anyway.
func (st *deriveState) scanUnescape(text string, i int) (end int, esc, canon bool, err error) {
	out := st.bytes.alloc(len(text) - i + 8) // room for a whole word past the content
	n, j := 0, i+1
	defer func() {
		if err != nil || !esc {
			n = 0
		}
		st.bytes.trim(len(out) - n) // keep only an unescaped content recorded
	}()
	// Up to the first special byte, tracking whether the text is canonical.
	var high uint64
	canon = true
	for j+8 <= len(text) {
		w := load8(text, j)
		store8(out, n, w)
		if m := swar.Special(w); m != 0 {
			high |= w | (w + swar.Ones)
			k := bits.TrailingZeros64(m) >> 3
			n, j = n+k, j+k
			goto found
		}
		high |= w | (w + swar.Ones)
		n, j = n+8, j+8
	}
	for ; j < len(text) && !needsCheck[text[j]]; j++ {
		if text[j] >= 0x7f {
			canon = false
		}
		out[n] = text[j]
		n++
	}
	if j == len(text) {
		return 0, false, false, jsonError(errJSONString, j)
	}
found:
	switch c := text[j]; {
	case c == '"':
		end, canon = j+1, canon && high&swar.Highs == 0
		if end-i >= longString {
			st.strs = append(st.strs, jstr{start: int32(i), end: int32(end), canon: canon})
		}
		return end, false, canon, nil
	case c != '\\':
		return 0, false, false, jsonError(errJSONControl, j)
	}
	esc = true
	end, n, kind, at := unescapeTail(text, j, out, n)
	if kind != nil {
		return 0, false, false, jsonError(kind, at)
	}
	st.strs = append(st.strs, jstr{start: int32(i), end: int32(end), esc: true, unesc: b2s(out[:n])})
	return end, true, false, nil
}

// unescapeTail checks and unescapes string content from the escape at j
// into out from n (room for a whole word past the unescaped content, which
// is never longer than the text), without scanUnescape's canonical
// tracking. It returns the offset just past the closing quote and the
// length of the unescaped content, or the error and its offset.
func unescapeTail(text string, j int, out []byte, n int) (end, m int, kind error, at int) {
	noRun := 0 // unescapeRun would stop before this offset
	for {
		// j is at a quote, a backslash or a control byte. \" and \\
		// first: a JSON document in a string has one at each of its
		// quotes, and what follows is unescaped 64 bytes at a time while
		// it holds no other escape (unescapeRun).
		if c := text[j]; c == '\\' && j+1 < len(text) && (text[j+1] == '"' || text[j+1] == '\\') {
			if j >= noRun {
				k, m, stop := unescapeRun(text, j, out, n)
				noRun = stop + 1
				if k > j {
					j, n = k, m
					goto plain
				}
			}
			store1(out, n, text[j+1])
			n, j = n+1, j+2
			goto plain
		}
		switch c := text[j]; {
		case c == '"':
			return j + 1, n, nil, 0
		case c != '\\':
			return 0, 0, errJSONControl, j
		case j+1 >= len(text):
			return 0, 0, errJSONString, j
		}
		switch c := text[j+1]; c {
		case '"', '\\', '/':
			out[n] = c
			n, j = n+1, j+2
		case 'b', 'f', 'n', 'r', 't':
			out[n] = shortEscapes[c]
			n, j = n+1, j+2
		case 'u':
			if j+6 > len(text) || !isHex4(text[j+2:j+6]) {
				return 0, 0, errJSONEscape, j
			}
			r := hex4(text[j+2 : j+6])
			j += 6
			if r >= 0xD800 && r <= 0xDBFF && j+6 <= len(text) && text[j] == '\\' && text[j+1] == 'u' && isHex4(text[j+2:j+6]) {
				if lo := hex4(text[j+2 : j+6]); lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					j += 6
				}
			}
			n += putWTF8(out[n:], r)
		default:
			return 0, 0, errJSONEscape, j
		}
	plain:
		// Copy up to the next special byte, eight bytes at a time.
		for j+8 <= len(text) {
			w := load8(text, j)
			store8(out, n, w)
			if m := swar.Special(w); m != 0 {
				k := bits.TrailingZeros64(m) >> 3
				n, j = n+k, j+k
				goto next
			}
			n, j = n+8, j+8
		}
		for ; j < len(text) && !needsCheck[text[j]]; j++ {
			out[n] = text[j]
			n++
		}
		if j == len(text) {
			return 0, 0, errJSONString, j
		}
	next:
	}
}

// store1 writes c at out[n], which the caller guarantees is in range.
func store1(out []byte, n int, c byte) {
	*(*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(out)), n)) = c
}

// store8 writes w at out[n:n+8] (little-endian, as load8 reads), which the
// caller guarantees is in range.
func store8(out []byte, n int, w uint64) {
	*(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(out)), n)) = w
}

// shortEscapes maps the letter of a one-letter escape to its byte.
var shortEscapes = [256]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

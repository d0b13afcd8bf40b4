package redis

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// unquoteJSON decodes the JSON string literal s (quotes included) into a
// new buffer, exactly as json.Unmarshal decodes it into a string: invalid
// UTF-8 and unpaired surrogate escapes become U+FFFD. ok is false when s is
// not a valid string literal. The buffer is allocated once, at the size of
// the result (unquotedLen), and runs of plain ASCII are copied eight bytes
// at a time.
func unquoteJSON(s []byte) (out []byte, ok bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	s = s[1 : len(s)-1]
	out = make([]byte, 0, unquotedLen(s))
	start := 0
	for r := 0; r < len(s); {
		for r+8 <= len(s) {
			if m := stopMask(binary.LittleEndian.Uint64(s[r:])); m != 0 {
				r += bits.TrailingZeros64(m) >> 3
				break
			}
			r += 8
		}
		if r >= len(s) {
			break
		}
		switch c := s[r]; {
		case c == '\\':
			out = append(out, s[start:r]...)
			if r+1 >= len(s) {
				return nil, false
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/', '\'':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := getu4(s[r:])
				if rr < 0 {
					return nil, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						rr = dec
					} else {
						rr = unicode.ReplacementChar
					}
				}
				out = utf8.AppendRune(out, rr)
				start = r
				continue
			default:
				return nil, false
			}
			r += 2
			start = r
		case c == '"' || c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				out = append(out, s[start:r]...)
				out = utf8.AppendRune(out, rr)
				start = r + 1
			}
			r += size
		}
	}
	return append(out, s[start:]...), true
}

// unquotedLen is the length of the decoded string content s when it is
// valid UTF-8 (invalid bytes grow into U+FFFD, past it): escapes are found
// with IndexByte and each shrinks the text by a known amount.
func unquotedLen(s []byte) int {
	n := len(s)
	for i := 0; ; {
		j := bytes.IndexByte(s[i:], '\\')
		if j < 0 || i+j+1 >= len(s) {
			return n
		}
		i += j
		if s[i+1] != 'u' {
			n, i = n-1, i+2
			continue
		}
		rr := getu4(s[i:])
		if rr < 0 {
			return n
		}
		if utf16.IsSurrogate(rr) {
			if utf16.DecodeRune(rr, getu4(s[min(i+6, len(s)):])) != unicode.ReplacementChar {
				n, i = n-8, i+12
				continue
			}
			rr = unicode.ReplacementChar
		}
		n, i = n-6+utf8.RuneLen(rr), i+6
	}
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

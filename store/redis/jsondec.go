package redis

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// unquoteJSON decodes the JSON string literal s (quotes included) into a
// new buffer, exactly as json.Unmarshal decodes it into a string: invalid
// UTF-8 and unpaired surrogate escapes become U+FFFD. ok is false when s is
// not a valid string literal. Runs of plain ASCII are copied eight bytes at
// a time, so a large response costs one pass and one allocation.
func unquoteJSON(s []byte) (out []byte, ok bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	s = s[1 : len(s)-1]
	out = make([]byte, 0, len(s))
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

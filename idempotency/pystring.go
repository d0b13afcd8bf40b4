package idempotency

import (
	"math/bits"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/internal/swar"
)

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
		dst = append(dst, s[start:i]...)
		if c := s[i]; c < utf8.RuneSelf {
			dst = appendPyUnit(dst, rune(c))
			i++
		} else {
			r, w := decodeWTF8(s[i:])
			dst = appendPyUnit(dst, r)
			i += w
		}
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendPyUnit appends what ensure_ascii writes for code point r: printable
// ASCII as is, short escapes for '"', '\\' and five control characters,
// \uXXXX (lowercase) for the rest and a surrogate pair above U+FFFF.
func appendPyUnit(dst []byte, r rune) []byte {
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r))
	case r >= 0x20 && r < 0x7f:
		return append(dst, byte(r))
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\t':
		return append(dst, '\\', 't')
	case r == '\b':
		return append(dst, '\\', 'b')
	case r == '\f':
		return append(dst, '\\', 'f')
	case r > 0xFFFF:
		r -= 0x10000
		dst = appendU4(dst, 0xD800+(r>>10))
		return appendU4(dst, 0xDC00+(r&0x3FF))
	}
	return appendU4(dst, r)
}

// escapeMask flags (high bit of each byte, exact for the first one) the
// bytes of w that needsEscape marks.
func escapeMask(w uint64) uint64 {
	d := w ^ (0x7f * swar.Ones)
	return swar.Special(w) | w&swar.Highs | (d-swar.Ones)&^d&swar.Highs
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

// rawString writes a string from its source content raw (valid JSON string
// content: escapes checked, UTF-8 or WTF-8) as appendPyString writes its
// unescaped value, without unescaping it first. Canonical escapes (see
// isCanonicalEscape) and printable ASCII are copied as they are; other
// escapes and non-ASCII characters are written one UTF-16 code unit at a
// time, which gives the same text: Python joins a surrogate pair into one
// code point and writes it back as the same pair, and keeps lone
// surrogates.
func (e *encoder) rawString(raw string) {
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(raw); {
		for i+8 <= len(raw) {
			if m := escapeMask(load8(raw, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(raw) && !needsEscape[raw[i]] {
			i++
		}
		if i == len(raw) {
			break
		}
		var r rune
		next := i + 2
		switch c := raw[i]; {
		case c != '\\': // DEL or non-ASCII
			var w int
			r, w = decodeWTF8(raw[i:])
			next = i + w
		case raw[i+1] == '/':
			r = '/'
		case raw[i+1] != 'u':
			i += 2 // \" \\ \b \f \n \r \t are canonical
			continue
		case isCanonicalEscape(raw[i+2 : i+6]):
			i += 6
			continue
		default:
			r, next = hex4(raw[i+2:i+6]), i+6
		}
		e.put(raw[start:i])
		e.buf = appendPyUnit(e.buf, r)
		i, start = next, next
	}
	e.put(raw[start:])
	e.buf = append(e.buf, '"')
}

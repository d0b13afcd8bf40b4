package idempotency

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// jsToLowerCase is String.prototype.toLowerCase (V8, ICU root locale): the
// Unicode default lowercase mapping, which differs from Go's
// strings.ToLower in U+0130 (İ, to "i̇") and in the final sigma (Σ at the
// end of a word is ς). Lone surrogates (WTF-8) are left as they are.
func jsToLowerCase(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, w := decodeWTF8(s[i:])
		switch {
		case r >= 0xD800 && r <= 0xDFFF:
			b.WriteString(s[i : i+w])
		case r == 0x130:
			b.WriteString("i\u0307")
		case r == 0x3A3 && finalSigma(s, i, w):
			b.WriteRune(0x3C2)
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += w
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma condition for the Σ at s[i:i+w]: a
// cased letter before it (skipping case-ignorable characters), and none
// after it.
func finalSigma(s string, i, w int) bool {
	before := false
	for j := i; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + w; j < len(s); {
		r, n := decodeWTF8(s[j:])
		j += n
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

// cased is Unicode's Cased property.
func cased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is Unicode's Case_Ignorable property: Word_Break MidLetter,
// MidNumLet or Single_Quote, or general category Mn, Me, Cf, Lm or Sk.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

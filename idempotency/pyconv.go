package idempotency

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// This file ports the string conversions behind jmespath's to_number():
// Python's int(str) and float(str).

func nan() float64         { return math.NaN() }
func inf(sign int) float64 { return math.Inf(sign) }

// isPySpace is Python's str.isspace for one character.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1C && r <= 0x1F) }

// pyASCII mirrors _PyUnicode_TransformDecimalAndSpaceToASCII: whitespace
// becomes ' ', Unicode decimal digits become ASCII digits, any other
// non-ASCII character makes the text unparsable (ok false).
func pyASCII(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || (s[i] >= 0x1C && s[i] <= 0x1F) {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case isPySpace(r):
			b.WriteByte(' ')
		case r < 0x80:
			b.WriteRune(r)
		case unicode.Is(unicode.Nd, r):
			b.WriteByte('0' + byte(digitValue(r)))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// digitValue is the value of a Unicode decimal digit: Nd characters come
// in contiguous runs of ten starting at zero.
func digitValue(r rune) int {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// stripUnderscores validates Python's rule that '_' only separates digits
// and removes them.
func stripUnderscores(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && (i == 0 || i+1 == len(s) || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
			return "", false
		}
	}
	return strings.ReplaceAll(s, "_", ""), true
}

// pyInt is int(s) for a str; ok is false where Python raises ValueError
// (including the 4300-digit limit).
func pyInt(s string) (value, bool) {
	t, ok := pyASCII(s)
	if !ok {
		return value{}, false
	}
	t = strings.Trim(t, " \t\n\v\f\r")
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		sign, t = t[:1], t[1:]
	}
	if t == "" || !isDigit(t[0]) {
		return value{}, false
	}
	if t, ok = stripUnderscores(t); !ok {
		return value{}, false
	}
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) {
			return value{}, false
		}
	}
	if len(t) > maxIntDigits {
		return value{}, false
	}
	t = strings.TrimLeft(t, "0")
	if t == "" {
		return intValue(0), true
	}
	if sign == "-" {
		t = "-" + t
	}
	v, err := parseIntText(t)
	return v, err == nil
}

// pyFloat is float(s) for a str.
func pyFloat(s string) (float64, bool) {
	t, ok := pyASCII(s)
	if !ok {
		return 0, false
	}
	if t, ok = stripUnderscores(t); !ok {
		return 0, false
	}
	t = strings.Trim(t, " \t\n\v\f\r")
	body := t
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if t[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if !isDecimalFloat(body) {
		return 0, false
	}
	f, _ := strconv.ParseFloat(t, 64) // out of range gives ±Inf, as Python does
	return f, true
}

// isDecimalFloat checks digits [. digits] [e [sign] digits] with at least
// one mantissa digit.
func isDecimalFloat(s string) bool {
	i, mant := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, mant = i+1, mant+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, mant = i+1, mant+1
		}
	}
	if mant == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

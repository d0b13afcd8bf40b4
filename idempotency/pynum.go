package idempotency

import (
	"errors"
	"math"
	"math/big"
	"strconv"
)

// maxIntDigits is CPython's default int_max_str_digits: json.loads and int()
// refuse decimal integers with more digits than this.
const maxIntDigits = 4300

var errIntTooLarge = errors.New("int too large to convert to float")

// resolveNumber turns a source number into an owned int or float value,
// parsing its text exactly as Python's json module does.
func resolveNumber(v value) (value, error) {
	if v.src == nil {
		return v, nil
	}
	text := v.src.str
	if isIntText(text) {
		return parseIntText(text)
	}
	f, _ := strconv.ParseFloat(text, 64) // out of range gives ±Inf, as float() does
	return floatValue(f), nil
}

// parseIntText parses validated ASCII integer text (optional '-', digits).
func parseIntText(text string) (value, error) {
	digits := len(text)
	if digits > 0 && text[0] == '-' {
		digits--
	}
	if digits > maxIntDigits {
		return value{}, errors.New("exceeds the limit (4300 digits) for integer string conversion")
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return intValue(i), nil
	}
	b, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return value{}, errors.New("invalid integer literal")
	}
	return bigValue(b), nil
}

// toFloat converts a number to float64 like Python's float(int).
func toFloat(v value) (float64, error) {
	if v.kind == kFloat {
		return v.f, nil
	}
	if v.bi == nil {
		return float64(v.i), nil
	}
	f, _ := new(big.Float).SetInt(v.bi).Float64()
	if math.IsInf(f, 0) {
		return 0, errIntTooLarge
	}
	return f, nil
}

func toBig(v value) *big.Int {
	if v.bi != nil {
		return v.bi
	}
	return big.NewInt(v.i)
}

// numCmp compares two resolved numbers exactly, as Python compares int and
// float (no rounding of big ints). ok is false when a NaN is involved.
func numCmp(a, b value) (c int, ok bool) {
	if a.kind == kInt && b.kind == kInt {
		if a.bi == nil && b.bi == nil {
			return cmpInt64(a.i, b.i), true
		}
		return toBig(a).Cmp(toBig(b)), true
	}
	if a.kind == kFloat && b.kind == kFloat {
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 0, false
		}
		return cmpFloat(a.f, b.f), true
	}
	if a.kind == kFloat {
		c, ok := cmpIntFloat(b, a.f)
		return -c, ok
	}
	return cmpIntFloat(a, b.f)
}

func cmpIntFloat(i value, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case math.IsInf(f, 1):
		return -1, true
	case math.IsInf(f, -1):
		return 1, true
	}
	if i.bi == nil && i.i >= -(1<<53) && i.i <= 1<<53 {
		return cmpFloat(float64(i.i), f), true
	}
	bf := new(big.Float).SetPrec(0).SetFloat64(f)
	return new(big.Float).SetInt(toBig(i)).Cmp(bf), true
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// numAdd is Python's a + b for int/float operands.
func numAdd(a, b value) (value, error) {
	if a.kind == kInt && b.kind == kInt {
		if a.bi == nil && b.bi == nil {
			s := a.i + b.i
			if (s > a.i) == (b.i > 0) {
				return intValue(s), nil
			}
		}
		return bigValue(new(big.Int).Add(toBig(a), toBig(b))), nil
	}
	fa, err := toFloat(a)
	if err != nil {
		return value{}, err
	}
	fb, err := toFloat(b)
	if err != nil {
		return value{}, err
	}
	return floatValue(fa + fb), nil
}

// floatToInt is Python's int(math.ceil(f)) / int(math.floor(f)) conversion.
func floatToInt(f float64) (value, error) {
	if math.IsInf(f, 0) {
		return value{}, errors.New("cannot convert float infinity to integer")
	}
	if math.IsNaN(f) {
		return value{}, errors.New("cannot convert float NaN to integer")
	}
	if f >= -(1<<62) && f <= 1<<62 {
		return intValue(int64(f)), nil
	}
	b, _ := new(big.Float).SetFloat64(f).Int(nil)
	return bigValue(b), nil
}

// appendPyFloat appends repr(f) as Python's json.dumps writes floats:
// shortest round-trip digits, fixed notation for exponents in [-4, 16),
// scientific otherwise, "Infinity"/"-Infinity"/"NaN" for the specials.
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	var tmp [32]byte
	b := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	e := 0
	for b[e] != 'e' {
		e++
	}
	mant, expText := b[:e], b[e+1:]
	exp, _ := strconv.Atoi(string(expText))
	var digBuf [24]byte
	digits := digBuf[:0]
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if exp < -4 || exp >= 16 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	if exp < 0 {
		dst = append(dst, "0."...)
		for i := 0; i < -exp-1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		for i := len(digits); i < exp+1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, ".0"...)
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}

// appendInt appends an owned int value in decimal.
func appendInt(dst []byte, v value) []byte {
	if v.bi != nil {
		return v.bi.Append(dst, 10)
	}
	return strconv.AppendInt(dst, v.i, 10)
}

package idempotency

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSStringify appends JSON.stringify(deepSort(v)) to dst, as
// Powertools TypeScript computes it on the value JSON.parse made of the
// event: numbers are doubles written as Number.prototype.toString does
// (non-finite ones as null), strings keep non-ASCII characters as they are
// (UTF-8) and escape lone surrogates, and object keys follow the order
// deepSort gives them (see jsObjectKeys).
func appendJSStringify(dst []byte, v value) ([]byte, error) {
	switch v.kind {
	case kNull:
		return append(dst, "null"...), nil
	case kBool:
		return strconv.AppendBool(dst, v.b), nil
	case kInt, kFloat:
		return appendJSNumber(dst, jsNumber(v)), nil
	case kString:
		return appendJSString(dst, v.s), nil
	case kArray:
		dst = append(dst, '[')
		for i, e := range v.list() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSStringify(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case kObject:
		d := v.dict()
		dst = append(dst, '{')
		for n, i := range jsObjectKeys(d.keys) {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSString(dst, d.keys[i])
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSStringify(dst, d.vals[i]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return nil, errNotSerializable
}

// appendJSNumber writes f as JSON.stringify does: Number::toString for
// finite numbers (-0 as 0), null otherwise.
func appendJSNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// The shortest round-trip digits and the decimal exponent n: the value
	// is 0.digits × 10^n.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	mant, exp := e, 0
	for i, c := range e {
		if c == 'e' {
			mant = e[:i]
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	k, n := len(digits), exp+1
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		for range n - k {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for range -n {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

// appendJSString writes s (UTF-8, or WTF-8 with lone surrogates) as
// JSON.stringify does: '"', '\\' and the control characters escaped (\b,
// \t, \n, \f, \r, else \u00xx), lone surrogates as \udxxx, everything else
// as is.
func appendJSString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0xED {
			i++
			continue
		}
		if c == 0xED { // 0xED starts U+D000..U+DFFF: a surrogate in WTF-8?
			r, w := decodeWTF8(s[i:])
			if r < 0xD800 || r > 0xDFFF {
				i += w
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendU4(dst, r)
			i += w
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = appendU4(dst, rune(c))
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsObjectKeys returns the order (indexes into keys, which are unique) in
// which JSON.stringify(deepSort(obj)) writes the keys of obj:
//
//  1. Object.keys(obj): array-index keys ("0", "7", up to 4294967294) in
//     ascending numeric order, then the others in insertion order;
//  2. sorted by Array.prototype.sort with deepSort's comparator
//     (a.toLowerCase() < b.toLowerCase() ? -1 : 1), see v8Sort;
//  3. copied in that order into a new object, which enumerates its keys as
//     in step 1 again; "__proto__" is dropped there (assigning it sets the
//     new object's prototype instead of a property).
func jsObjectKeys(keys []string) []int {
	order := jsOwnKeys(keys)
	lower := make([]string, len(keys))
	for _, i := range order {
		lower[i] = jsToLowerCase(keys[i])
	}
	v8Sort(order, func(a, b int) bool { return utf16Less(lower[a], lower[b]) })
	out := make([]int, 0, len(order))
	for _, i := range order {
		if arrayIndex(keys[i]) {
			out = append(out, i)
		}
	}
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b int) int { return cmpIndex(keys[a], keys[b]) })
	}
	for _, i := range order {
		if !arrayIndex(keys[i]) && keys[i] != "__proto__" {
			out = append(out, i)
		}
	}
	return out
}

// jsOwnKeys returns the indexes of keys in OrdinaryOwnPropertyKeys order:
// array indexes ascending, then the rest in insertion order.
func jsOwnKeys(keys []string) []int {
	out := make([]int, 0, len(keys))
	for i, k := range keys {
		if arrayIndex(k) {
			out = append(out, i)
		}
	}
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b int) int { return cmpIndex(keys[a], keys[b]) })
	}
	for i, k := range keys {
		if !arrayIndex(k) {
			out = append(out, i)
		}
	}
	return out
}

// arrayIndex reports whether k is a canonical array index: "0", or digits
// without a leading zero, at most 2^32-2.
func arrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n <= math.MaxUint32-1
}

// cmpIndex compares two array-index keys numerically.
func cmpIndex(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// utf16Less is JavaScript's a < b on strings: by UTF-16 code units.
func utf16Less(a, b string) bool {
	for len(a) > 0 && len(b) > 0 {
		ra, wa := decodeWTF8(a)
		rb, wb := decodeWTF8(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return ua < ub
			}
			// Same high surrogate: the low ones decide.
			return ra < rb
		}
		a, b = a[wa:], b[wb:]
	}
	return len(a) == 0 && len(b) > 0
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r == utf8.RuneError || r < 0x10000 {
		return r
	}
	return 0xD800 + (r-0x10000)>>10
}

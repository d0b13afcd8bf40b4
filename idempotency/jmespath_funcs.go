package idempotency

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
)

var (
	tAny       = []string{}
	tNumber    = []string{"number"}
	tString    = []string{"string"}
	tArray     = []string{"array"}
	tObject    = []string{"object"}
	tExpref    = []string{"expref"}
	tArrNum    = []string{"array-number"}
	tArrNumStr = []string{"array-number", "array-string"}
)

// lookupFunction returns the built-in or Powertools function called name.
func lookupFunction(name string) (*function, bool) {
	f := &function{name: name}
	switch name {
	case "abs":
		f.args, f.call = [][]string{tNumber}, fnAbs
	case "avg":
		f.args, f.call = [][]string{tArrNum}, fnAvg
	case "ceil", "floor":
		f.args, f.call = [][]string{tNumber}, fnRound(name == "ceil")
	case "contains":
		f.args, f.call = [][]string{{"array", "string"}, tAny}, fnContains
	case "ends_with", "starts_with":
		f.args, f.call = [][]string{tString, tString}, fnAffix(name == "starts_with")
	case "join":
		f.args, f.call = [][]string{tString, {"array-string"}}, fnJoin
	case "keys", "values":
		f.args, f.call = [][]string{tObject}, fnKeysValues(name == "keys")
	case "length":
		f.args, f.call = [][]string{{"string", "array", "object"}}, fnLength
	case "map":
		f.args, f.call = [][]string{tExpref, tArray}, fnMap
	case "max", "min":
		f.args, f.call = [][]string{tArrNumStr}, fnExtreme(name == "max")
	case "max_by", "min_by":
		f.args, f.call = [][]string{tArray, tExpref}, fnExtremeBy(name == "max_by")
	case "merge":
		f.args, f.variadic, f.call = [][]string{tObject}, true, fnMerge
	case "not_null":
		f.args, f.variadic, f.call = [][]string{tAny}, true, fnNotNull
	case "reverse":
		f.args, f.call = [][]string{{"array", "string"}}, fnReverse
	case "sort":
		f.args, f.call = [][]string{tArrNumStr}, fnSort
	case "sort_by":
		f.args, f.call = [][]string{tArray, tExpref}, fnSortBy
	case "sum":
		f.args, f.call = [][]string{tArrNum}, fnSum
	case "to_array":
		f.args, f.call = [][]string{tAny}, fnToArray
	case "to_number":
		f.args, f.call = [][]string{tAny}, fnToNumber
	case "to_string":
		f.args, f.call = [][]string{tAny}, fnToString
	case "type":
		f.args, f.call = [][]string{tAny}, fnType
	case "powertools_json":
		f.args, f.call = [][]string{tString}, fnPowertoolsJSON
	case "powertools_base64":
		f.args, f.call = [][]string{tString}, fnPowertoolsBase64
	case "powertools_base64_gzip":
		f.args, f.call = [][]string{tString}, fnPowertoolsBase64Gzip
	default:
		return nil, false
	}
	return f, true
}

func fnAbs(_ *deriveState, a []value) (value, error) {
	n, err := resolveNumber(a[0])
	switch {
	case err != nil:
		return value{}, err
	case n.kind == kFloat:
		return floatValue(math.Abs(n.f)), nil
	case n.bi != nil || n.i == math.MinInt64:
		return bigValue(new(big.Int).Abs(toBig(n))), nil
	case n.i < 0:
		return intValue(-n.i), nil
	}
	return n, nil
}

// sumOf is Python's sum(): int 0 plus each element, left to right.
func sumOf(elems []value) (value, error) {
	total := intValue(0)
	for _, e := range elems {
		n, err := resolveNumber(e)
		if err != nil {
			return value{}, err
		}
		if total, err = numAdd(total, n); err != nil {
			return value{}, err
		}
	}
	return total, nil
}

func fnSum(_ *deriveState, a []value) (value, error) { return sumOf(a[0].list()) }

func fnAvg(_ *deriveState, a []value) (value, error) {
	elems := a[0].list()
	if len(elems) == 0 {
		return nullValue, nil
	}
	total, err := sumOf(elems)
	if err != nil {
		return value{}, err
	}
	f, err := toFloat(total)
	if err != nil {
		return value{}, err
	}
	return floatValue(f / float64(len(elems))), nil
}

func fnRound(up bool) func(*deriveState, []value) (value, error) {
	return func(_ *deriveState, a []value) (value, error) {
		n, err := resolveNumber(a[0])
		if err != nil || n.kind == kInt {
			return n, err
		}
		if up {
			return floatToInt(math.Ceil(n.f))
		}
		return floatToInt(math.Floor(n.f))
	}
}

func fnContains(_ *deriveState, a []value) (value, error) {
	if a[0].kind == kString {
		if a[1].kind != kString {
			return value{}, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(a[1]))
		}
		return boolValue(strings.Contains(a[0].s, a[1].s)), nil
	}
	for _, e := range a[0].list() {
		eq, err := pyEqual(e, a[1])
		if err != nil || eq {
			return boolValue(eq), err
		}
	}
	return falseValue, nil
}

func fnAffix(prefix bool) func(*deriveState, []value) (value, error) {
	return func(_ *deriveState, a []value) (value, error) {
		if prefix {
			return boolValue(strings.HasPrefix(a[0].s, a[1].s)), nil
		}
		return boolValue(strings.HasSuffix(a[0].s, a[1].s)), nil
	}
}

func fnJoin(_ *deriveState, a []value) (value, error) {
	var b strings.Builder
	for i, e := range a[1].list() {
		if i > 0 {
			b.WriteString(a[0].s)
		}
		b.WriteString(e.s)
	}
	return stringValue(b.String()), nil
}

func fnKeysValues(keys bool) func(*deriveState, []value) (value, error) {
	return func(_ *deriveState, a []value) (value, error) {
		d := a[0].dict()
		if !keys {
			return arrayValue(slices.Clone(d.vals)), nil
		}
		out := make([]value, len(d.keys))
		for i, k := range d.keys {
			out[i] = stringValue(k)
		}
		return arrayValue(out), nil
	}
}

func fnLength(_ *deriveState, a []value) (value, error) {
	switch v := a[0]; v.kind {
	case kString:
		return intValue(int64(codePoints(v.s))), nil
	case kArray:
		return intValue(int64(v.length())), nil
	default:
		return intValue(int64(len(v.dict().keys))), nil
	}
}

func fnMap(st *deriveState, a []value) (value, error) {
	elems := a[1].list()
	out := make([]value, len(elems))
	for i, e := range elems {
		r, err := st.eval(a[0].expr, e)
		if err != nil {
			return value{}, err
		}
		out[i] = r
	}
	return arrayValue(out), nil
}

func fnMerge(_ *deriveState, a []value) (value, error) {
	o := &object{}
	for i, arg := range a {
		if i > 0 {
			if err := checkType("merge", arg, tObject); err != nil {
				return value{}, err
			}
		}
		d := arg.dict()
		for j, k := range d.keys {
			o.set(k, d.vals[j])
		}
	}
	return value{kind: kObject, obj: o}, nil
}

func fnNotNull(_ *deriveState, a []value) (value, error) {
	for _, v := range a {
		if v.kind != kNull {
			return v, nil
		}
	}
	return nullValue, nil
}

func fnReverse(_ *deriveState, a []value) (value, error) {
	v := a[0]
	if v.kind == kArray {
		out := slices.Clone(v.list())
		slices.Reverse(out)
		return arrayValue(out), nil
	}
	b := make([]byte, 0, len(v.s))
	for end := len(v.s); end > 0; {
		start := end - 1
		for start > 0 && v.s[start]&0xC0 == 0x80 {
			start--
		}
		b = append(b, v.s[start:end]...)
		end = start
	}
	return stringValue(string(b)), nil
}

func fnToArray(_ *deriveState, a []value) (value, error) {
	if a[0].kind == kArray {
		return a[0], nil
	}
	return arrayValue([]value{a[0]}), nil
}

func fnToString(st *deriveState, a []value) (value, error) {
	if a[0].kind == kString {
		return a[0], nil
	}
	var e encoder
	b, err := e.appendCompact(nil, a[0])
	return stringValue(string(b)), err
}

func fnType(_ *deriveState, a []value) (value, error) { return stringValue(typeName(a[0])), nil }

func fnToNumber(_ *deriveState, a []value) (value, error) {
	switch v := a[0]; v.kind {
	case kInt, kFloat:
		return v, nil
	case kString:
		if n, ok := pyInt(v.s); ok {
			return n, nil
		}
		if f, ok := pyFloat(v.s); ok {
			return floatValue(f), nil
		}
	}
	return nullValue, nil
}

package idempotency

import (
	"math/big"
	"strings"
	"unsafe"
)

// kind is the JMESPath/Python type of a value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kFloat
	kString
	kArray
	kObject
	kExpref
)

// value is a JSON value as Python's json.loads would produce it, plus
// JMESPath expression references. A value either wraps a node of a parsed
// document (src != nil: lazy, zero-copy) or owns its data.
//
// Integers keep their exact digits: a source integer keeps its text, a
// computed one lives in i (or bi when it does not fit in int64).
type value struct {
	src  *jnode
	kind kind
	b    bool
	i    int64
	bi   *big.Int
	f    float64
	s    string
	arr  []value
	obj  *object
	expr *node
}

// object is an insertion-ordered map with unique keys, like a Python dict.
type object struct {
	keys []string
	vals []value
}

// set assigns key, keeping the position of an existing key (dict semantics).
func (o *object) set(k string, v value) {
	for i, kk := range o.keys {
		if kk == k {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

func (o *object) get(k string) (value, bool) {
	for i, kk := range o.keys {
		if kk == k {
			return o.vals[i], true
		}
	}
	return value{}, false
}

var (
	nullValue  = value{kind: kNull}
	trueValue  = value{kind: kBool, b: true}
	falseValue = value{kind: kBool}
)

func boolValue(b bool) value {
	if b {
		return trueValue
	}
	return falseValue
}

func stringValue(s string) value { return value{kind: kString, s: s} }
func intValue(i int64) value     { return value{kind: kInt, i: i} }
func floatValue(f float64) value { return value{kind: kFloat, f: f} }
func arrayValue(a []value) value { return value{kind: kArray, arr: a} }

// bigValue returns an int value, using the int64 form when it fits.
func bigValue(b *big.Int) value {
	if b.IsInt64() {
		return intValue(b.Int64())
	}
	return value{kind: kInt, bi: b}
}

// wrap makes a lazy value for a parsed JSON node. Strings are unescaped
// (exact, see jdoc.unescape); numbers keep their source text.
func wrap(v *jnode) value {
	switch v.kind {
	case jObject:
		return value{src: v, kind: kObject}
	case jArray:
		return value{src: v, kind: kArray}
	case jString:
		return value{kind: kString, s: v.string()}
	case jNumber:
		// kInt stands for "number" until resolveNumber reads the text;
		// nothing distinguishes ints from floats before resolving.
		return value{src: v, kind: kInt}
	case jTrue:
		return trueValue
	case jFalse:
		return falseValue
	default:
		return nullValue
	}
}

// isIntText reports whether validated JSON number text is an integer literal.
func isIntText[T string | []byte](t T) bool {
	for i := range len(t) {
		if c := t[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// b2s converts without copying; the bytes must outlive the string's use.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// list returns the elements of an array value.
func (v value) list() []value {
	if v.src == nil {
		return v.arr
	}
	a := v.src.children()
	out := make([]value, len(a))
	for i, e := range a {
		out[i] = wrap(e)
	}
	return out
}

// length is the number of elements of an array value.
func (v value) length() int {
	if v.src == nil {
		return len(v.arr)
	}
	return v.src.length()
}

// lookup returns obj[key] with Python dict semantics (last duplicate wins).
func (v value) lookup(key string) (value, bool) {
	if v.src == nil {
		return v.obj.get(key)
	}
	if !v.src.built {
		if n, ok := v.src.doc.st.find(v.src, key); ok {
			return wrap(n), true
		}
		return value{}, false
	}
	kv := v.src.children()
	for i := len(kv) - 2; i >= 0; i -= 2 {
		if kv[i].string() == key {
			return wrap(kv[i+1]), true
		}
	}
	return value{}, false
}

// dict returns the keys and values of an object value in dict order: the
// position of a key's first occurrence with the value of its last one.
func (v value) dict() *object {
	if v.src == nil {
		return v.obj
	}
	kv := v.src.children()
	n := len(kv) / 2
	d := &object{keys: make([]string, 0, n), vals: make([]value, 0, n)}
	var index map[string]int
	if n > 16 {
		index = make(map[string]int, n)
	}
next:
	for p := 0; p < len(kv); p += 2 {
		key, e := kv[p].string(), kv[p+1]
		if index != nil {
			if i, ok := index[key]; ok {
				d.vals[i] = wrap(e)
				continue
			}
			index[key] = len(d.keys)
		} else {
			for i, kk := range d.keys {
				if kk == key {
					d.vals[i] = wrap(e)
					continue next
				}
			}
		}
		d.keys = append(d.keys, key)
		d.vals = append(d.vals, wrap(e))
	}
	return d
}

// isEmptyObject reports whether an object value has no keys.
func (v value) isEmptyObject() bool {
	if v.src == nil {
		return len(v.obj.keys) == 0
	}
	return v.src.length() == 0
}

// isFalse is JMESPath falsiness as Python's jmespath implements it:
// null, false, "", [] and {} (numbers, including 0, are true).
func isFalse(v value) bool {
	switch v.kind {
	case kNull:
		return true
	case kBool:
		return !v.b
	case kString:
		return v.s == ""
	case kArray:
		return v.length() == 0
	case kObject:
		return v.isEmptyObject()
	}
	return false
}

// typeName is the JMESPath type name of v.
func typeName(v value) string {
	switch v.kind {
	case kBool:
		return "boolean"
	case kInt, kFloat:
		return "number"
	case kString:
		return "string"
	case kArray:
		return "array"
	case kObject:
		return "object"
	case kExpref:
		return "expref"
	}
	return "null"
}

// own deep-copies v so that it no longer refers to parser memory.
func own(v value) value {
	switch v.kind {
	case kString:
		return stringValue(strings.Clone(v.s))
	case kInt, kFloat:
		if v.src != nil {
			n, err := resolveNumber(v)
			if err == nil {
				return n
			}
		}
		return v
	case kArray:
		src := v.list()
		out := make([]value, len(src))
		for i, e := range src {
			out[i] = own(e)
		}
		return arrayValue(out)
	case kObject:
		d := v.dict()
		o := &object{keys: make([]string, len(d.keys)), vals: make([]value, len(d.vals))}
		for i := range d.keys {
			o.keys[i] = strings.Clone(d.keys[i])
			o.vals[i] = own(d.vals[i])
		}
		return value{kind: kObject, obj: o}
	}
	return v
}

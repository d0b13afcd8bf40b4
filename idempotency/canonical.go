package idempotency

import (
	"errors"
	"hash"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// encoder writes values exactly as Python's json.dumps does with
// ensure_ascii=True and allow_nan=True.
//
// In sorted mode (the idempotency hash input) it mirrors
// json.dumps(data, sort_keys=True): separators ", " and ": ", object keys
// sorted by code point. Otherwise it mirrors JMESPath's to_string,
// json.dumps(data, separators=(",", ":")): dict order, no spaces.
//
// With a sink (hashCanonical), the output goes to the hash as it is made:
// buf is flushed when it grows past flushSize, and long pieces of source
// text are written to the hash directly, so no copy of a large value is
// made.
type encoder struct {
	buf    []byte
	pairs  []srcPair
	sorted bool
	sink   hash.Hash
}

const (
	// flushSize is the size from which buf is written to the sink.
	flushSize = 32 << 10
	// directSize is the length from which a piece of source text is
	// written to the sink without going through buf.
	directSize = 4 << 10
)

type srcPair struct {
	k string
	v *jnode
}

var errNotSerializable = errors.New("object of type expref is not JSON serializable")

// appendCanonical appends the canonical JSON of v (sorted mode) to dst.
func (e *encoder) appendCanonical(dst []byte, v value) ([]byte, error) {
	e.buf, e.sorted = dst, true
	err := e.value(v)
	return e.buf, err
}

// hashCanonical writes the canonical JSON of v to h, using dst as its
// buffer, and returns the buffer for reuse.
func (e *encoder) hashCanonical(h hash.Hash, dst []byte, v value) ([]byte, error) {
	e.buf, e.sorted, e.sink = dst[:0], true, h
	err := e.value(v)
	e.flush()
	e.sink = nil
	return e.buf, err
}

// flush writes buf to the sink.
func (e *encoder) flush() {
	if len(e.buf) > 0 {
		e.sink.Write(e.buf)
		e.buf = e.buf[:0]
	}
}

// put appends s, or writes it straight to the sink when it is long.
func (e *encoder) put(s string) {
	if e.sink != nil && len(s) >= directSize {
		e.flush()
		e.sink.Write(unsafe.Slice(unsafe.StringData(s), len(s))) // hashes do not keep or modify p
		return
	}
	e.buf = append(e.buf, s...)
}

// appendCompact appends JMESPath to_string's rendering of v to dst.
func (e *encoder) appendCompact(dst []byte, v value) ([]byte, error) {
	e.buf, e.sorted = dst, false
	err := e.value(v)
	return e.buf, err
}

func (e *encoder) comma() {
	if e.sorted {
		e.buf = append(e.buf, ", "...)
	} else {
		e.buf = append(e.buf, ',')
	}
}

func (e *encoder) colon() {
	if e.sorted {
		e.buf = append(e.buf, ": "...)
	} else {
		e.buf = append(e.buf, ':')
	}
}

func (e *encoder) value(v value) error {
	switch v.kind {
	case kNull:
		e.buf = append(e.buf, "null"...)
	case kBool:
		e.buf = strconv.AppendBool(e.buf, v.b)
	case kInt, kFloat:
		if v.src != nil {
			e.srcNumber(v.src)
		} else if v.kind == kInt {
			e.buf = appendInt(e.buf, v)
		} else {
			e.buf = appendPyFloat(e.buf, v.f)
		}
	case kString:
		e.buf = appendPyString(e.buf, v.s)
	case kArray:
		if v.src != nil {
			e.srcValue(v.src)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, el := range v.arr {
			if i > 0 {
				e.comma()
			}
			if err := e.value(el); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case kObject:
		if v.src != nil && e.sorted {
			e.srcValue(v.src)
			return nil
		}
		return e.object(v.dict())
	default:
		return errNotSerializable
	}
	return nil
}

// object writes an owned dict, sorting its keys in sorted mode.
func (e *encoder) object(o *object) error {
	order := make([]int, len(o.keys))
	for i := range order {
		order[i] = i
	}
	if e.sorted {
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(o.keys[a], o.keys[b]) })
	}
	e.buf = append(e.buf, '{')
	for n, i := range order {
		if n > 0 {
			e.comma()
		}
		e.buf = appendPyString(e.buf, o.keys[i])
		e.colon()
		if err := e.value(o.vals[i]); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// srcValue writes a parsed JSON node; in sorted mode without materialising it.
func (e *encoder) srcValue(v *jnode) {
	if e.sink != nil && len(e.buf) >= flushSize {
		e.flush()
	}
	switch v.kind {
	case jObject:
		if !e.sorted {
			_ = e.object(value{src: v, kind: kObject}.dict()) // source values always serialize
			return
		}
		e.srcObject(v)
	case jArray:
		e.buf = append(e.buf, '[')
		for i, el := range v.children() {
			if i > 0 {
				e.comma()
			}
			e.srcValue(el)
		}
		e.buf = append(e.buf, ']')
	case jString:
		switch {
		case v.canon:
			e.buf = append(e.buf, '"')
			e.put(v.str)
			e.buf = append(e.buf, '"')
		case v.esc:
			e.rawString(v.str)
		default:
			e.buf = appendPyString(e.buf, v.str)
		}
	case jNumber:
		e.srcNumber(v)
	case jTrue:
		e.buf = append(e.buf, "true"...)
	case jFalse:
		e.buf = append(e.buf, "false"...)
	default:
		e.buf = append(e.buf, "null"...)
	}
}

// srcObject writes an object with sorted keys; for duplicate keys the last
// value wins, as with json.loads. Pairs are staged on a shared stack.
func (e *encoder) srcObject(o *jnode) {
	base := len(e.pairs)
	kv := o.children()
	for i := 0; i < len(kv); i += 2 {
		e.pairs = append(e.pairs, srcPair{k: kv[i].string(), v: kv[i+1]})
	}
	top := len(e.pairs)
	ps := e.pairs[base:top]
	if !slices.IsSortedFunc(ps, cmpPair) {
		slices.SortStableFunc(ps, cmpPair)
	}
	e.buf = append(e.buf, '{')
	first := true
	for i := base; i < top; i++ {
		p := e.pairs[i]
		if i+1 < top && e.pairs[i+1].k == p.k {
			continue // a later duplicate wins
		}
		if !first {
			e.comma()
		}
		first = false
		e.buf = appendPyString(e.buf, p.k)
		e.colon()
		e.srcValue(p.v)
	}
	e.buf = append(e.buf, '}')
	clear(e.pairs[base:top])
	e.pairs = e.pairs[:base]
}

func cmpPair(a, b srcPair) int { return strings.Compare(a.k, b.k) }

// srcNumber writes a source number (see fastNumber).
func (e *encoder) srcNumber(v *jnode) { e.fastNumber(v.str) }

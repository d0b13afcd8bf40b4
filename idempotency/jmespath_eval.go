package idempotency

import "errors"

// eval evaluates a compiled node against v with the semantics of Python
// jmespath 1.0.1's TreeInterpreter.
func (st *deriveState) eval(n *node, v value) (value, error) {
	switch n.op {
	case opField:
		if v.kind != kObject {
			return nullValue, nil
		}
		r, _ := v.lookup(n.name)
		return r, nil
	case opChain:
		var err error
		for _, c := range n.children {
			if v, err = st.eval(c, v); err != nil {
				return value{}, err
			}
		}
		return v, nil
	case opIndex:
		if v.kind != kArray {
			return nullValue, nil
		}
		i, l := n.index, v.length()
		if i < 0 {
			i += l
		}
		if i < 0 || i >= l {
			return nullValue, nil
		}
		return v.at(i), nil
	case opSlice:
		if v.kind != kArray {
			return nullValue, nil
		}
		return pySlice(v.list(), n)
	case opProjection, opFilterProjection, opValueProjection:
		return st.project(n, v)
	case opFlatten:
		base, err := st.eval(n.children[0], v)
		if err != nil || base.kind != kArray {
			return nullValue, err
		}
		var out []value
		for _, e := range base.list() {
			if e.kind == kArray {
				out = append(out, e.list()...)
			} else {
				out = append(out, e)
			}
		}
		return arrayValue(out), nil
	case opCurrent:
		return v, nil
	case opLiteral:
		return n.lit, nil
	case opMultiList:
		if v.kind == kNull {
			return nullValue, nil
		}
		out := make([]value, len(n.children))
		for i, c := range n.children {
			r, err := st.eval(c, v)
			if err != nil {
				return value{}, err
			}
			out[i] = r
		}
		return arrayValue(out), nil
	case opMultiHash:
		if v.kind == kNull {
			return nullValue, nil
		}
		o := &object{}
		for i, c := range n.children {
			r, err := st.eval(c, v)
			if err != nil {
				return value{}, err
			}
			o.set(n.keys[i], r)
		}
		return value{kind: kObject, obj: o}, nil
	case opOr, opAnd:
		left, err := st.eval(n.children[0], v)
		if err != nil || isFalse(left) != (n.op == opOr) {
			return left, err
		}
		return st.eval(n.children[1], v)
	case opNot:
		r, err := st.eval(n.children[0], v)
		return boolValue(isFalse(r)), err
	case opCompare:
		left, err := st.eval(n.children[0], v)
		if err != nil {
			return value{}, err
		}
		right, err := st.eval(n.children[1], v)
		if err != nil {
			return value{}, err
		}
		return compare(n.cmp, left, right)
	case opFunction:
		args := make([]value, len(n.children))
		for i, c := range n.children {
			r, err := st.eval(c, v)
			if err != nil {
				return value{}, err
			}
			args[i] = r
		}
		if err := n.fn.typeCheck(args); err != nil {
			return value{}, err
		}
		return n.fn.call(st, args)
	case opExpref:
		return value{kind: kExpref, expr: n.children[0]}, nil
	}
	return value{}, errors.New("internal error: unknown node")
}

// project evaluates list, filter and value (object) projections.
func (st *deriveState) project(n *node, v value) (value, error) {
	base, err := st.eval(n.children[0], v)
	if err != nil {
		return value{}, err
	}
	var elems []value
	switch {
	case n.op == opValueProjection && base.kind == kObject:
		elems = base.dict().vals
	case n.op != opValueProjection && base.kind == kArray:
		elems = base.list()
	default:
		return nullValue, nil
	}
	out := make([]value, 0, len(elems))
	for _, e := range elems {
		if n.op == opFilterProjection {
			cond, err := st.eval(n.children[2], e)
			if err != nil {
				return value{}, err
			}
			if isFalse(cond) {
				continue
			}
		}
		r, err := st.eval(n.children[1], e)
		if err != nil {
			return value{}, err
		}
		if r.kind != kNull {
			out = append(out, r)
		}
	}
	return arrayValue(out), nil
}

// at returns element i of an array value.
func (v value) at(i int) value {
	if v.src == nil {
		return v.arr[i]
	}
	return wrap(v.src.children()[i])
}

// pySlice applies a Python slice to a list.
func pySlice(list []value, n *node) (value, error) {
	length := len(list)
	step := 1
	if n.sliceSet[2] {
		if step = n.slice[2]; step == 0 {
			return value{}, errors.New("slice step cannot be zero")
		}
	}
	lower, upper := 0, length
	if step < 0 {
		lower, upper = -1, length-1
	}
	bound := func(i int, set bool, def int) int {
		switch {
		case !set:
			return def
		case i < 0:
			return max(i+length, lower)
		default:
			return min(i, upper)
		}
	}
	start, stop := lower, upper
	if step > 0 {
		start, stop = bound(n.slice[0], n.sliceSet[0], 0), bound(n.slice[1], n.sliceSet[1], length)
	} else {
		start, stop = bound(n.slice[0], n.sliceSet[0], upper), bound(n.slice[1], n.sliceSet[1], lower)
	}
	out := []value{}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, list[i])
	}
	return arrayValue(out), nil
}

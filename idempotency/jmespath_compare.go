package idempotency

import (
	"fmt"
	"slices"

	"github.com/jmespath-community/go-jmespath/pkg/parsing"
)

// pyLess is Python's a < b for two numbers or two strings. Comparisons
// involving NaN are false, as in Python.
func pyLess(a, b value) (bool, error) {
	c, ok, err := pyCompare(a, b)
	return ok && c < 0, err
}

// extreme returns the first maximal (or minimal) element as Python's
// max()/min() do: an element replaces the current one only if strictly
// greater (smaller). keys holds the comparison keys of elems.
func extreme(elems, keys []value, isMax bool) (value, error) {
	best := 0
	for i := 1; i < len(elems); i++ {
		a, b := keys[i], keys[best]
		if isMax {
			a, b = b, a
		}
		less, err := pyLess(a, b)
		if err != nil {
			return value{}, err
		}
		if less {
			best = i
		}
	}
	return elems[best], nil
}

func fnExtreme(isMax bool) func(*deriveState, []value) (value, error) {
	return func(_ *deriveState, a []value) (value, error) {
		elems := a[0].list()
		if len(elems) == 0 {
			return nullValue, nil
		}
		return extreme(elems, elems, isMax)
	}
}

// exprefKeys evaluates expref on every element, requiring each result to
// have one of the JMESPath types in allowed.
func exprefKeys(st *deriveState, fname string, elems []value, expref value, allowed ...string) ([]value, error) {
	keys := make([]value, len(elems))
	for i, e := range elems {
		k, err := st.eval(expref.expr, e)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(allowed, typeName(k)) {
			return nil, fmt.Errorf("in function %s(), invalid type for value: %s, expected one of: %v", fname, typeName(k), allowed)
		}
		keys[i] = k
	}
	return keys, nil
}

func fnExtremeBy(isMax bool) func(*deriveState, []value) (value, error) {
	name := "min_by"
	if isMax {
		name = "max_by"
	}
	return func(st *deriveState, a []value) (value, error) {
		elems := a[0].list()
		if len(elems) == 0 {
			return nullValue, nil
		}
		keys, err := exprefKeys(st, name, elems, a[1], "number", "string")
		if err != nil {
			return value{}, err
		}
		return extreme(elems, keys, isMax)
	}
}

// stableSort sorts elems by keys with Python's sorted() (stable, "<" only).
func stableSort(elems, keys []value) ([]value, error) {
	idx := make([]int, len(elems))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	slices.SortStableFunc(idx, func(i, j int) int {
		if less, err := pyLess(keys[i], keys[j]); err != nil {
			sortErr = err
		} else if less {
			return -1
		}
		if less, err := pyLess(keys[j], keys[i]); err != nil {
			sortErr = err
		} else if less {
			return 1
		}
		return 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]value, len(elems))
	for n, i := range idx {
		out[n] = elems[i]
	}
	return out, nil
}

func fnSort(_ *deriveState, a []value) (value, error) {
	elems := a[0].list()
	out, err := stableSort(elems, elems)
	return arrayValue(out), err
}

func fnSortBy(st *deriveState, a []value) (value, error) {
	elems := a[0].list()
	if len(elems) == 0 {
		return a[0], nil
	}
	first, err := st.eval(a[1].expr, elems[0])
	if err != nil {
		return value{}, err
	}
	required := typeName(first)
	if required != "number" && required != "string" {
		return value{}, fmt.Errorf("in function sort_by(), invalid type for value: %s, expected one of: [string number]", required)
	}
	keys, err := exprefKeys(st, "sort_by", elems, a[1], required)
	if err != nil {
		return value{}, err
	}
	out, err := stableSort(elems, keys)
	return arrayValue(out), err
}

// compare implements the comparators: == and != are Python equality with
// jmespath's 0/1-versus-boolean special case; ordering works on numbers or
// strings (null otherwise) and fails, like Python, for a number and a string.
func compare(op parsing.TokType, l, r value) (value, error) {
	switch op {
	case parsing.TOKEQ, parsing.TOKNE:
		eq, err := equalsTop(l, r)
		return boolValue(eq == (op == parsing.TOKEQ)), err
	}
	if !isComparable(l) || !isComparable(r) {
		return nullValue, nil
	}
	c, ok, err := pyCompare(l, r)
	if err != nil || !ok {
		return falseValue, err
	}
	switch op {
	case parsing.TOKLT:
		return boolValue(c < 0), nil
	case parsing.TOKLTE:
		return boolValue(c <= 0), nil
	case parsing.TOKGT:
		return boolValue(c > 0), nil
	default:
		return boolValue(c >= 0), nil
	}
}

func isComparable(v value) bool { return v.kind == kInt || v.kind == kFloat || v.kind == kString }

// pyCompare orders two numbers or two strings; ok is false for NaN.
func pyCompare(l, r value) (c int, ok bool, err error) {
	if l.kind == kString && r.kind == kString {
		return cmpString(l.s, r.s), true, nil
	}
	if l.kind == kString || r.kind == kString {
		return 0, false, fmt.Errorf("'<' not supported between instances of '%s' and '%s'", typeName(l), typeName(r))
	}
	if l, err = resolveNumber(l); err != nil {
		return 0, false, err
	}
	if r, err = resolveNumber(r); err != nil {
		return 0, false, err
	}
	c, ok = numCmp(l, r)
	return c, ok, nil
}

// cmpString orders by code point, which byte order gives for UTF-8/WTF-8.
func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// equalsTop is jmespath's _equals: 0 or 1 never equals a boolean.
func equalsTop(x, y value) (bool, error) {
	if special, ok := zeroOrOne(x); ok && special {
		if y.kind == kBool {
			return false, nil
		}
	} else if special, ok := zeroOrOne(y); ok && special && x.kind == kBool {
		return false, nil
	}
	return pyEqual(x, y)
}

// zeroOrOne reports whether v is an actual number (not a bool) equal to 0 or 1.
func zeroOrOne(v value) (bool, bool) {
	if v.kind != kInt && v.kind != kFloat {
		return false, false
	}
	n, err := resolveNumber(v)
	if err != nil {
		return false, false
	}
	if n.kind == kFloat {
		return n.f == 0 || n.f == 1, true
	}
	return n.bi == nil && (n.i == 0 || n.i == 1), true
}

// pyEqual is Python's == on json.loads values (True == 1, 1 == 1.0,
// dicts compare without regard to order).
func pyEqual(a, b value) (bool, error) {
	numeric := func(k kind) bool { return k == kBool || k == kInt || k == kFloat }
	switch {
	case numeric(a.kind) && numeric(b.kind):
		x, err := asNumber(a)
		if err != nil {
			return false, err
		}
		y, err := asNumber(b)
		if err != nil {
			return false, err
		}
		c, ok := numCmp(x, y)
		return ok && c == 0, nil
	case a.kind != b.kind:
		return false, nil
	}
	switch a.kind {
	case kNull:
		return true, nil
	case kString:
		return a.s == b.s, nil
	case kArray:
		la, lb := a.list(), b.list()
		if len(la) != len(lb) {
			return false, nil
		}
		for i := range la {
			if eq, err := pyEqual(la[i], lb[i]); err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case kObject:
		da, db := a.dict(), b.dict()
		if len(da.keys) != len(db.keys) {
			return false, nil
		}
		for i, k := range da.keys {
			w, ok := db.get(k)
			if !ok {
				return false, nil
			}
			if eq, err := pyEqual(da.vals[i], w); err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	}
	return false, nil // exprefs compare by identity in Python
}

// asNumber resolves a number, treating booleans as the ints 0 and 1.
func asNumber(v value) (value, error) {
	if v.kind == kBool {
		if v.b {
			return intValue(1), nil
		}
		return intValue(0), nil
	}
	return resolveNumber(v)
}

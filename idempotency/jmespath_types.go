package idempotency

import (
	"fmt"
	"slices"
	"strings"
)

// function is a JMESPath function with a Python jmespath signature: one
// list of type names per argument ("number", "array-string", ...; empty
// means any type). Only the first len(args) arguments of a variadic
// function are type checked, as in Python.
type function struct {
	name     string
	args     [][]string
	variadic bool
	call     func(st *deriveState, args []value) (value, error)
}

func (f *function) checkArity(n int) error {
	if f.variadic && n < len(f.args) {
		return fmt.Errorf("%s() takes at least %d argument(s) but received %d", f.name, len(f.args), n)
	}
	if !f.variadic && n != len(f.args) {
		return fmt.Errorf("%s() takes %d argument(s) but received %d", f.name, len(f.args), n)
	}
	return nil
}

func (f *function) typeCheck(args []value) error {
	for i, types := range f.args {
		if err := checkType(f.name, args[i], types); err != nil {
			return err
		}
	}
	return nil
}

// kindsOf maps a JMESPath type name to the value kinds it admits.
func kindsOf(t string) []kind {
	switch t {
	case "number":
		return []kind{kInt, kFloat}
	case "string":
		return []kind{kString}
	case "array":
		return []kind{kArray}
	case "object":
		return []kind{kObject}
	case "boolean":
		return []kind{kBool}
	case "expref":
		return []kind{kExpref}
	}
	return []kind{kNull}
}

// plainAdmits reports whether none of types names an element type
// ("array-string") and one of them admits kind k: the common case, decided
// without building checkType's tables.
func plainAdmits(types []string, k kind) bool {
	for _, t := range types {
		if strings.IndexByte(t, '-') >= 0 {
			return false
		}
	}
	for _, t := range types {
		switch t {
		case "number":
			if k == kInt || k == kFloat {
				return true
			}
		case "string":
			if k == kString {
				return true
			}
		case "array":
			if k == kArray {
				return true
			}
		case "object":
			if k == kObject {
				return true
			}
		case "boolean":
			if k == kBool {
				return true
			}
		case "expref":
			if k == kExpref {
				return true
			}
		default:
			if k == kNull {
				return true
			}
		}
	}
	return false
}

// checkType is jmespath's _type_check_single.
func checkType(fname string, v value, types []string) error {
	if len(types) == 0 || plainAdmits(types, v.kind) {
		return nil
	}
	var allowed []kind
	var subtypes [][]kind
	for _, t := range types {
		top, sub, hasSub := strings.Cut(t, "-")
		allowed = append(allowed, kindsOf(top)...)
		if hasSub {
			subtypes = append(subtypes, kindsOf(sub))
		}
	}
	bad := func(got value) error {
		return fmt.Errorf("in function %s(), invalid type for value: %s, expected one of: %v", fname, typeName(got), types)
	}
	if !slices.Contains(allowed, v.kind) {
		return bad(v)
	}
	if len(subtypes) == 0 {
		return nil
	}
	elems := v.list()
	want := subtypes[0]
	if len(subtypes) > 1 {
		if len(elems) == 0 {
			return nil
		}
		i := slices.IndexFunc(subtypes, func(s []kind) bool { return slices.Contains(s, elems[0].kind) })
		if i < 0 {
			return bad(elems[0])
		}
		want = subtypes[i]
	}
	for _, e := range elems {
		if !slices.Contains(want, e.kind) {
			return bad(e)
		}
	}
	return nil
}

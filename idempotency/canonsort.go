package idempotency

import (
	"slices"
	"strings"
)

// sortMembers reorders, in place, the canonical text of the object o that
// canonicalText has just closed (its '}' is the last byte of the output)
// so that its members are in key order, as json.dumps(sort_keys=True)
// writes them. Each member's text (key, ": ", value, itself canonical
// already) is moved as one block, so the output keeps its length. It
// returns false, changing nothing, when two keys are equal: the tree path
// (sortObject) resolves duplicates, keeping the last value as json.loads
// does.
func (st *deriveState) sortMembers(text string, o *fastOpen) bool {
	ms := st.fmembers[o.m0:]
	n := len(ms)
	if n < 2 {
		return n == 1 // unreachable: one key is always sorted
	}
	order := st.forder[:0]
	for i, m := range ms {
		order = append(order, fsorted{key: st.fkey(text, m.ks, m.ke, m.esc), i: int32(i)})
	}
	defer func() { clear(order); st.forder = order[:0] }()
	if n <= 32 {
		// Insertion sort, stable: objects are small and mostly in order.
		for k := 1; k < n; k++ {
			x := order[k]
			j := k
			for ; j > 0 && keyAfter(order[j-1].key, x.key); j-- {
				order[j] = order[j-1]
			}
			order[j] = x
		}
	} else {
		slices.SortStableFunc(order, func(a, b fsorted) int { return strings.Compare(a.key, b.key) })
	}
	for k := 1; k < n; k++ {
		if order[k].key == order[k-1].key {
			return false
		}
	}
	e := &st.enc
	base := int(ms[0].out)
	end := len(e.buf) - 1 // the closing brace stays where it is
	st.fscratch = append(st.fscratch[:0], e.buf[base:end]...)
	src := st.fscratch
	w := base
	for k, o := range order {
		i := o.i
		if k > 0 {
			w += copy(e.buf[w:], ", ")
		}
		from := int(ms[i].out) - base
		to := len(src)
		if int(i)+1 < n {
			to = int(ms[i+1].out) - base - len(", ")
		}
		w += copy(e.buf[w:], src[from:to])
	}
	return true
}

// fsorted is a member of an object being sorted: its key and its index.
type fsorted struct {
	key string
	i   int32
}

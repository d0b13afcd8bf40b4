package idempotency

import (
	"encoding/binary"
	"slices"
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
		order = append(order, fsorted{pre: keyPrefix(st.fkey(text, m.ks, m.ke, m.esc)), i: int32(i)})
	}
	st.forder = order[:0]
	// after orders members by key: by their first eight bytes, and by the
	// whole keys when those are equal.
	after := func(a, b fsorted) bool {
		if a.pre != b.pre {
			return a.pre > b.pre
		}
		return st.fkey(text, ms[a.i].ks, ms[a.i].ke, ms[a.i].esc) > st.fkey(text, ms[b.i].ks, ms[b.i].ke, ms[b.i].esc)
	}
	if n <= 32 {
		// Insertion sort, stable: objects are small and mostly in order.
		for k := 1; k < n; k++ {
			x := order[k]
			j := k
			for ; j > 0 && after(order[j-1], x); j-- {
				order[j] = order[j-1]
			}
			order[j] = x
		}
	} else {
		slices.SortStableFunc(order, func(a, b fsorted) int {
			switch {
			case after(a, b):
				return 1
			case after(b, a):
				return -1
			}
			return 0
		})
	}
	for k := 1; k < n; k++ {
		if a, b := order[k-1], order[k]; a.pre == b.pre && !after(b, a) {
			return false // equal keys
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
			e.buf[w], e.buf[w+1] = ',', ' '
			w += 2
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

// fsorted is a member of an object being sorted: the first eight bytes of
// its key (keyPrefix) and its index.
type fsorted struct {
	pre uint64
	i   int32
}

// keyPrefix is the first eight bytes of key, big-endian, padded with zero
// bytes: prefixes order as the keys do, except that keys that share their
// first eight bytes (or differ only by trailing zero bytes) have equal
// prefixes and are compared whole.
func keyPrefix(key string) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64([]byte(key[:8]))
	}
	var p uint64
	for i := range len(key) {
		p |= uint64(key[i]) << (56 - 8*i)
	}
	return p
}

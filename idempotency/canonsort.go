package idempotency

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"
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
	order := slices.Grow(st.forder[:0], n)[:n]
	st.forder = order[:0]
	// after orders members by key: by their first eight bytes, and by the
	// whole keys when those are equal.
	after := func(a, b fsorted) bool {
		if a.pre != b.pre {
			return a.pre > b.pre
		}
		return st.fkey(text, ms[a.i].ks, ms[a.i].ke, ms[a.i].esc) > st.fkey(text, ms[b.i].ks, ms[b.i].ke, ms[b.i].esc)
	}
	rank := st.fclosed
	st.fclosed++
	if !st.rememberedOrder(rank, order, ms, text) {
		for i := range order {
			order[i] = fsorted{pre: ms[i].pre, i: int32(i)}
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
		st.rememberOrder(rank, order)
	}
	e := &st.enc
	base := int(ms[0].out)
	end := len(e.buf) - 1 // the closing brace stays where it is
	st.fscratch = slices.Grow(append(st.fscratch[:0], e.buf[base:end]...), 8)
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
		w = moveMember(e.buf[:cap(e.buf)], w, src[:cap(src)], from, to)
	}
	e.buf[end] = '}' // moveMember may have written past the last member
	return true
}

// moveMember copies src[from:to] to dst at w and returns the offset past
// it. A member of up to 64 bytes is copied eight bytes at a time, without
// a call to memmove, when dst and src have eight bytes of room past it;
// the bytes written past it are garbage that the next member, or
// sortMembers, overwrites.
func moveMember(dst []byte, w int, src []byte, from, to int) int {
	n := to - from
	if n > 64 || w+n+8 > len(dst) || to+8 > len(src) {
		return w + copy(dst[w:], src[from:to])
	}
	d := unsafe.Pointer(unsafe.SliceData(dst))
	s := unsafe.Pointer(unsafe.SliceData(src))
	for k := 0; k < n; k += 8 {
		*(*uint64)(unsafe.Add(d, w+k)) = *(*uint64)(unsafe.Add(s, from+k))
	}
	return w + n
}

// fsorted is a member of an object being sorted: the first eight bytes of
// its key (keyPrefix) and its index.
type fsorted struct {
	pre uint64
	i   int32
}

// textPrefix is keyPrefix(text[ks:ke]), read as one word when text has
// eight bytes from ks.
func textPrefix(text string, ks, ke int) uint64 {
	if ks+8 > len(text) {
		return keyPrefix(text[ks:ke])
	}
	w := load8(text, ks)
	if n := ke - ks; n < 8 {
		w &= 1<<(8*n) - 1
	}
	return bits.ReverseBytes64(w)
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

// maxRememberedOrders and maxRememberedMembers bound the key orders
// deriveState remembers: those of the first unsorted objects of an event,
// of up to that many members.
const (
	maxRememberedOrders  = 16
	maxRememberedMembers = 32
)

// rememberedOrder is the order sortMembers found for an object: the
// members' source indexes in key order.
type rememberedOrder struct {
	n     int32
	order [maxRememberedMembers]int32
}

// rememberedOrder tries, for the rank-th unsorted object of the event
// (members ms), the order found for the rank-th unsorted object of the last
// event sorted with this state: events of one source (an API Gateway
// stage, a queue) have their keys in the same order each time. That order
// is the one sortMembers needs, and it is written to order, when the keys
// taken in it are strictly increasing, which n-1 comparisons check (and
// which also rules out duplicates): a wrong guess costs those comparisons
// and changes nothing.
func (st *deriveState) rememberedOrder(rank int, order []fsorted, ms []fmember, text string) bool {
	if rank >= maxRememberedOrders || int(st.forders[rank].n) != len(order) {
		return false
	}
	r := &st.forders[rank]
	var last *fmember
	for k, i := range r.order[:r.n] {
		m := &ms[i]
		if last != nil && (m.pre < last.pre ||
			m.pre == last.pre && st.fkey(text, m.ks, m.ke, m.esc) <= st.fkey(text, last.ks, last.ke, last.esc)) {
			return false // not strictly after the last key
		}
		order[k] = fsorted{pre: m.pre, i: i}
		last = m
	}
	return true
}

// rememberOrder keeps order, sorted, for the rank-th unsorted object of the
// next events.
func (st *deriveState) rememberOrder(rank int, order []fsorted) {
	if rank >= maxRememberedOrders || len(order) > maxRememberedMembers {
		return
	}
	r := &st.forders[rank]
	r.n = int32(len(order))
	for k, o := range order {
		r.order[k] = o.i
	}
}

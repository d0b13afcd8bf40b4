package idempotency

// The arenas of a deriveState: parse results live in reused chunks until
// the state is reset, so that a key derivation allocates almost nothing.

// nodeArena hands out zeroed nodes; pointers stay valid until reset.
type nodeArena struct {
	chunks [][]jnode
	cur    int
}

func (a *nodeArena) alloc() *jnode {
	for {
		if a.cur < len(a.chunks) {
			c := a.chunks[a.cur]
			if len(c) < cap(c) {
				c = c[:len(c)+1]
				a.chunks[a.cur] = c
				return &c[len(c)-1]
			}
			if a.cur < len(a.chunks)-1 {
				a.cur++
				continue
			}
		}
		size := 64
		if n := len(a.chunks); n > 0 {
			size = min(2*cap(a.chunks[n-1]), 1<<16)
		}
		a.chunks = append(a.chunks, make([]jnode, 0, size))
		a.cur = len(a.chunks) - 1
	}
}

// reset zeroes the nodes handed out (they hold pointers into event text)
// and makes the chunks available again.
func (a *nodeArena) reset() {
	for i := range a.chunks {
		clear(a.chunks[i])
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// kidArena stores the child lists of containers.
type kidArena struct {
	chunks [][]*jnode
	cur    int
}

// copy returns a copy of src in the arena (nil for an empty src).
func (a *kidArena) copy(src []*jnode) []*jnode {
	if len(src) == 0 {
		return nil
	}
	for {
		if a.cur < len(a.chunks) {
			c := a.chunks[a.cur]
			if cap(c)-len(c) >= len(src) {
				start := len(c)
				c = append(c, src...)
				a.chunks[a.cur] = c
				return c[start:len(c):len(c)]
			}
			if a.cur < len(a.chunks)-1 {
				a.cur++
				continue
			}
		}
		size := 256
		if n := len(a.chunks); n > 0 {
			size = min(2*cap(a.chunks[n-1]), 1<<16)
		}
		a.chunks = append(a.chunks, make([]*jnode, 0, max(size, len(src))))
		a.cur = len(a.chunks) - 1
	}
}

func (a *kidArena) reset() {
	for i := range a.chunks {
		clear(a.chunks[i])
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// byteArena stores unescaped strings.
type byteArena struct {
	chunks [][]byte
	cur    int
}

// alloc returns n bytes (not zeroed).
func (a *byteArena) alloc(n int) []byte {
	for {
		if a.cur < len(a.chunks) {
			c := a.chunks[a.cur]
			if cap(c)-len(c) >= n {
				start := len(c)
				c = c[:start+n]
				a.chunks[a.cur] = c
				return c[start : start+n : start+n]
			}
			if a.cur < len(a.chunks)-1 {
				a.cur++
				continue
			}
		}
		size := 4096
		if k := len(a.chunks); k > 0 {
			size = min(2*cap(a.chunks[k-1]), 1<<20)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, n)))
		a.cur = len(a.chunks) - 1
	}
}

// trim gives back the last n bytes of the last allocation.
func (a *byteArena) trim(n int) {
	c := a.chunks[a.cur]
	a.chunks[a.cur] = c[:len(c)-n]
}

func (a *byteArena) reset() {
	for i := range a.chunks {
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

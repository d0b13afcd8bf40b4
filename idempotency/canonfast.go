package idempotency

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/idemproxy/idemproxy/internal/swar"
)

// wholeLimit is the largest event whose whole-event key is derived in one
// pass (canonicalText): its canonical text is kept whole in memory before
// it is hashed. Larger events go through the tree and the streaming encoder.
const wholeLimit = 64 << 10

// fastOpen is a container open in canonicalText. It holds no pointer, so
// that pushing it is a plain store.
type fastOpen struct {
	// body is the output offset just past the opening bracket.
	body int
	// m0 is the index in deriveState.fmembers of an object's first member;
	// the object's members are the last ones there (a nested object's are
	// dropped when it closes).
	m0  int32
	obj bool
	// sorted: the keys so far are strictly increasing (no reordering nor
	// duplicate to resolve); allNull: every value so far is null.
	sorted, allNull bool
}

// fmember is a member of an object open in canonicalText: where its
// canonical text starts in the output, and where its key is: in the text,
// or in deriveState.fkeys (unescaped) when esc.
type fmember struct {
	// pre is the key's first eight bytes (keyPrefix).
	pre    uint64
	out    int32
	ks, ke int32
	esc    bool
}

// canonicalText validates text exactly as scan does and appends its
// canonical JSON (what encoder.hashCanonical writes for the parsed text) to
// st.enc.buf, in one pass: members are written in source order, and an
// object whose keys are not strictly increasing has its members' canonical
// text reordered when it closes (sortMembers); one with duplicate keys is
// rewritten by the tree path (sortObject), which resolves them.
// missing is isMissingKey of the value. ok is false for an invalid text,
// whose error the slower path reports.
func (st *deriveState) canonicalText(text string) (missing, ok bool) {
	e := &st.enc
	if room := 2*len(text) + 64; cap(e.buf)-len(e.buf) < room {
		e.buf = slices.Grow(e.buf, room)
	}
	open := st.fopen[:0]
	st.fclosed = 0
	defer func() { st.fopen, st.fkeys, st.fmembers = open[:0], st.fkeys[:0], st.fmembers[:0] }()
	i := skipWS(text, 0)
	isNull := false // the last value written is null
	for {
		// A value at i.
		if len(open) >= maxDepth || i >= len(text) {
			return false, false
		}
		isNull = false
		switch c := text[i]; c {
		case '{', '[':
			obj := c == '{'
			e.buf = append(e.buf, c)
			i = skipWS(text, i+1)
			if i < len(text) && (obj && text[i] == '}' || !obj && text[i] == ']') {
				e.buf = append(e.buf, text[i])
				i++
				missing = true // an empty container is missing
				break
			}
			open = append(open, fastOpen{obj: obj, body: len(e.buf), sorted: true, allNull: true, m0: int32(len(st.fmembers))})
			if obj {
				if i, ok = st.fastKey(text, i, &open[len(open)-1]); !ok {
					return false, false
				}
			}
			continue
		case '"':
			// A plain string is its own canonical form (see fastString).
			j, ok := 0, true
			if dst, src, room := e.plainArgs(text, i); room >= 16 {
				k := plainString(dst, src, room)
				if k > 0 {
					e.buf, j = e.buf[:len(e.buf)+k], i+k
				} else {
					j, _, ok = st.fastString(text, i, i-k)
				}
			} else {
				j, _, ok = st.fastString(text, i, i+1)
			}
			if !ok {
				return false, false
			}
			missing = j == i+2
			i = j
		case 't', 'f', 'n':
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if !strings.HasPrefix(text[i:], lit) {
				return false, false
			}
			e.buf = append(e.buf, lit...)
			i += len(lit)
			isNull, missing = c == 'n', c == 'n'
		default:
			j, err := scanNumber(text, i)
			if err != nil {
				return false, false
			}
			e.fastNumber(text[i:j])
			i, missing = j, false
		}
		// After a value.
		for {
			i = skipWS(text, i)
			if len(open) == 0 {
				return missing, i == len(text)
			}
			if i >= len(text) {
				return false, false
			}
			top := &open[len(open)-1]
			if !isNull {
				top.allNull = false
			}
			c := text[i]
			if c == ',' {
				e.buf = append(e.buf, ", "...)
				i = skipWS(text, i+1)
				if top.obj {
					if i, ok = st.fastKey(text, i, top); !ok {
						return false, false
					}
				}
				break // the next value
			}
			if top.obj && c != '}' || !top.obj && c != ']' {
				return false, false
			}
			e.buf = append(e.buf, c)
			missing = top.allNull
			if !top.sorted && !st.sortMembers(text, top) {
				if missing, ok = st.sortObject(top.body-1, len(open) == 1); !ok {
					return false, false
				}
			}
			if top.obj {
				st.fmembers = st.fmembers[:top.m0]
			}
			open = open[:len(open)-1]
			i++
			isNull = false
		}
	}
}

// fastKey checks and writes the key at i and its colon, compares it with
// the last key of o, and returns the offset of its value.
func (st *deriveState) fastKey(text string, i int, o *fastOpen) (int, bool) {
	e := &st.enc
	if i >= len(text) || text[i] != '"' {
		return 0, false
	}
	out := len(e.buf)
	// A plain string is its own canonical form (see fastString).
	var j int
	var esc, ok bool
	if dst, src, room := e.plainArgs(text, i); room >= 16 {
		k := plainString(dst, src, room)
		if k > 0 {
			e.buf, j = e.buf[:out+k], i+k
		} else if j, esc, ok = st.fastString(text, i, i-k); !ok {
			return 0, false
		}
	} else if j, esc, ok = st.fastString(text, i, i+1); !ok {
		return 0, false
	}
	ks, ke := int32(i+1), int32(j-1)
	var pre uint64
	if esc {
		key := text[ks:ke]
		ks = int32(len(st.fkeys))
		st.fkeys = append(st.fkeys, st.unescape(key)...)
		ke = int32(len(st.fkeys))
		pre = keyPrefix(b2s(st.fkeys[ks:ke]))
	} else {
		pre = textPrefix(text, int(ks), int(ke))
	}
	if last := len(st.fmembers) - 1; o.sorted && last >= int(o.m0) {
		p := &st.fmembers[last] // o's previous member
		if pre != p.pre {
			o.sorted = pre > p.pre
		} else {
			o.sorted = st.fkey(text, ks, ke, esc) > st.fkey(text, p.ks, p.ke, p.esc)
		}
	}
	st.fmembers = append(st.fmembers, fmember{pre: pre, out: int32(out), ks: ks, ke: ke, esc: esc})
	i = skipWS(text, j)
	if i >= len(text) || text[i] != ':' {
		return 0, false
	}
	e.buf = append(e.buf, ": "...)
	return skipWS(text, i+1), true
}

// plainArgs returns plainString's arguments for the string whose opening
// quote is at text[i], copied to the end of e.buf: where it goes, where it
// is, and the room both have.
func (e *encoder) plainArgs(text string, i int) (dst, src *byte, room int) {
	n := len(e.buf)
	return (*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.buf)), n)),
		(*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), i)), min(cap(e.buf)-n, len(text)-i)
}

// fkey returns a key recorded by fastKey.
func (st *deriveState) fkey(text string, ks, ke int32, esc bool) string {
	if esc {
		return b2s(st.fkeys[ks:ke])
	}
	return text[ks:ke]
}

// fastString checks the string whose opening quote is at i, and whose
// bytes from i+1 to j are plain (printable ASCII, no quote nor backslash),
// writes it, and returns the offset just past its closing quote and
// whether it holds escapes. Its callers first try plainString, which
// checks and copies a plain string sixteen bytes at a time (written out at
// both, as a call costs more than that check), and go on here from where
// it stopped, or from i+1 near the end of the text or the buffer: eight
// bytes at a time, and from any other stop than a quote with
// scanStringAt: the bytes before it change neither the string's escapes
// nor its being canonical.
func (st *deriveState) fastString(text string, i, j int) (end int, esc, ok bool) {
	e := &st.enc
	for ; j+8 <= len(text); j += 8 {
		m := swar.Stop(load8(text, j))
		if m == 0 {
			continue
		}
		if j += bits.TrailingZeros64(m) >> 3; text[j] == '"' {
			e.copyText(text, i, j+1)
			return j + 1, false, true
		}
		break
	}
	end, esc, canon, kind, _ := scanStringAt(text, j)
	if kind != nil {
		return 0, false, false
	}
	if canon {
		e.copyText(text, i, end)
	} else {
		e.rawString(text[i+1 : end-1])
	}
	return end, esc, true
}

// copyText appends text[i:j]; a piece of up to 16 bytes is copied as two
// words when the text and the buffer have room for them (canonicalText
// makes room in the buffer), without a call to memmove.
func (e *encoder) copyText(text string, i, j int) {
	n := len(e.buf)
	if j-i <= 16 && i+16 <= len(text) && n+16 <= cap(e.buf) {
		p := unsafe.Pointer(unsafe.SliceData(e.buf))
		*(*uint64)(unsafe.Add(p, n)) = load8(text, i)
		*(*uint64)(unsafe.Add(p, n+8)) = load8(text, i+8)
		e.buf = e.buf[:n+j-i]
		return
	}
	e.buf = append(e.buf, text[i:j]...)
}

// fastNumber writes valid number text as json.dumps writes the number
// json.loads reads from it: ints keep their digits (-0 becomes 0), floats
// are re-rendered as repr(float(text)).
func (e *encoder) fastNumber(text string) {
	if isIntText(text) {
		if text == "-0" {
			text = "0"
		}
		e.buf = append(e.buf, text...)
		return
	}
	f, _ := strconv.ParseFloat(text, 64)
	e.buf = appendPyFloat(e.buf, f)
}

// sortObject rewrites the (canonical, closed) text of an object that
// starts at output offset start with its keys sorted and, for duplicate
// keys, the last value kept, by parsing it and encoding the tree as the
// tree path does; the text of its values is canonical already, and
// encoding canonical text gives the same text. It returns isMissingKey of
// the object when root is set.
func (st *deriveState) sortObject(start int, root bool) (missing, ok bool) {
	e := &st.enc
	st.fscratch = append(st.fscratch[:0], e.buf[start:]...)
	n, err := st.parseDoc(b2s(st.fscratch), false)
	if err != nil {
		return false, false // unreachable: the text is canonical JSON
	}
	st.fenc.buf, st.fenc.sorted, st.fenc.sink = e.buf[:start], true, nil
	st.fenc.srcValue(n)
	e.buf, st.fenc.buf = st.fenc.buf, nil
	return root && isMissingKey(wrap(n)), true
}

package idempotency

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// wholeLimit is the largest event whose whole-event key is derived in one
// pass (canonicalText): its canonical text is kept whole in memory before
// it is hashed. Larger events go through the tree and the streaming encoder.
const wholeLimit = 64 << 10

// fastMember is an object member written by canonicalText: its key
// (unescaped) and where its `"key": value` text is in the output, as
// offsets of its start, of its value and of its end.
type fastMember struct {
	key             string
	start, val, end int
}

// fastOpen is a container open in canonicalText.
type fastOpen struct {
	obj bool
	// body is the output offset just past the opening bracket; mbase the
	// index in deriveState.fmembers of the object's first member.
	body, mbase int
	// sorted: the keys so far are strictly increasing (no reordering nor
	// duplicate to resolve); allNull: every array element so far is null.
	sorted, allNull bool
}

// canonicalText validates text exactly as scan does and appends its
// canonical JSON (what encoder.hashCanonical writes for the parsed text) to
// st.enc.buf, in one pass: members are written in source order, and an
// object whose keys are not strictly increasing has its members' text
// reordered (and duplicates dropped, the last one winning) when it closes.
// missing is isMissingKey of the value. ok is false for an invalid text,
// whose error the slower path reports.
func (st *deriveState) canonicalText(text string) (missing, ok bool) {
	e := &st.enc
	open := st.fopen[:0]
	defer func() {
		clear(st.fmembers)
		st.fmembers, st.fopen = st.fmembers[:0], open[:0]
	}()
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
			open = append(open, fastOpen{obj: obj, body: len(e.buf), mbase: len(st.fmembers), sorted: true, allNull: true})
			if obj {
				if i, ok = st.fastKey(text, i, &open[len(open)-1]); !ok {
					return false, false
				}
			}
			continue
		case '"':
			j, ok := st.fastString(text, i)
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
			if top.obj {
				st.fmembers[len(st.fmembers)-1].end = len(e.buf)
			} else if !isNull {
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
			missing = top.allNull
			if top.obj {
				missing = st.closeObject(top)
			}
			e.buf = append(e.buf, c)
			open = open[:len(open)-1]
			i++
			isNull = false
		}
	}
}

// fastKey checks and writes the key at i and its colon, records the member
// in o, and returns the offset of its value.
func (st *deriveState) fastKey(text string, i int, o *fastOpen) (int, bool) {
	e := &st.enc
	if i >= len(text) || text[i] != '"' {
		return 0, false
	}
	start := len(e.buf)
	j, ok := st.fastString(text, i)
	if !ok {
		return 0, false
	}
	key := text[i+1 : j-1]
	if strings.IndexByte(key, '\\') >= 0 {
		key = st.unescape(key)
	}
	if n := len(st.fmembers); n > o.mbase && key <= st.fmembers[n-1].key {
		o.sorted = false
	}
	i = skipWS(text, j)
	if i >= len(text) || text[i] != ':' {
		return 0, false
	}
	e.buf = append(e.buf, ": "...)
	st.fmembers = append(st.fmembers, fastMember{key: key, start: start, val: len(e.buf)})
	return skipWS(text, i+1), true
}

// fastString checks the string whose opening quote is at i, writes it, and
// returns the offset just past its closing quote.
func (st *deriveState) fastString(text string, i int) (int, bool) {
	e := &st.enc
	// Up to seven bytes of printable ASCII end at the first special byte
	// of the next word, and are their own canonical form.
	if i+9 <= len(text) {
		w := load8(text, i+1)
		if m := special(w); m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			if j := i + 1 + k; text[j] == '"' && (w|(w+ones))&highs&(1<<(8*k)-1) == 0 {
				e.buf = append(e.buf, text[i:j+1]...)
				return j + 1, true
			}
		}
	}
	end, _, canon, err := scanStringContent(text, i+1)
	if err != nil {
		return 0, false
	}
	if canon {
		e.buf = append(e.buf, text[i:end]...)
	} else {
		e.rawString(text[i+1 : end-1])
	}
	return end, true
}

// fastNumber writes valid number text as srcNumber does.
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

// closeObject resolves the members of object o before its closing brace:
// when its keys are not strictly increasing, its members' text is sorted by
// key (stably, so that of equal keys the last one is kept). It returns
// whether every value kept is null, and drops o's members.
func (st *deriveState) closeObject(o *fastOpen) (allNull bool) {
	e := &st.enc
	ms := st.fmembers[o.mbase:]
	allNull = true
	if o.sorted {
		for _, m := range ms {
			allNull = allNull && isNullText(e.buf[m.val:m.end])
		}
	} else {
		st.fscratch = append(st.fscratch[:0], e.buf[o.body:]...)
		slices.SortStableFunc(ms, func(a, b fastMember) int { return strings.Compare(a.key, b.key) })
		e.buf = e.buf[:o.body]
		for n, m := range ms {
			if n+1 < len(ms) && ms[n+1].key == m.key {
				continue // a later duplicate wins
			}
			if len(e.buf) > o.body {
				e.buf = append(e.buf, ", "...)
			}
			seg := st.fscratch[m.start-o.body : m.end-o.body]
			allNull = allNull && isNullText(seg[m.val-m.start:])
			e.buf = append(e.buf, seg...)
		}
	}
	clear(ms)
	st.fmembers = st.fmembers[:o.mbase]
	return allNull
}

func isNullText(b []byte) bool { return string(b) == "null" }

package idempotency

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/internal/swar"
)

// jkind is the JSON type of a node.
type jkind uint8

const (
	jNull jkind = iota
	jFalse
	jTrue
	jNumber
	jString
	jArray
	jObject
)

// jdoc is a scanned (valid) JSON text.
type jdoc struct {
	text  string
	conts []jcont
	strs  []jstr
	st    *deriveState // arenas for nodes and unescaped strings
}

// jnode is one value of a jdoc. A container lists its children only when
// first asked (children): a text is validated in one pass, and only the
// levels that a JMESPath expression or the encoder touch are built.
type jnode struct {
	doc  *jdoc
	kind jkind
	// esc: str still holds the JSON escapes of a string's content.
	esc bool
	// canon: str is a string's source content and is already what the
	// encoder would write for it (long strings only, see jstr).
	canon bool
	// built: kids is set (containers).
	built bool
	// off and ci: offset of a container's opening bracket and its index in
	// doc.conts.
	off, ci int32
	// str is a string's content or a number's text.
	str string
	// kids are an array's elements, or an object's keys and values
	// alternating (key nodes are strings).
	kids []*jnode
}

// children returns an array's elements or an object's keys and values.
func (n *jnode) children() []*jnode {
	if !n.built {
		n.doc.st.build(n)
	}
	return n.kids
}

// length is the number of elements or members.
func (n *jnode) length() int {
	if n.kind == jObject {
		return len(n.children()) / 2
	}
	return len(n.children())
}

// string returns a string node's content, unescaped.
func (n *jnode) string() string {
	if n.esc {
		n.str = n.doc.st.unescape(n.str)
		n.esc, n.canon = false, false
	}
	return n.str
}

// build lists the children of container n, skipping over nested
// containers with doc.conts.
func (st *deriveState) build(n *jnode) {
	d := n.doc
	s := d.text
	i := int(n.off) + 1
	ci, si := n.ci+1, d.conts[n.ci].str0
	tmp := st.tmpKids[:0]
	for {
		i = skipWS(s, i)
		if c := s[i]; c == '}' || c == ']' {
			break
		}
		if n.kind == jObject {
			var k *jnode
			k, i, si = st.stringNode(d, i, si)
			tmp = append(tmp, k)
			i = skipWS(s, i) + 1 // ':'
			i = skipWS(s, i)
		}
		var v *jnode
		v, i, ci, si = st.valueNode(d, i, ci, si)
		tmp = append(tmp, v)
		i = skipWS(s, i)
		if s[i] != ',' {
			break
		}
		i++
	}
	n.kids = st.kidArena.copy(tmp)
	n.built = true
	clear(tmp)
	st.tmpKids = tmp[:0]
}

func isNumberByte(c byte) bool {
	return isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// stringNode makes the node of the (valid) string whose quote is at i and
// returns the offset just past its closing quote. si is the index of the
// next long string of the level in d.strs, returned updated.
func (st *deriveState) stringNode(d *jdoc, i int, si int32) (*jnode, int, int32) {
	s := d.text
	if int(si) < len(d.strs) && d.strs[si].start == int32(i) {
		ls := d.strs[si]
		n := st.nodes.alloc()
		n.doc, n.kind, n.str, n.esc, n.canon = d, jString, s[i+1:ls.end-1], ls.esc, ls.canon
		if ls.unesc != "" {
			n.str, n.esc, n.canon = ls.unesc, false, false
		}
		return n, int(ls.end), si + 1
	}
	j, esc := shortStringEnd(s, i)
	n := st.nodes.alloc()
	n.doc, n.kind, n.str, n.esc = d, jString, s[i+1:j], esc
	return n, j + 1, si
}

// shortStringEnd returns the offset of the closing quote of the valid
// string whose opening quote is at i, and whether it holds escapes, in one
// pass eight bytes at a time: the text is valid, so the only stops are
// quotes and backslashes, and an escape's second byte (maybe a quote) is
// skipped.
func shortStringEnd(s string, i int) (int, bool) {
	j, esc := i+1, false
	for {
		for j+8 <= len(s) {
			if m := swar.Special(load8(s, j)); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto stop
			}
			j += 8
		}
		for s[j] != '"' && s[j] != '\\' {
			j++
		}
	stop:
		if s[j] == '"' {
			return j, esc
		}
		esc = true
		j += 2
	}
}

// unescape decodes the escapes of valid string content into the byte arena.
// A UTF-16 surrogate pair becomes its code point; a lone surrogate becomes
// its 3-byte generalized UTF-8 (WTF-8) form, as Python keeps it as a code
// point (the canonical encoder writes it back as \udXXX).
func (st *deriveState) unescape(raw string) string {
	out := st.bytes.alloc(len(raw)) // unescaping never grows the text
	n := 0
	for i := 0; i < len(raw); {
		// Copy up to the next backslash, eight bytes at a time: n <= i,
		// so a whole word always fits in out.
		for i+8 <= len(raw) {
			w := load8(raw, i)
			x := w ^ swar.Slashes
			if m := (x - swar.Ones) &^ x & swar.Highs; m != 0 {
				k := bits.TrailingZeros64(m) >> 3
				binary.LittleEndian.PutUint64(out[n:], w)
				n, i = n+k, i+k
				break
			}
			binary.LittleEndian.PutUint64(out[n:], w)
			n, i = n+8, i+8
		}
		for i < len(raw) && raw[i] != '\\' {
			out[n] = raw[i]
			n, i = n+1, i+1
		}
		if i == len(raw) {
			break
		}
		c := raw[i+1]
		i += 2
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := hex4(raw[i : i+4])
			i += 4
			if r >= 0xD800 && r <= 0xDBFF && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo := hex4(raw[i+2 : i+6]); lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			n += putWTF8(out[n:], r)
			continue
		}
		out[n] = c // '"', '\\', '/' and the letters above
		n++
	}
	return b2s(out[:n])
}

// hex4 decodes four validated hex digits.
func hex4(b string) rune {
	var r rune
	for _, c := range []byte(b) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		default:
			r |= rune(c-'A') + 10
		}
	}
	return r
}

// valueNode makes the node of the value at i; ci and si are the indexes
// of the next container and long string in document order, returned
// updated past the value.
func (st *deriveState) valueNode(d *jdoc, i int, ci, si int32) (*jnode, int, int32, int32) {
	s := d.text
	if s[i] == '"' {
		n, j, si := st.stringNode(d, i, si)
		return n, j, ci, si
	}
	n := st.nodes.alloc()
	n.doc = d
	switch c := s[i]; c {
	case '{', '[':
		n.kind, n.off, n.ci = jArray, int32(i), ci
		if c == '{' {
			n.kind = jObject
		}
		c := d.conts[ci]
		return n, int(c.end), c.next, c.strNext
	case 't':
		n.kind, i = jTrue, i+4
	case 'f':
		n.kind, i = jFalse, i+5
	case 'n':
		n.kind, i = jNull, i+4
	default:
		j := i + 1
		for j < len(s) && isNumberByte(s[j]) {
			j++
		}
		n.kind, n.str, i = jNumber, s[i:j], j
	}
	return n, i, ci, si
}

// root returns the node of a scanned text's top-level value.
func (st *deriveState) root(d *jdoc) *jnode {
	n, _, _, _ := st.valueNode(d, skipWS(d.text, 0), 0, 0)
	return n
}

// putWTF8 writes r at the start of out (room for 4 bytes) and returns the
// number of bytes written: UTF-8, or for a lone surrogate (which \u escapes
// can spell) its three-byte WTF-8 form, as Python keeps it in a str.
func putWTF8(out []byte, r rune) int {
	if r >= 0xD800 && r <= 0xDFFF {
		out[0], out[1], out[2] = 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F
		return 3
	}
	return utf8.EncodeRune(out, r)
}

package idempotency

// find returns the value of the last member of object n whose key is key
// (json.loads keeps the last of duplicate keys), reading n's level in
// place: no node is made but the value's, so one lookup in an object not
// yet built (an event's top level, requestContext) costs one pass over its
// members and no allocation.
func (st *deriveState) find(n *jnode, key string) (*jnode, bool) {
	d := n.doc
	s := d.text
	i := int(n.off) + 1
	ci, si := n.ci+1, d.conts[n.ci].str0
	var found *jnode
	for {
		i = skipWS(s, i)
		if s[i] == '}' {
			break
		}
		// The key: its content and where it ends.
		var k string
		var esc bool
		if int(si) < len(d.strs) && d.strs[si].start == int32(i) {
			ls := d.strs[si]
			k, esc, i, si = s[i+1:ls.end-1], ls.esc, int(ls.end), si+1
			if ls.unesc != "" {
				k, esc = ls.unesc, false
			}
		} else {
			var j int
			j, esc = shortStringEnd(s, i)
			k, i = s[i+1:j], j+1
		}
		var match bool
		if !esc {
			match = k == key
		} else if len(k) >= len(key) { // unescaping never lengthens
			match = st.unescape(k) == key
		}
		i = skipWS(s, skipWS(s, i)+1) // past ':'
		if match {
			found, i, ci, si = st.valueNode(d, i, ci, si)
		} else {
			i, ci, si = skipValue(d, i, ci, si)
		}
		i = skipWS(s, i)
		if s[i] != ',' {
			break
		}
		i++
	}
	return found, found != nil
}

// skipValue returns the offset just past the (valid) value at i, and the
// indexes of the next container and long string, as valueNode does without
// making a node.
func skipValue(d *jdoc, i int, ci, si int32) (int, int32, int32) {
	s := d.text
	switch c := s[i]; c {
	case '"':
		if int(si) < len(d.strs) && d.strs[si].start == int32(i) {
			return int(d.strs[si].end), ci, si + 1
		}
		j, _ := shortStringEnd(s, i)
		return j + 1, ci, si
	case '{', '[':
		c := d.conts[ci]
		return int(c.end), c.next, c.strNext
	case 't', 'n':
		return i + 4, ci, si
	case 'f':
		return i + 5, ci, si
	}
	j := i + 1
	for j < len(s) && isNumberByte(s[j]) {
		j++
	}
	return j, ci, si
}

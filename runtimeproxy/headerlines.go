package runtimeproxy

import (
	"net/http"
	"net/textproto"
)

// headerLines builds the http.Header of header lines a raw scan took (each
// ending with CRLF, through the empty line), as net/http reads them: names
// in canonical form, values trimmed, repeated names in order. A field is
// left out when skip reports its kind. Allocations do not grow with the
// number of fields: one string holds all the lines, names and values are
// substrings of it (a name already in canonical form is not copied), and
// the values share one backing array; each name's slice has no room past
// its values, so an Interceptor appending to one cannot overwrite another.
func headerLines(lines []byte, skip func(kind int) bool) http.Header {
	n := 0
	for rest := lines; len(rest) > 2; n++ {
		_, _, _, k, _ := nextField(rest)
		rest = rest[k:]
	}
	h := make(http.Header, n)
	if n == 0 {
		return h
	}
	s := string(lines)
	values := make([]string, 0, n)
	for off := 0; len(lines)-off > 2; {
		name, vs, ve, k, _ := nextField(lines[off:])
		if skip == nil || !skip(fieldKind(name)) {
			key := textproto.CanonicalMIMEHeaderKey(s[off : off+len(name)])
			values = append(values, s[off+vs:off+ve])
			if old := h[key]; old == nil {
				h[key] = values[len(values)-1 : len(values) : len(values)]
			} else {
				h[key] = append(old, values[len(values)-1])
			}
		}
		off += k
	}
	return h
}

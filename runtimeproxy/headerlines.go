package runtimeproxy

import (
	"net/http"
	"net/textproto"
	"sync"
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

// lazyHeader is a header given whole (h), or built on first use from the
// raw header lines of a request or answer the byte relay took (lines, with
// the fields whose kinds skip reports left out): most Interceptors never
// look at headers, and a map of them costs more than the rest of the
// relay's work.
type lazyHeader struct {
	once  sync.Once
	h     http.Header
	lines []byte
	skip  func(kind int) bool
}

func (l *lazyHeader) get() http.Header {
	l.once.Do(func() {
		if l.h == nil {
			l.h = headerLines(l.lines, l.skip)
		}
	})
	return l.h
}

// value returns the first value of the field named lower (in lower case;
// key is its canonical form), as get().Get(key) does, without building the
// header from lines.
func (l *lazyHeader) value(lower, key string) string {
	if l.lines == nil {
		return l.get().Get(key)
	}
	for lines := l.lines; len(lines) > 2; {
		name, vs, ve, n, _ := nextField(lines)
		if lowerEqual(name, lower) && (l.skip == nil || !l.skip(fieldKind(name))) {
			return string(lines[vs:ve])
		}
		lines = lines[n:]
	}
	return ""
}

// skipRequestField reports the fields net/http takes out of a request's
// Header: Host, Transfer-Encoding and Trailer.
func skipRequestField(kind int) bool {
	return kind == fieldHost || kind == fieldCoding || kind == fieldTrailer
}

package runtimeproxy

import (
	"bytes"
	"iter"
	"net/textproto"
)

// The byte relay (rawrelay.go) forwards heads as they are, so it takes only
// those whose meaning is plain: strict CRLF lines, token names, values
// without control bytes, no hop-by-hop or special headers. It parses them
// in place, without allocating; anything else goes the usual way.

// rawRequest is a request head the byte relay takes (scanRawRequest).
type rawRequest struct {
	post bool
	// next: GET /2018-06-01/runtime/invocation/next, the long poll.
	next bool
	// line is the length of the request line with its CRLF; target is the
	// request target's span in the head.
	line        int
	targetStart int
	targetEnd   int
	// chunked: Transfer-Encoding: chunked; length: the Content-Length, or
	// -1 for none.
	chunked bool
	length  int
	// drop has bit k set for header line k that is not forwarded as it
	// came (Host and the body framing); heads of more than 64 header lines
	// are not taken.
	drop uint64
}

// method returns the request's method.
func (r rawRequest) method() string {
	if r.post {
		return "POST"
	}
	return "GET"
}

// rawResponse is an upstream answer head the byte relay takes
// (scanRawResponse).
type rawResponse struct {
	status int
	length int
	// requestID and deadline are the spans of the first
	// Lambda-Runtime-Aws-Request-Id and Lambda-Runtime-Deadline-Ms values
	// (both ends 0 when absent).
	requestID [2]int
	deadline  [2]int
}

// hasRequestID reports a request id that is not empty, as the usual path
// finds it (Header.Get of the first value).
func (r rawResponse) hasRequestID() bool { return r.requestID[1] > r.requestID[0] }

// Kinds of header fields, by name.
const (
	fieldOther = iota
	fieldRefused
	fieldHost
	fieldLength
	fieldCoding
	fieldTrailer
	fieldRequestID
	fieldDeadline
)

// fieldKind classifies a header name, ignoring case. Refused are the
// hop-by-hop headers, those net/http would act on (Expect, Pragma) and
// Lambda-Runtime-Function-Response-Mode (streamed responses).
func fieldKind(name []byte) int {
	is := func(lower string) bool { return lowerEqual(name, lower) }
	switch len(name) {
	case 2:
		if is("te") {
			return fieldRefused
		}
	case 4:
		if is("host") {
			return fieldHost
		}
	case 6:
		if is("expect") || is("pragma") {
			return fieldRefused
		}
	case 7:
		if is("upgrade") {
			return fieldRefused
		}
		if is("trailer") {
			return fieldTrailer
		}
	case 10:
		if is("connection") || is("keep-alive") {
			return fieldRefused
		}
	case 14:
		if is("content-length") {
			return fieldLength
		}
	case 16:
		if is("proxy-connection") {
			return fieldRefused
		}
	case 17:
		if is("transfer-encoding") {
			return fieldCoding
		}
	case 18:
		if is("proxy-authenticate") {
			return fieldRefused
		}
	case 19:
		if is("proxy-authorization") {
			return fieldRefused
		}
	case 26:
		if is("lambda-runtime-deadline-ms") {
			return fieldDeadline
		}
	case 29:
		if is("lambda-runtime-aws-request-id") {
			return fieldRequestID
		}
	case 37:
		if is("lambda-runtime-function-response-mode") {
			return fieldRefused
		}
	}
	return fieldOther
}

// lowerEqual reports whether b, in ASCII lower case, is lower.
func lowerEqual(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// nextField splits the header line at the start of h (which must end with
// the head's empty line). It returns the name and the value's span in h
// without surrounding white space, the length of the line with its CRLF, and
// ok=false for a line the relay does not take. An empty name with n == 2 is
// the empty line.
func nextField(h []byte) (name []byte, vs, ve, n int, ok bool) {
	end := bytes.IndexByte(h, '\n')
	if end < 1 || h[end-1] != '\r' {
		return nil, 0, 0, 0, false
	}
	line := h[:end-1]
	if len(line) == 0 {
		return nil, 0, 0, 2, true
	}
	colon := 0
	for colon < len(line) && line[colon] != ':' {
		if !tokenByte(line[colon]) {
			return nil, 0, 0, 0, false
		}
		colon++
	}
	if colon == 0 || colon == len(line) {
		return nil, 0, 0, 0, false
	}
	for _, c := range line[colon+1:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return nil, 0, 0, 0, false
		}
	}
	vs, ve = colon+1, len(line)
	for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
		ve--
	}
	return line[:colon], vs, ve, end + 1, true
}

// trailerNames yields the names a Trailer value declares, as net/http
// splits them: at commas, trimmed of ASCII white space, empty ones skipped.
func trailerNames(v []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for name := range bytes.SplitSeq(v, []byte(",")) {
			if name = textproto.TrimBytes(name); len(name) > 0 && !yield(name) {
				return
			}
		}
	}
}

// plainTrailerNames reports whether a Trailer value names no framing
// header (Content-Length, Transfer-Encoding, Trailer), which net/http
// refuses to read a request with.
func plainTrailerNames(v []byte) bool {
	for name := range trailerNames(v) {
		if lowerEqual(name, "content-length") || lowerEqual(name, "transfer-encoding") || lowerEqual(name, "trailer") {
			return false
		}
	}
	return true
}

// rawLength parses a Content-Length value: 1 to 9 digits, no leading zero.
func rawLength(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 9 || len(v) > 1 && v[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + int(c-'0')
	}
	return n, true
}

// scanRawRequest scans a request head (through its empty line): GET or
// POST, HTTP/1.1, a target under /2018-06-01/runtime/ made of plain path
// bytes, one Host, and for a POST one Content-Length, or chunked encoding
// (declared trailers allowed), or neither; a GET has no body framing.
func scanRawRequest(head []byte) (rawRequest, bool) {
	r := rawRequest{length: -1}
	switch {
	case bytes.HasPrefix(head, []byte("GET ")):
		r.targetStart = 4
	case bytes.HasPrefix(head, []byte("POST ")):
		r.post, r.targetStart = true, 5
	default:
		return r, false
	}
	sp := bytes.IndexByte(head[r.targetStart:], ' ')
	if sp < 0 {
		return r, false
	}
	r.targetEnd = r.targetStart + sp
	target := head[r.targetStart:r.targetEnd]
	if !bytes.HasPrefix(target, []byte(runtimeAPIVersionPrefix)) {
		return r, false
	}
	for _, c := range target {
		if !plainPathByte(c) {
			return r, false
		}
	}
	if !bytes.HasPrefix(head[r.targetEnd:], []byte(" HTTP/1.1\r\n")) {
		return r, false
	}
	r.line = r.targetEnd + len(" HTTP/1.1\r\n")
	r.next = !r.post && string(target) == pathInvocationNext
	hosts, codings, trailers := 0, 0, 0
	for h, k := head[r.line:], 0; ; k++ {
		name, vs, ve, n, ok := nextField(h)
		if !ok {
			return r, false
		}
		if name == nil {
			if n != len(h) || hosts != 1 {
				return r, false
			}
			break
		}
		if k == 64 {
			return r, false
		}
		switch kind := fieldKind(name); kind {
		case fieldRefused:
			return r, false
		case fieldHost, fieldLength, fieldCoding, fieldTrailer:
			r.drop |= 1 << k
			switch kind {
			case fieldHost:
				hosts++
			case fieldLength:
				if r.length >= 0 {
					return r, false
				}
				if r.length, ok = rawLength(h[vs:ve]); !ok {
					return r, false
				}
			case fieldCoding:
				codings++
				r.chunked = lowerEqual(h[vs:ve], "chunked")
			default:
				trailers++
				if !plainTrailerNames(h[vs:ve]) {
					return r, false
				}
			}
		}
		h = h[n:]
	}
	switch {
	case codings > 1 || codings == 1 && !r.chunked || r.chunked && r.length >= 0:
		return r, false
	case !r.post && (r.length >= 0 || codings > 0 || trailers > 0):
		return r, false
	case trailers > 0 && !r.chunked:
		return r, false
	}
	return r, true
}

// scanRawResponse scans an upstream answer head (through its empty line):
// HTTP/1.1, a final status other than 204 and 304, one Content-Length, no
// Transfer-Encoding or Trailer.
func scanRawResponse(head []byte) (rawResponse, bool) {
	r := rawResponse{length: -1}
	if len(head) < 14 || !bytes.HasPrefix(head, []byte("HTTP/1.1 ")) {
		return r, false
	}
	for _, c := range head[9:12] {
		if c < '0' || c > '9' {
			return r, false
		}
		r.status = 10*r.status + int(c-'0')
	}
	if r.status < 200 || r.status == 204 || r.status == 304 {
		return r, false
	}
	end := bytes.IndexByte(head, '\n')
	if end < 13 || head[end-1] != '\r' || end > 13 && head[12] != ' ' {
		return r, false
	}
	for _, c := range head[12 : end-1] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return r, false
		}
	}
	off := end + 1
	for {
		name, vs, ve, n, ok := nextField(head[off:])
		if !ok {
			return r, false
		}
		if name == nil {
			if off+n != len(head) || r.length < 0 {
				return r, false
			}
			return r, true
		}
		switch fieldKind(name) {
		case fieldRefused, fieldCoding, fieldTrailer:
			return r, false
		case fieldLength:
			if r.length >= 0 {
				return r, false
			}
			if r.length, ok = rawLength(head[off+vs : off+ve]); !ok {
				return r, false
			}
		case fieldRequestID:
			if r.requestID[1] == 0 {
				r.requestID = [2]int{off + vs, off + ve}
			}
		case fieldDeadline:
			if r.deadline[1] == 0 {
				r.deadline = [2]int{off + vs, off + ve}
			}
		}
		off += n
	}
}

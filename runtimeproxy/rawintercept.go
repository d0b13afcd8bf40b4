package runtimeproxy

import (
	"bytes"
	"net/http"
	"net/textproto"
)

// With an Interceptor, the byte relay also takes the runtime's results
// (POST .../{id}/response and .../{id}/error) that it would take for
// PassThrough: showResult shows each to the Interceptor first, as
// serveResult does, then the relay forwards it, or the Interceptor's
// replacement of its body. Streamed responses, bodies bigger than the
// connection's buffer and trailers with values are never taken: they keep
// the usual path. Events are decided on in rawnext.go.

// showResult shows the result in req (head of headLen bytes, body of size
// bytes decoded) posted for t to the Interceptor, and returns the body to
// forward, decoded, or nil to forward the result's own: the Interceptor's
// replacement, or else the copy of a chunked body it was shown (decoded
// once, not again when it is sent).
func (s *Server) showResult(rq rawRequest, req []byte, headLen, size int, t *tracked, isError bool) []byte {
	ctx, done := t.context()
	defer done()
	lines := req[rq.line:headLen]
	res := &Result{}
	// The lines outlive the connection's buffer: the Interceptor may keep res.
	res.header.lines, res.header.skip = bytes.Clone(lines), skipRequestField
	if !isError && t.observe && size <= s.maxBuffered {
		// The Interceptor may keep the body: it gets its own copy.
		body := make([]byte, 0, size)
		if rq.chunked {
			chunkData(req[headLen:], func(p []byte) { body = append(body, p...) })
		} else {
			body = append(body, req[headLen:headLen+size]...)
		}
		res.Buffered, res.Body, res.Trailer = true, body, rawTrailer(lines)
	}
	if isError {
		s.interceptor.Error(ctx, t.inv, res)
		return nil
	}
	s.interceptor.Response(ctx, t.inv, res)
	switch {
	case res.Buffered && res.Replace != nil:
		return res.Replace
	case res.Buffered && rq.chunked:
		return res.Body
	}
	return nil
}

// rawTrailer returns the names the Trailer lines of a head scanRawRequest
// took declare, with no values (as Request.Trailer holds them after a body
// whose trailer section is empty, the only kind the byte relay takes), or
// nil when they declare none.
func rawTrailer(lines []byte) (trailer http.Header) {
	for len(lines) > 2 {
		name, vs, ve, n, _ := nextField(lines)
		if fieldKind(name) == fieldTrailer {
			if trailer == nil {
				trailer = make(http.Header, 2)
			}
			for name := range trailerNames(lines[vs:ve]) {
				trailer[textproto.CanonicalMIMEHeaderKey(string(name))] = nil
			}
		}
		lines = lines[n:]
	}
	if len(trailer) == 0 {
		trailer = nil // as net/http: no names declared
	}
	return trailer
}

package runtimeproxy

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/idemproxy/idemproxy/internal/readall"
)

// serveResult handles the runtime's POST .../invocation/{id}/response and
// .../{id}/error: it shows the result to the Interceptor, then forwards it.
func (s *Server) serveResult(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	t := s.lookup(id)
	if t == nil {
		s.forward(w, r, r.Body, r.ContentLength)
		return
	}
	ctx, done := t.context()
	defer done()
	res := &Result{}
	res.header.h = r.Header
	if !isError && t.observe && isStreaming(r) && s.observeStream(ctx, w, r, t, res) {
		return
	}
	body, length := io.Reader(r.Body), r.ContentLength
	if !isError && t.observe && !isStreaming(r) {
		buf, err := readAtMost(r.Body, r.ContentLength, s.maxBuffered)
		switch {
		case err != nil:
			// The runtime's body broke off; upstream sees the same truncation.
			body = io.MultiReader(bytes.NewReader(buf), errReader{err})
		case len(buf) > s.maxBuffered:
			body = io.MultiReader(bytes.NewReader(buf), r.Body)
		default:
			res.Buffered, res.Body, res.Trailer = true, buf, r.Trailer
			body, length = bytes.NewReader(buf), int64(len(buf))
			if length == 0 {
				body = http.NoBody
			}
		}
	}
	if isError || (res.Buffered && trailerError(r.Trailer)) {
		s.interceptor.Error(ctx, t.inv, res)
	} else {
		s.interceptor.Response(ctx, t.inv, res)
		if res.Buffered && res.Replace != nil {
			body, length = replaced(r, res.Replace)
		}
	}
	s.forwardThen(w, r, body, length, func(status int) { s.accepted(t, status) })
}

func isStreaming(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get(HeaderResponseMode), ResponseModeStreaming)
}

// trailerError reports whether trailers carry a function error.
func trailerError(tr http.Header) bool {
	return tr.Get(HeaderFunctionErrorType) != ""
}

// readAtMost reads the body, stopping after max+1 bytes; on a read error it
// returns what it read before it. A body of known length is read into one
// buffer of that length plus bytes.MinRead, the room ReadFrom wants free
// before each read, the one that finds the end included (with less, that
// last read would double the buffer). Any other body, such as aws-lambda-go's
// chunked responses, is read by readall.ReadAll.
func readAtMost(body io.Reader, contentLength int64, max int) ([]byte, error) {
	r := io.LimitReader(body, int64(max)+1)
	if contentLength > 0 && contentLength <= int64(max) {
		buf := bytes.NewBuffer(make([]byte, 0, int(contentLength)+bytes.MinRead))
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	return readall.ReadAll(r)
}

// errReader returns err on every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// replaced returns the body and length that forward the Interceptor's
// replacement of a buffered response: declared trailers are dropped (the
// replacement has none) and the length is the replacement's.
func replaced(r *http.Request, body []byte) (io.Reader, int64) {
	r.Trailer = nil
	r.Header.Del("Trailer")
	if len(body) == 0 {
		return http.NoBody, 0
	}
	return bytes.NewReader(body), int64(len(body))
}

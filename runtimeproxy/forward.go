package runtimeproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// forward sends r upstream with body and relays the upstream response to w
// exactly: status, headers (minus hop-by-hop ones), body flushed as it
// arrives, and trailers.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, body io.Reader, contentLength int64) {
	s.forwardThen(w, r, body, contentLength, nil)
}

// forwardThen is forward calling then, if not nil, once upstream has
// answered (with its status) or failed (with 0), before anything is relayed
// to the runtime.
func (s *Server) forwardThen(w http.ResponseWriter, r *http.Request, body io.Reader, contentLength int64, then func(status int)) {
	if then == nil {
		then = func(int) {}
	}
	body, contentLength = preread(r, body, contentLength)
	out, err := s.newUpstreamRequest(r, body, contentLength)
	if err != nil {
		then(0)
		s.upstreamFailed(w, r, err)
		return
	}
	if _, whole := body.(*bytes.Reader); whole && len(out.Trailer) > 0 && !hasValues(r.Trailer) {
		// The body was read to its end and its declared trailers came
		// empty (aws-lambda-go declares two on every POST): no trailers,
		// so the body goes with its length.
		out.Trailer, out.ContentLength = nil, int64(body.(*bytes.Reader).Len())
	}
	resp, err := s.do(out)
	if err != nil {
		then(0)
		s.upstreamFailed(w, r, err)
		return
	}
	defer resp.Body.Close()
	then(resp.StatusCode)
	s.relay(w, resp)
}

// preread reads a small request body before it is forwarded, so that the
// request can take the direct path (and be sent again on a stale
// connection): a body of known length up to fastBodyMax is read whole, and
// so is a chunked one that is not a streamed response, if it ends within
// fastBodyMax bytes without trailer values (it is then sent with its
// length).
// Anything else is forwarded as it arrives, the bytes already read first,
// with the same truncation if the runtime's body broke off.
func preread(r *http.Request, body io.Reader, contentLength int64) (io.Reader, int64) {
	if _, buffered := body.(*bytes.Reader); buffered {
		return body, contentLength
	}
	switch {
	case contentLength > 0 && contentLength <= fastBodyMax && !isChunked(r):
		buf := make([]byte, contentLength)
		if n, err := io.ReadFull(body, buf); err != nil {
			return io.MultiReader(bytes.NewReader(buf[:n]), errReader{err}), contentLength
		}
		return bytes.NewReader(buf), contentLength
	case contentLength < 0 && isChunked(r) && !isStreaming(r):
		buf, err := readAtMost(body, -1, fastBodyMax)
		switch {
		case err != nil:
			return io.MultiReader(bytes.NewReader(buf), errReader{err}), contentLength
		case len(buf) > fastBodyMax:
			return io.MultiReader(bytes.NewReader(buf), body), contentLength
		case hasValues(r.Trailer):
			return bytes.NewReader(buf), contentLength // trailers: stays chunked
		}
		return bytes.NewReader(buf), int64(len(buf))
	}
	return body, contentLength
}

// hasValues reports whether any trailer (or header) of h has a value.
func hasValues(h http.Header) bool {
	for _, vv := range h {
		if len(vv) > 0 {
			return true
		}
	}
	return false
}

// newUpstreamRequest builds the upstream twin of r. Request trailers are
// passed by sharing r.Trailer: net/http fills it in place when the body has
// been read to its end, just before the transport writes the trailers.
func (s *Server) newUpstreamRequest(r *http.Request, body io.Reader, contentLength int64) (*http.Request, error) {
	u := *r.URL
	u.Scheme, u.Host, u.User = "http", s.upstream, nil
	if contentLength == 0 && !isChunked(r) {
		body = http.NoBody
	}
	// The URL is set directly rather than printed and parsed again: the
	// request is written with u.RequestURI() either way.
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "", body)
	if err != nil {
		return nil, err
	}
	out.URL, out.Host = &u, u.Host
	out.Header = cloneEndToEnd(r.Header)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""} // net/http must not add its own
	}
	out.ContentLength = contentLength
	if len(r.Trailer) > 0 {
		out.Trailer = r.Trailer
		out.ContentLength = -1 // trailers need a chunked body
	}
	return out, nil
}

func isChunked(r *http.Request) bool {
	return len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"
}

// relay copies an upstream response to w, flushing every read so streamed
// bodies reach the runtime as they arrive, then copies the trailers.
func (s *Server) relay(w http.ResponseWriter, resp *http.Response) {
	h := w.Header()
	copyEndToEnd(h, resp.Header)
	if _, ok := resp.Header[headerContentType]; !ok {
		h[headerContentType] = nil // no content sniffing
	}
	if resp.ContentLength >= 0 && len(resp.Trailer) == 0 {
		h.Set(headerContentLength, itoa(resp.ContentLength))
	}
	if len(resp.Trailer) > 0 {
		keys := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			keys = append(keys, k)
		}
		h["Trailer"] = []string{strings.Join(keys, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	if resp.ContentLength != 0 {
		buf := s.copyBufs.Get().(*[]byte)
		_, err := copyFlush(w, resp.Body, resp.ContentLength < 0, *buf)
		s.copyBufs.Put(buf)
		if err != nil {
			s.log.Debug("relay body", "error", safeError(err))
		}
	}
	for k, vv := range resp.Trailer {
		if len(vv) > 0 {
			h[k] = vv
		}
	}
}

// copyFlush copies src to w through buf, flushing after each read when
// flush is set.
func copyFlush(w http.ResponseWriter, src io.Reader, flush bool, buf []byte) (int64, error) {
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
			if rc != nil {
				if err := rc.Flush(); err != nil {
					return n, err
				}
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// upstreamFailed answers the runtime when upstream could not be reached. A
// runtime that went away (its context ended) gets nothing.
func (s *Server) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	err = safeError(err) // never quote what upstream sent
	s.log.Error("upstream Runtime API request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusBadGateway, "Runtime.ProxyUpstreamError", "idemproxy: upstream Runtime API request failed: "+err.Error())
}

// writeError writes a Runtime-API-shaped error body.
func writeError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set(headerContentType, contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(errorType, message))
}

// cloneEndToEnd copies h without hop-by-hop headers.
func cloneEndToEnd(h http.Header) http.Header {
	out := make(http.Header, len(h))
	copyEndToEnd(out, h)
	return out
}

// copyEndToEnd copies src into dst, leaving out hop-by-hop headers, the
// headers named in Connection, and Content-Length (set from the body).
func copyEndToEnd(dst, src http.Header) {
	var conn []string
	if c := src["Connection"]; len(c) > 0 {
		for _, v := range c {
			for _, f := range strings.Split(v, ",") {
				if f = textproto.TrimString(f); f != "" {
					conn = append(conn, http.CanonicalHeaderKey(f))
				}
			}
		}
	}
	// One backing array for all the copied values; each key's slice is
	// capped, so that appending to one never overwrites the next.
	total := 0
	for _, vv := range src {
		total += len(vv)
	}
	vals := make([]string, 0, total)
next:
	for k, vv := range src {
		if k == headerContentLength {
			continue
		}
		for _, hop := range hopHeaders {
			if k == hop {
				continue next
			}
		}
		for _, c := range conn {
			if k == c {
				continue next
			}
		}
		if len(vv) == 0 {
			dst[k] = nil
			continue
		}
		start := len(vals)
		vals = append(vals, vv...)
		dst[k] = vals[start:len(vals):len(vals)]
	}
}

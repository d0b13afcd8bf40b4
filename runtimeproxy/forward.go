package runtimeproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// forward sends r upstream with body and relays the upstream response to w
// exactly: status, headers (minus hop-by-hop ones), body flushed as it
// arrives, and trailers. It returns the upstream status, or 0 if there was none.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, body io.Reader, contentLength int64) int {
	out, err := s.newUpstreamRequest(r, body, contentLength)
	if err != nil {
		s.upstreamFailed(w, r, err)
		return 0
	}
	resp, err := s.client.Do(out)
	if err != nil {
		s.upstreamFailed(w, r, err)
		return 0
	}
	defer resp.Body.Close()
	s.relay(w, resp)
	return resp.StatusCode
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
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
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
		if _, err := copyFlush(w, resp.Body, resp.ContentLength < 0); err != nil {
			s.log.Debug("relay body", "error", err)
		}
	}
	for k, vv := range resp.Trailer {
		if len(vv) > 0 {
			h[k] = vv
		}
	}
}

// copyFlush copies src to w, flushing after each read when flush is set.
func copyFlush(w http.ResponseWriter, src io.Reader, flush bool) (int64, error) {
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	buf := make([]byte, 32<<10)
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
	s.log.Error("upstream Runtime API request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusBadGateway, "Runtime.ProxyUpstreamError", "idemproxy: upstream Runtime API unreachable: "+err.Error())
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
		dst[k] = append([]string(nil), vv...)
	}
}

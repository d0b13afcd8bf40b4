package runtimeproxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// The byte relay serves the runtime's requests. When there is nothing to
// intercept (the Interceptor is PassThrough: idempotency disabled) it relays
// them as they are; otherwise results are shown to the Interceptor first
// (rawintercept.go) and events are decided on (rawnext.go). A
// request whose head scanRawRequest takes and whose whole body is already
// in the connection's buffer (up to fastHeadMax, the buffer's size) is
// written upstream as it came, with the upstream Host and its body by
// length (a chunked body with no trailers is sent decoded, as the usual
// path does); an answer whose head scanRawResponse takes is written back
// as it came, its body copied by length. No http.Request, http.Response or
// header map is made. Anything else (bigger or unusual requests, streamed
// responses, answers that are chunked or carry hop-by-hop headers) takes
// the usual path, which reads the same bytes; invocations are tracked as
// on that path (InFlight).

// rawOutcome is what relayRaw did with a request.
type rawOutcome uint8

const (
	rawDeclined rawOutcome = iota // nothing consumed: the usual path serves it
	rawServed                     // answered; the connection carries on
	rawClosed                     // the connection must be closed
)

var errRuntimeHungUp = errors.New("runtimeproxy: the runtime hung up")

// relayRaw serves the request whose head (of headLen bytes) is buffered in
// fc.br, if the byte relay takes it.
func (s *Server) relayRaw(fc *fastConn, headLen int) rawOutcome {
	head, _ := fc.br.Peek(headLen)
	rq, ok := scanRawRequest(head)
	if !ok {
		return rawDeclined
	}
	if rq.next && !s.passive {
		s.relayed.Add(1)
		out := s.relayNext(fc, rq, head) // an Interceptor decides on events
		if out == rawServed {
			_, _ = fc.br.Discard(headLen)
		}
		return out
	}
	total, size := headLen, 0
	switch {
	case rq.length > 0:
		total, size = headLen+rq.length, rq.length
		if total > fc.br.Size() {
			return rawDeclined
		}
		if _, err := fc.br.Peek(total); err != nil {
			return rawClosed
		}
	case rq.chunked:
		for {
			buf, _ := fc.br.Peek(fc.br.Buffered())
			wire, n, more, ok := scanChunked(buf[headLen:])
			if !ok {
				return rawDeclined
			}
			if !more {
				total, size = headLen+wire, n
				break
			}
			if len(buf) >= fc.br.Size() {
				return rawDeclined
			}
			if _, err := fc.br.Peek(len(buf) + 1); err != nil {
				return rawClosed
			}
		}
	}
	req, _ := fc.br.Peek(total)
	var t *tracked
	id, isError, ok := resultID(req[rq.targetStart:rq.targetEnd])
	if ok {
		// s.lookup, indexed with the id's bytes: no string is made.
		s.mu.Lock()
		t = s.invocations[string(id)]
		s.mu.Unlock()
	}
	s.relayed.Add(1)
	var body []byte // if not nil, the body to send (decoded) instead of req's
	if t != nil && !s.passive {
		body = s.showResult(rq, req, headLen, size, t, isError)
	}
	var out rawOutcome
	c, err := s.rawSend(fc, rq, req, headLen, size, body)
	switch {
	case errors.Is(err, errRuntimeHungUp):
		return rawClosed
	case err != nil:
		out = s.rawFailed(fc, rq, err)
	default:
		out = s.rawAnswer(fc, c, rq, t)
	}
	if out == rawServed {
		_, _ = fc.br.Discard(total)
	}
	return out
}

// resultID returns the request id of a POST .../{id}/response or
// .../{id}/error target (plain path bytes, so unescaped already), and
// whether it is the error.
func resultID(target []byte) (id []byte, isError, ok bool) {
	if len(target) <= len(pathInvocationPrefix) || string(target[:len(pathInvocationPrefix)]) != pathInvocationPrefix {
		return nil, false, false
	}
	rest := target[len(pathInvocationPrefix):]
	for _, suffix := range [...]string{invocationResponseSuffix, invocationErrorSuffix} {
		if n := len(rest) - len(suffix); n > 0 && string(rest[n:]) == suffix {
			for _, c := range rest[:n] {
				if c == '/' {
					return nil, false, false
				}
			}
			return rest[:n], suffix == invocationErrorSuffix, true
		}
	}
	return nil, false, false
}

// rawSend writes the request upstream on a pooled connection and waits for
// the first byte of the answer; a long poll is watched meanwhile, and ends
// with errRuntimeHungUp if the runtime hangs up. As directClient.do does, a
// request that failed on a reused connection before any answer arrived is
// sent again on a new one if it is a GET or was not written whole.
func (s *Server) rawSend(fc *fastConn, rq rawRequest, req []byte, headLen, size int, body []byte) (*directConn, error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := s.direct.get(context.Background())
		if err != nil {
			return nil, err
		}
		c.aborted, c.cr.n = false, 0 // only sound connections come back from the pool
		writeRawRequest(c.bw, req, rq, s.upstream, headLen, size, body)
		err = c.bw.Flush()
		flushed := err == nil
		if flushed {
			if rq.next {
				fc.w.reset(fc.bw, fc.c)
				s.watch.add(&fc.w, c.abort)
			}
			_, err = c.br.Peek(1)
			if rq.next {
				s.watch.remove(&fc.w)
			}
		}
		if err == nil {
			return c, nil
		}
		c.nc.Close()
		if c.isAborted() {
			return nil, errRuntimeHungUp
		}
		if !reused || attempt > 0 || c.cr.n > 0 || flushed && rq.post {
			return nil, err
		}
	}
}

// writeRawRequest writes the request in req (head of headLen bytes, then
// its body) to bw: the request line and headers as they came, except Host
// (upstream's instead) and the body framing (Content-Length of the body's
// size for a POST). A non-nil body is sent instead of req's.
func writeRawRequest(bw *bufio.Writer, req []byte, rq rawRequest, host string, headLen, size int, body []byte) {
	if body != nil {
		size = len(body)
	}
	_, _ = bw.Write(req[:rq.line])
	_, _ = bw.WriteString("Host: ")
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString("\r\n")
	// The lines were checked by scanRawRequest: each ends with CRLF.
	for h, k := req[rq.line:headLen], 0; len(h) > 2; k++ {
		n := bytes.IndexByte(h, '\n') + 1
		if rq.drop&(1<<k) == 0 {
			_, _ = bw.Write(h[:n])
		}
		h = h[n:]
	}
	if rq.post {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(size), 10))
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	switch {
	case body != nil:
		_, _ = bw.Write(body)
	case rq.chunked:
		chunkData(req[headLen:], func(p []byte) { _, _ = bw.Write(p) })
	default:
		_, _ = bw.Write(req[headLen : headLen+size])
	}
}

// rawAnswer relays upstream's answer on c to the runtime. c goes back to
// the pool if it is sound. t, the invocation a result is posted for (or
// nil), is done once upstream accepted it, before the runtime sees that.
func (s *Server) rawAnswer(fc *fastConn, c *directConn, rq rawRequest, t *tracked) rawOutcome {
	buf, _ := c.br.Peek(c.br.Buffered())
	end := headEnd(buf)
	rs, ok := rawResponse{}, false
	if end >= 0 {
		rs, ok = scanRawResponse(buf[:end])
	}
	if !ok {
		return s.parsedAnswer(fc, c, rq, t)
	}
	s.accepted(t, rs.status)
	if rq.next && rs.status == http.StatusOK && rs.hasRequestID() {
		s.track(&Invocation{
			RequestID: string(buf[rs.requestID[0]:rs.requestID[1]]),
			Deadline:  parseDeadline(string(buf[rs.deadline[0]:rs.deadline[1]])),
		}, false, nil, nil)
	}
	_, _ = fc.bw.Write(buf[:end])
	_, _ = c.br.Discard(end)
	for n := rs.length; n > 0; {
		if c.br.Buffered() == 0 {
			if _, err := c.br.Peek(1); err != nil {
				c.nc.Close()
				s.log.Debug("relay body", "error", safeError(err))
				return rawClosed // the runtime gets a truncated body, as upstream sent it
			}
		}
		p, _ := c.br.Peek(min(n, c.br.Buffered()))
		_, _ = fc.bw.Write(p)
		_, _ = c.br.Discard(len(p))
		n -= len(p)
	}
	s.releaseRaw(c, true)
	if fc.bw.Flush() != nil {
		return rawClosed
	}
	return rawServed
}

// parsedAnswer relays an answer the byte relay does not take (still
// arriving, chunked, informational first, hop-by-hop headers) as the usual
// path does: read by net/http's rules and written by fastWriter.
func (s *Server) parsedAnswer(fc *fastConn, c *directConn, rq rawRequest, t *tracked) rawOutcome {
	resp, err := s.direct.readFinal(c, &http.Request{Method: rq.method()})
	if err != nil {
		c.nc.Close()
		return s.rawFailed(fc, rq, err)
	}
	s.accepted(t, resp.StatusCode)
	body := &eofBody{r: resp.Body}
	resp.Body = body
	fc.w.reset(fc.bw, fc.c)
	if rq.next && resp.StatusCode == http.StatusOK && resp.Header.Get(HeaderRequestID) != "" {
		event, err := readBody(resp)
		if err != nil {
			c.nc.Close()
			return s.rawFailed(fc, rq, err)
		}
		s.track(newInvocation(resp, event), false, nil, nil)
		s.deliver(&fc.w, resp, event)
	} else {
		s.relay(&fc.w, resp)
	}
	s.releaseRaw(c, body.eof && !resp.Close)
	if !fc.w.finish() {
		return rawClosed
	}
	return rawServed
}

// eofBody records that a body was read to its end.
type eofBody struct {
	r   io.ReadCloser
	eof bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *eofBody) Close() error { return b.r.Close() }

// releaseRaw returns c to the pool if keep is set, the exchange was not
// aborted and nothing follows the answer.
func (s *Server) releaseRaw(c *directConn, keep bool) {
	if keep && !c.isAborted() && c.br.Buffered() == 0 {
		s.direct.put(c)
		return
	}
	c.nc.Close()
}

// rawFailed answers the runtime when upstream could not be reached or
// answered garbage, as upstreamFailed does.
func (s *Server) rawFailed(fc *fastConn, rq rawRequest, err error) rawOutcome {
	err = safeError(err)
	head, _ := fc.br.Peek(rq.targetEnd)
	s.log.Error("upstream Runtime API request failed", "method", rq.method(), "path", string(head[rq.targetStart:]), "error", err)
	fc.w.reset(fc.bw, fc.c)
	writeError(&fc.w, http.StatusBadGateway, "Runtime.ProxyUpstreamError", "idemproxy: upstream Runtime API request failed: "+err.Error())
	if !fc.w.finish() {
		return rawClosed
	}
	return rawServed
}

package runtimeproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
)

// With an Interceptor, the byte relay also takes the runtime's GET /next:
// relayNext fetches events upstream until the Interceptor lets one through,
// as serveNext does. An event whose answer scanRawResponse takes is read
// without an http.Response: Invocation.Header, if the Interceptor asks for
// it, is built from the head's lines as http.ReadResponse reads them, and
// an event it forwards unchanged reaches the runtime as upstream wrote it,
// as with PassThrough.
// Any other answer is read by net/http's rules (parsedNext) and goes on as
// on the usual path.

// relayNext serves the runtime's GET /next (the head in req, which has no
// body) when an Interceptor decides on events.
func (s *Server) relayNext(fc *fastConn, rq rawRequest, req []byte) rawOutcome {
	for {
		c, err := s.rawSend(fc, rq, req, len(req), 0, nil)
		switch {
		case errors.Is(err, errRuntimeHungUp):
			return rawClosed // the event, if any, stays upstream
		case err != nil:
			return s.rawFailed(fc, rq, err)
		}
		buf, _ := c.br.Peek(c.br.Buffered())
		end := headEnd(buf)
		rs, ok := rawResponse{}, false
		if end >= 0 {
			rs, ok = scanRawResponse(buf[:end])
		}
		if !ok || rs.length > DefaultMaxBufferedBytes {
			// An event over the limit is read as it arrives, not into a
			// buffer of the size its Content-Length claims.
			out, again := s.parsedNext(fc, c, rq)
			if again {
				continue
			}
			return out
		}
		if rs.status != http.StatusOK || !rs.hasRequestID() {
			return s.rawAnswer(fc, c, rq, nil) // not an invocation: relayed as it came
		}
		// The head and the event, in one allocation, outlive the
		// connection's buffer: the Interceptor may keep the invocation.
		whole := make([]byte, end+rs.length)
		head, event := whole[:end:end], whole[end:]
		copy(head, buf[:end])
		_, _ = c.br.Discard(end)
		if _, err := io.ReadFull(c.br, event); err != nil {
			c.nc.Close()
			return s.rawFailed(fc, rq, err)
		}
		s.releaseRaw(c, true)
		inv := &Invocation{
			RequestID: string(head[rs.requestID[0]:rs.requestID[1]]),
			Deadline:  parseDeadline(string(head[rs.deadline[0]:rs.deadline[1]])),
			Event:     event,
		}
		inv.header.lines = head[bytes.IndexByte(head, '\n')+1:] // built on demand
		d := s.onEvent(context.Background(), inv)
		switch {
		case d.Action == Forward && d.Event == nil:
			_, _ = fc.bw.Write(head)
			_, _ = fc.bw.Write(event)
			if fc.bw.Flush() != nil {
				return rawClosed
			}
			return rawServed
		case d.Action == Forward:
			fc.w.reset(fc.bw, fc.c)
			s.deliver(&fc.w, &http.Response{StatusCode: rs.status, Header: inv.Header()}, d.Event)
			return s.finished(fc)
		}
		if fc.w.reset(fc.bw, fc.c); fc.w.runtimeGone() {
			return rawClosed
		}
	}
}

// parsedNext goes on with an upstream /next answer on c that the byte
// relay does not take, read by net/http's rules: it is relayed, or its
// event is decided on as serveNext does. again reports an event the
// Interceptor answered itself, after which the runtime still waits.
func (s *Server) parsedNext(fc *fastConn, c *directConn, rq rawRequest) (out rawOutcome, again bool) {
	resp, err := s.direct.readFinal(c, &http.Request{Method: http.MethodGet})
	if err != nil {
		c.nc.Close()
		return s.rawFailed(fc, rq, err), false
	}
	body := &eofBody{r: resp.Body}
	resp.Body = body
	fc.w.reset(fc.bw, fc.c)
	if resp.StatusCode != http.StatusOK {
		s.relay(&fc.w, resp)
		s.releaseRaw(c, body.eof && !resp.Close)
		return s.finished(fc), false
	}
	event, err := readBody(resp)
	if err != nil {
		c.nc.Close()
		return s.rawFailed(fc, rq, err), false
	}
	s.releaseRaw(c, body.eof && !resp.Close)
	switch {
	case s.offerEvent(context.Background(), &fc.w, resp, event):
		return s.finished(fc), false
	case fc.w.runtimeGone():
		return rawClosed, false
	}
	return rawServed, true
}

// onEvent asks the Interceptor about inv under the invocation's context
// (invocationContext), then tracks the invocation with that context if the
// event is forwarded (the Interceptor's calls for its result run under it
// too), or posts the Interceptor's answer upstream.
func (s *Server) onEvent(parent context.Context, inv *Invocation) Decision {
	ctx, cancel := invocationContext(parent, inv)
	d := s.interceptor.Invoke(ctx, inv)
	if d.Action == Forward {
		s.track(inv, d.Observe, ctx, cancel)
		return d
	}
	cancel()
	s.answer(parent, inv, d)
	return d
}

// finished ends an answer written with fc.w.
func (s *Server) finished(fc *fastConn) rawOutcome {
	if !fc.w.finish() {
		return rawClosed
	}
	return rawServed
}

package runtimeproxy

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// StreamObserver is an optional interface of an Interceptor, for streamed
// responses (Lambda-Runtime-Function-Response-Mode: streaming), which the
// proxy never buffers. For each streamed /response of an observed
// invocation (Decision.Observe), the proxy calls ObserveStream before
// forwarding it. If it returns a StreamSink, the stream passes through
// upstream exactly as it would otherwise (chunk by chunk, flushed, with its
// trailers), the sink gets a copy of every chunk as it goes, and then how
// the stream ended; Interceptor.Response is not called for that response.
// If it returns nil, Interceptor.Response is called as for any unbuffered
// response.
type StreamObserver interface {
	ObserveStream(ctx context.Context, inv *Invocation, res *Result) StreamSink
}

// StreamSink receives one streamed response as it passes through the proxy.
type StreamSink interface {
	// Write is called with each piece of the body as it is forwarded. p is
	// only valid during the call. Calls never overlap each other or End,
	// and none follows End.
	Write(p []byte)
	// End is called once, when upstream has answered the runtime's
	// /response (or could not be reached), before that answer is relayed to
	// the runtime; so its work is done before the runtime asks for its next
	// event. ctx ends at the invocation's deadline.
	End(ctx context.Context, end StreamEnd)
}

// StreamEnd describes how a streamed response ended.
type StreamEnd struct {
	// Complete reports that the runtime's body was read to its end and
	// upstream accepted the response (2xx).
	Complete bool
	// Status is upstream's status, 0 if it could not be reached.
	Status int
	// Bytes is the number of body bytes forwarded.
	Bytes int64
	// Trailer holds the trailers the runtime sent after the body; nil
	// unless the body was read to its end.
	Trailer http.Header
}

// FunctionError reports whether the trailers report a function error
// (Lambda-Runtime-Function-Error-Type): Lambda forwards it to the caller
// after the bytes already streamed.
func (e StreamEnd) FunctionError() bool { return trailerError(e.Trailer) }

// observeStream forwards a streamed /response through a StreamSink when
// the Interceptor provides one; it reports false, having done nothing,
// when it does not.
func (s *Server) observeStream(ctx context.Context, w http.ResponseWriter, r *http.Request, t *tracked, res *Result) bool {
	so, ok := s.interceptor.(StreamObserver)
	if !ok {
		return false
	}
	sink := so.ObserveStream(ctx, t.inv, res)
	if sink == nil {
		return false
	}
	tee := &teeBody{r: r.Body, sink: sink, length: r.ContentLength}
	s.forwardThen(w, r, tee, r.ContentLength, func(status int) {
		sink.End(ctx, tee.end(status, r.Trailer))
		s.accepted(t, status)
	})
	return true
}

// teeBody hands what is read from r to sink. Reads happen on the
// transport's goroutine, end on the handler's: mu orders them.
type teeBody struct {
	r      io.Reader
	sink   StreamSink
	length int64 // the declared Content-Length, -1 if unknown

	mu    sync.Mutex
	n     int64
	eof   bool
	ended bool
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.mu.Lock()
	if !t.ended {
		if n > 0 {
			t.sink.Write(p[:n])
			t.n += int64(n)
		}
		if err == io.EOF {
			t.eof = true
		}
	}
	t.mu.Unlock()
	return n, err
}

// end closes the tee to the sink and describes the stream. trailer is the
// runtime's request trailer map, which net/http fills before the body's
// final read returns io.EOF.
func (t *teeBody) end(status int, trailer http.Header) StreamEnd {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	whole := t.eof || (t.length >= 0 && t.n == t.length)
	e := StreamEnd{Complete: whole && status/100 == 2, Status: status, Bytes: t.n}
	if t.eof {
		e.Trailer = trailer.Clone()
	}
	return e
}

// streamRequest turns req into a streamed response: chunked, with the
// response mode header.
func streamRequest(req *http.Request) {
	req.Header.Set(HeaderResponseMode, ResponseModeStreaming)
	req.ContentLength = -1
	req.GetBody = nil
}

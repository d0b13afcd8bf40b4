package main

import (
	"context"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

var _ runtimeproxy.StreamObserver = idempotent{}

// ObserveStream implements runtimeproxy.StreamObserver: with
// IDEMPOTENCY_STREAMING=capture, a streamed response of a claimed
// invocation is copied as it passes through, up to StreamingMaxBytes, and
// recorded when it ends well. Otherwise (passthrough) it returns nil and the
// response is released by Response, as any unbuffered one.
func (i idempotent) ObserveStream(_ context.Context, inv *runtimeproxy.Invocation, res *runtimeproxy.Result) runtimeproxy.StreamSink {
	cl, _ := inv.State.(*idempotency.Claim)
	if cl == nil || i.streaming.Streaming != StreamingCapture {
		return nil
	}
	return &streamCapture{core: i.core, claim: cl, contentType: res.ContentType(), max: i.streaming.StreamingMaxBytes}
}

// streamCapture keeps a copy of one streamed response. The proxy never
// calls it concurrently.
type streamCapture struct {
	core        *idempotency.Core
	claim       *idempotency.Claim
	contentType string
	max         int
	buf         []byte
	over        bool
}

// Write implements runtimeproxy.StreamSink. Past max bytes the copy is
// dropped; the stream itself goes on.
func (s *streamCapture) Write(p []byte) {
	if s.over {
		return
	}
	if len(s.buf)+len(p) > s.max {
		s.over, s.buf = true, nil
		return
	}
	s.buf = append(s.buf, p...)
}

// End implements runtimeproxy.StreamSink: a stream that ended well is
// recorded; one with an error trailer, cut off, refused upstream or over
// the cap is released so that a retry runs the handler.
func (s *streamCapture) End(ctx context.Context, end runtimeproxy.StreamEnd) {
	switch {
	case end.FunctionError():
		s.core.Failed(ctx, s.claim)
	case !end.Complete:
		s.core.Unrecorded(ctx, s.claim, "streamed response cut off or refused upstream")
	case s.over:
		s.core.Unrecorded(ctx, s.claim, "streamed response longer than IDEMPOTENCY_STREAMING_MAX_BYTES")
	default:
		s.core.SucceededStreamed(ctx, s.claim, s.buf, s.contentType)
	}
}

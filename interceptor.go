package main

import (
	"context"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// idempotent adapts the idempotency core to the proxy's interception point.
type idempotent struct {
	core *idempotency.Core
	// clockOffset is IDEMPOTENCY_TEST_CLOCK_OFFSET_MS (tests only): the
	// core's clock runs this far ahead, so the deadlines it is given are
	// shifted the same way, as an environment whose clock is wrong would
	// compute them.
	clockOffset time.Duration
	// streaming says whether streamed responses are captured
	// (interceptor_stream.go).
	streaming ResponseConfig
}

var _ runtimeproxy.Interceptor = idempotent{}

// Invoke implements runtimeproxy.Interceptor.
func (i idempotent) Invoke(ctx context.Context, inv *runtimeproxy.Invocation) runtimeproxy.Decision {
	deadline := inv.Deadline
	if !deadline.IsZero() {
		deadline = deadline.Add(i.clockOffset)
	}
	o := i.core.Begin(ctx, inv.Event, deadline, inv.RequestID)
	switch o.Verdict {
	case idempotency.Replay:
		return runtimeproxy.Decision{Action: runtimeproxy.Respond, Body: o.Response, ContentType: o.ContentType, Streaming: o.Streamed}
	case idempotency.Reject:
		return runtimeproxy.Decision{Action: runtimeproxy.Fail, ErrorType: o.ErrorType, ErrorMessage: o.ErrorMessage}
	}
	if o.Claim == nil {
		return runtimeproxy.Decision{Action: runtimeproxy.Forward}
	}
	inv.State = o.Claim
	return runtimeproxy.Decision{Action: runtimeproxy.Forward, Observe: true}
}

// Response implements runtimeproxy.Interceptor.
func (i idempotent) Response(ctx context.Context, inv *runtimeproxy.Invocation, res *runtimeproxy.Result) {
	cl, _ := inv.State.(*idempotency.Claim)
	if cl == nil {
		return
	}
	if !res.Buffered {
		i.core.Unrecorded(ctx, cl, "streamed response or larger than the buffered payload limit")
		return
	}
	i.core.Succeeded(ctx, cl, res.Body, res.ContentType())
}

// Error implements runtimeproxy.Interceptor.
func (i idempotent) Error(ctx context.Context, inv *runtimeproxy.Invocation, _ *runtimeproxy.Result) {
	if cl, _ := inv.State.(*idempotency.Claim); cl != nil {
		i.core.Failed(ctx, cl)
	}
}

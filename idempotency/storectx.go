package idempotency

import (
	"context"
	"time"
)

// Bounds of the time kept back from a store call for answering the
// invocation; see storeContext.
const (
	minAnswerReserve = 20 * time.Millisecond
	maxAnswerReserve = 500 * time.Millisecond
)

// storeContext bounds a store call so that it ends a little before ctx's
// deadline (the invocation's): a tenth of the time left, between
// minAnswerReserve and maxAnswerReserve, is kept back, so that the proxy
// can still answer the invocation (an error, or the handler's response)
// before Lambda times it out, even when the store stalls.
func storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := min(max(time.Until(deadline)/10, minAnswerReserve), maxAnswerReserve)
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

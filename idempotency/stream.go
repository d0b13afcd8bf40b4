package idempotency

import "context"

// SucceededStreamed records a streamed response for a claim, as
// [Core.Succeeded] records a buffered one, marked as streamed so that a
// replay streams it back (Outcome.Streamed). response is the whole captured
// stream, including any HTTP integration prelude, and contentType its
// Content-Type. A store failure is logged, not returned; a response too
// large for the store releases the claim.
func (c *Core) SucceededStreamed(ctx context.Context, cl *Claim, response []byte, contentType string) {
	cl.rec.Streamed = true
	c.Succeeded(ctx, cl, response, contentType)
}

package idempotency

import "sync/atomic"

// stats counts what the core did, for logs and benchmarks.
type stats struct {
	claimed, replayed, inProgress, rejected, noKey       atomic.Int64
	completed, handlerErrors, unrecorded, tooLarge, lost atomic.Int64
	storeErrors, releasedHeld                            atomic.Int64
}

// Stats is a snapshot of a Core's counters.
type Stats struct {
	Claimed, Replayed, InProgress, Rejected, NoKey       int64
	Completed, HandlerErrors, Unrecorded, TooLarge, Lost int64
	StoreErrors, ReleasedHeld                            int64
}

// Stats returns the counters so far.
func (c *Core) Stats() Stats {
	s := &c.stats
	return Stats{
		Claimed: s.claimed.Load(), Replayed: s.replayed.Load(), InProgress: s.inProgress.Load(),
		Rejected: s.rejected.Load(), NoKey: s.noKey.Load(), Completed: s.completed.Load(),
		HandlerErrors: s.handlerErrors.Load(), Unrecorded: s.unrecorded.Load(), TooLarge: s.tooLarge.Load(),
		Lost: s.lost.Load(), StoreErrors: s.storeErrors.Load(), ReleasedHeld: s.releasedHeld.Load(),
	}
}

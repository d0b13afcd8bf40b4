package idempotency

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Polling of a live INPROGRESS record in InProgressWait mode: the first poll
// comes after waitFirstDelay, each delay doubles up to waitMaxDelay, and each
// sleep is drawn between half the delay and the whole delay (jitter), so that
// waiters that arrived together do not poll together.
const (
	waitFirstDelay = 20 * time.Millisecond
	waitMaxDelay   = 500 * time.Millisecond
)

// Bounds of the time a waiter keeps back before its own deadline, to answer
// (or to run the handler if the record is released at the last moment): a
// tenth of the time left when the wait starts, between these two.
const (
	minWaitMargin = 100 * time.Millisecond
	maxWaitMargin = time.Second
)

// WithSleep replaces the sleep between polls of InProgressWait mode, for
// tests: sleep must return early with ctx's error when ctx ends.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Core) { c.sleep = sleep }
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter returns a duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// waitLimit returns when a waiter that starts at now (by the core's clock)
// must stop polling: its invocation's deadline, or ctx's if earlier, minus
// a margin. ok is false when neither is known: a waiter without a bound does
// not wait.
func (c *Core) waitLimit(ctx context.Context, now, deadline time.Time) (limit time.Time, ok bool) {
	if d, has := ctx.Deadline(); has {
		// ctx runs on the real clock; carry it over to the core's.
		byCtx := now.Add(time.Until(d))
		if deadline.IsZero() || byCtx.Before(deadline) {
			deadline = byCtx
		}
	}
	if deadline.IsZero() {
		return time.Time{}, false
	}
	margin := min(max(deadline.Sub(now)/10, minWaitMargin), maxWaitMargin)
	return deadline.Add(-margin), true
}

// waitInProgress is InProgressWait mode: rec (the waiter's own claim) found
// the live INPROGRESS record found. The waiter polls by attempting its claim
// again, which costs one store operation per poll and resolves every case
// atomically:
//
//   - the record completed: its response is replayed (the handler does not
//     run);
//   - the record was released (the first delivery's handler failed, or its
//     response was not stored) or its in-progress expiry passed (the first
//     delivery timed out or crashed): the claim succeeds and the waiter runs
//     the handler, as a retry arriving then would;
//   - the record is still in progress: sleep and poll again, until the
//     waiter's limit (waitLimit: the last sleep is cut short to end there,
//     for a last poll), after which it fails with
//     IdempotencyAlreadyInProgressError as in InProgressFail mode.
//
// Sleeps never run past the found record's in-progress expiry (plus the clock
// skew tolerance), so a lapsed record is taken over as soon as it lapses.
// ctx bounds the store calls (see storeContext) and the sleeps.
func (c *Core) waitInProgress(ctx context.Context, rec store.Record, d Derived, found store.Record, deadline time.Time, log invLog) Outcome {
	start := c.now()
	limit, bounded := c.waitLimit(ctx, start, deadline)
	inProgress := func(reason string, polls int) Outcome {
		c.stats.inProgress.Add(1)
		log.debug("gave up waiting for the in-progress record", "reason", reason, "polls", polls,
			"waitedMs", c.now().Sub(start).Milliseconds())
		return reject(ErrorTypeAlreadyInProgress, msgAlreadyInProgress+c.cfg.Key.EventKeyJMESPath+"="+d.Key)
	}
	delay := waitFirstDelay
	for polls := 0; ; polls++ {
		now := c.now()
		sleep := jitter(delay)
		if ipe := found.InProgressExpiry; found.Status == store.StatusInProgress && !ipe.IsZero() {
			lapse := ipe.Add(c.cfg.ClockSkewTolerance + time.Millisecond).Sub(now)
			sleep = max(min(sleep, lapse), time.Millisecond)
		}
		if !bounded {
			return inProgress("deadline", polls)
		}
		if now.Add(sleep).After(limit) {
			// The last sleep ends at the limit, for a last poll there: the
			// waiter uses all the time it has.
			if sleep = limit.Sub(now); sleep <= 0 {
				return inProgress("deadline", polls)
			}
		}
		if err := c.sleep(ctx, sleep); err != nil {
			return inProgress("context ended", polls)
		}
		delay = min(2*delay, waitMaxDelay)

		now = c.now()
		rec.Expiry = now.Add(c.cfg.ExpiresAfter)
		res := c.attemptClaim(ctx, rec, now, c.cfg.Key.PayloadValidationJMESPath != "")
		switch res.kind {
		case claimWon:
			c.stats.claimed.Add(1)
			log.info("the in-progress record was released or lapsed while waiting: claimed, the handler runs",
				"polls", polls+1, "waitedMs", now.Sub(start).Milliseconds())
			return Outcome{Verdict: Proceed, Claim: &Claim{rec: rec}}
		case claimInProgress:
			found = res.existing
		case claimStale:
		default:
			return c.answerClaim(res, log.with("polls", polls+1, "waitedMs", now.Sub(start).Milliseconds()),
				"claim failed while waiting for the in-progress record")
		}
		// claimStale: inconsistent (the store saw a live record our clock
		// calls expired): poll again.
	}
}

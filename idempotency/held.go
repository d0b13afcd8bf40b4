package idempotency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// ErrReleaseHeld wraps the store errors of ReleaseHeld.
var ErrReleaseHeld = errors.New("idempotency: releasing the held claims failed")

// heldClaims is the set of claims this Core holds: added by Begin, removed
// by Succeeded, Failed and Unrecorded, or taken by ReleaseHeld. A claim
// leaves the set exactly once, so a claim settled by the proxy is never
// also released at shutdown, and the other way round.
type heldClaims struct {
	mu sync.Mutex
	m  map[*Claim]struct{}
}

func (h *heldClaims) add(cl *Claim) {
	h.mu.Lock()
	if h.m == nil {
		h.m = make(map[*Claim]struct{})
	}
	h.m[cl] = struct{}{}
	h.mu.Unlock()
}

// addFunction adds a claim of the local API, first dropping the ones whose
// in-progress expiry passed before now: a caller that never completes or
// releases its claim must not make the set grow for the sandbox's life
// (such a record is no longer live, so there is nothing left to release).
func (h *heldClaims) addFunction(cl *Claim, now time.Time) {
	cl.function = true
	h.mu.Lock()
	for old := range h.m {
		if old.function && !old.rec.InProgressExpiry.IsZero() && old.rec.InProgressExpiry.Before(now) {
			delete(h.m, old)
		}
	}
	h.mu.Unlock()
	h.add(cl)
}

// removeFunction takes the local API's claim of key by owner out of the set.
func (h *heldClaims) removeFunction(key, owner string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cl := range h.m {
		if cl.function && cl.rec.Key == key && cl.rec.Owner == owner {
			delete(h.m, cl)
			return
		}
	}
}

// remove takes cl out of the set and reports false when takeAll took it
// already.
func (h *heldClaims) remove(cl *Claim) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, cl)
	return !cl.released
}

// takeAll empties the set and returns what it held.
func (h *heldClaims) takeAll() []*Claim {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Claim, 0, len(h.m))
	for cl := range h.m {
		cl.released = true
		out = append(out, cl)
	}
	clear(h.m)
	return out
}

// Held returns how many claims the Core holds: INPROGRESS records written
// by Begin whose invocation has not been settled yet.
func (c *Core) Held() int {
	c.held.mu.Lock()
	defer c.held.mu.Unlock()
	return len(c.held.m)
}

// ReleaseHeld deletes (owner-conditionally) the INPROGRESS records of every
// claim still held, all at once, within ctx: what is left when the runtime
// crashed or timed out, so that a retry need not wait for the in-progress
// expiry. A claim taken over or completed meanwhile is left as it is. It
// returns how many records it deleted; store failures are joined and
// wrapped in ErrReleaseHeld. Claims released here are settled (and
// observed): a later Succeeded, Failed or Unrecorded for them does nothing.
func (c *Core) ReleaseHeld(ctx context.Context) (int, error) {
	claims := c.held.takeAll()
	if len(claims) == 0 {
		return 0, nil
	}
	errs := make([]error, len(claims))
	deleted := make([]bool, len(claims))
	var wg sync.WaitGroup
	for i, cl := range claims {
		wg.Go(func() {
			sctx := ctx
			if cl.tally != nil && c.observer != nil {
				sctx = withTally(ctx, cl.tally)
				defer func() { c.observer.Observe(cl.tally.snapshot()) }()
			}
			err := c.store.Delete(sctx, cl.rec.Key, cl.rec.Owner)
			switch {
			case err == nil:
				deleted[i] = true
			case errors.Is(err, store.ErrNotOwner):
				c.log.Warn("held idempotency record no longer ours: left as is", "idempotencyKey", cl.rec.Key)
			default:
				c.stats.storeErrors.Add(1)
				errs[i] = fmt.Errorf("%s: %w", cl.rec.Key, err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, d := range deleted {
		if d {
			n++
		}
	}
	c.stats.releasedHeld.Add(int64(n))
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("%w: %w", ErrReleaseHeld, err)
	}
	return n, nil
}

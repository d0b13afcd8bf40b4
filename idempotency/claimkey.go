package idempotency

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// claimKind is what a claim found.
type claimKind uint8

const (
	claimWon          claimKind = iota // rec is now stored, owned by the caller
	claimCompleted                     // a live COMPLETED record: replay existing
	claimInProgress                    // a live INPROGRESS record of another owner
	claimValidation                    // a live record with another payload hash
	claimInconsistent                  // the record kept changing state
	claimStoreError                    // the store failed; err says how
	claimStale                         // live for the store, expired for our clock: try again
)

// claimResult is claimKey's answer.
type claimResult struct {
	kind     claimKind
	existing store.Record
	err      error
}

// attemptClaim is one atomic store claim of rec at now (less the clock skew
// tolerance), classified: the single step every claim loop (Begin, the
// wait mode's polls, claimKey) takes, so that they agree on what a record
// means. It records no stats and logs nothing; its callers do. A record
// with our own owner token is our own claim, written by an earlier attempt
// whose reply was lost (the DynamoDB client retries after a connection
// reset). validate says whether payload hashes must match. An unusable
// status is claimStoreError with ErrStoreAnswer.
func (c *Core) attemptClaim(ctx context.Context, rec store.Record, now time.Time, validate bool) claimResult {
	claimNow := now.Add(-c.cfg.ClockSkewTolerance)
	existing, err := c.store.Claim(ctx, rec, claimNow)
	switch {
	case err == nil || ownClaim(err, existing, rec, claimNow):
		return claimResult{kind: claimWon}
	case !errors.Is(err, store.ErrAlreadyExists):
		return claimResult{kind: claimStoreError, err: err}
	case validate && existing.PayloadHash != rec.PayloadHash:
		return claimResult{kind: claimValidation, existing: existing}
	case !existing.Live(claimNow):
		return claimResult{kind: claimStale, existing: existing}
	case existing.Status == store.StatusCompleted:
		return claimResult{kind: claimCompleted, existing: existing}
	case existing.Status == store.StatusInProgress:
		return claimResult{kind: claimInProgress, existing: existing}
	default:
		return claimResult{kind: claimStoreError, existing: existing,
			err: fmt.Errorf("%w: invalid status %q in idempotency record", ErrStoreAnswer, existing.Status)}
	}
}

// claimKey claims rec (an INPROGRESS record with Key, Owner, PayloadHash and
// InProgressExpiry set; Expiry is set here from expiresAfter) with the same
// rules as Begin: the local cache first, then attemptClaim, retried twice
// when the record changed state under it. validate says whether payload
// hashes must match. It is the claim of the local idempotency API.
func (c *Core) claimKey(ctx context.Context, rec store.Record, expiresAfter time.Duration, validate bool, log invLog) claimResult {
	now := c.now()
	if c.cache != nil {
		if cached, ok := c.cache.get(rec.Key, now); ok {
			if validate && cached.PayloadHash != rec.PayloadHash {
				c.stats.rejected.Add(1)
				return claimResult{kind: claimValidation, existing: cached}
			}
			c.stats.replayed.Add(1)
			return claimResult{kind: claimCompleted, existing: cached}
		}
	}
	rec.Expiry = now.Add(expiresAfter)
	ctx, cancel := storeContext(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		res := c.attemptClaim(ctx, rec, now, validate)
		switch res.kind {
		case claimWon:
			c.stats.claimed.Add(1)
			log.debug("claimed")
			return res
		case claimStoreError:
			c.stats.storeErrors.Add(1)
			log.error("claim failed", "error", res.err)
			return res
		case claimValidation:
			c.stats.rejected.Add(1)
			return res
		case claimCompleted:
			c.stats.replayed.Add(1)
			if c.cache != nil {
				c.cache.put(res.existing)
			}
			return res
		case claimInProgress:
			c.stats.inProgress.Add(1)
			return res
		}
		if attempt == maxRetries {
			c.stats.rejected.Add(1)
			return claimResult{kind: claimInconsistent}
		}
		now = c.now()
		rec.Expiry = now.Add(expiresAfter)
	}
}

// ErrStoreAnswer means the store returned a record the core cannot use.
var ErrStoreAnswer = errors.New("idempotency: unusable record from the store")

// completeKey records response for the claim rec (owned by the caller),
// keeping the record expiresAfter from now. Unlike Succeeded it returns the
// store's error: store.ErrNotOwner when the record is no longer ours,
// store.ErrRecordTooLarge when the response does not fit (the claim is then
// released).
func (c *Core) completeKey(ctx context.Context, rec store.Record, expiresAfter time.Duration, response []byte, contentType string) error {
	rec.Status = store.StatusCompleted
	rec.Expiry = c.now().Add(expiresAfter)
	rec.Response = response
	rec.ContentType = contentType
	sctx, cancel := storeContext(ctx)
	err := c.store.Complete(sctx, rec)
	cancel()
	switch {
	case err == nil:
		c.stats.completed.Add(1)
		if c.cache != nil {
			c.cache.put(rec)
		}
		return nil
	case errors.Is(err, store.ErrRecordTooLarge):
		c.stats.tooLarge.Add(1)
		if derr := c.releaseKey(ctx, rec.Key, rec.Owner); derr != nil {
			return errors.Join(err, derr)
		}
	case errors.Is(err, store.ErrNotOwner):
		c.stats.lost.Add(1)
	default:
		c.stats.storeErrors.Add(1)
	}
	return err
}

// releaseKey deletes the claim on key if owner still holds it.
func (c *Core) releaseKey(ctx context.Context, key, owner string) error {
	ctx, cancel := storeContext(ctx)
	defer cancel()
	err := c.store.Delete(ctx, key, owner)
	if err != nil && !errors.Is(err, store.ErrNotOwner) {
		c.stats.storeErrors.Add(1)
	}
	return err
}

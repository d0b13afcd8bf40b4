package storetest_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// brokenStore is a store.Store with one deliberate flaw, used to check that
// the suite detects it. Without a flaw it is a correct store.
type brokenStore struct {
	flaw  string
	limit int

	mu   sync.Mutex
	recs map[string]store.Record
}

// window is how long a racy flaw leaves between its check and its write.
const window = 5 * time.Millisecond

func newBroken(flaw string, limit int) *brokenStore {
	return &brokenStore{flaw: flaw, limit: limit, recs: make(map[string]store.Record)}
}

func (b *brokenStore) live(r store.Record, now time.Time) bool {
	switch b.flaw {
	case "raw-times":
		if r.Expiry.Before(now) {
			return false
		}
		return !(r.Status == store.StatusInProgress && !r.InProgressExpiry.IsZero() && r.InProgressExpiry.Before(now))
	case "ignore-in-progress-expiry":
		return store.EpochSeconds(r.Expiry) >= store.EpochSeconds(now)
	case "in-progress-expiry-on-completed":
		r.Status = store.StatusInProgress
	}
	return r.Live(now)
}

func (b *brokenStore) in(r store.Record) store.Record {
	switch b.flaw {
	case "shared-response":
		return r.Persisted()
	case "raw-times":
		r.Response = bytes.Clone(r.Response)
		return r
	}
	r.Response = bytes.Clone(r.Response)
	return r.Persisted()
}

func (b *brokenStore) out(r store.Record) store.Record {
	if b.flaw == "zero-in-progress-expiry-as-epoch" && r.InProgressExpiry.IsZero() {
		r.InProgressExpiry = time.UnixMilli(0)
	}
	if b.flaw != "shared-response" {
		r.Response = bytes.Clone(r.Response)
	}
	if b.flaw == "drop-streamed" {
		r.Streamed = false
	}
	if b.flaw == "truncate-large" && len(r.Response) > 512 {
		r.Response = r.Response[:512]
	}
	return r
}

func (b *brokenStore) checkCtx(ctx context.Context) error {
	if b.flaw == "ignore-ctx" {
		return nil
	}
	return ctx.Err()
}

// racyGap opens a window between check and write when flaw is active.
func (b *brokenStore) racyGap(flaw string) {
	if b.flaw == flaw {
		b.mu.Unlock()
		time.Sleep(window)
		b.mu.Lock()
	}
}

func (b *brokenStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	if err := b.checkCtx(ctx); err != nil {
		return store.Record{}, err
	}
	if b.flaw != "no-validation" {
		if err := rec.ValidateClaim(now); err != nil {
			return store.Record{}, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.recs[rec.Key]
	if ok && b.live(old, now) {
		return b.out(old), fmt.Errorf("broken: %w", store.ErrAlreadyExists)
	}
	b.racyGap("racy-claim")
	if ok && b.flaw == "merge-on-takeover" {
		rec.Response, rec.ContentType = old.Response, old.ContentType
	}
	b.recs[rec.Key] = b.in(rec)
	return store.Record{}, nil
}

func (b *brokenStore) Complete(ctx context.Context, rec store.Record) error {
	if err := b.checkCtx(ctx); err != nil {
		return err
	}
	if b.flaw != "no-validation" {
		if err := rec.ValidateComplete(); err != nil {
			return err
		}
	}
	if b.limit > 0 && len(rec.Response) > b.limit && b.flaw != "no-limit" {
		return store.ErrRecordTooLarge
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.recs[rec.Key]
	if !ok || (b.flaw != "no-owner-check" && (old.Status != store.StatusInProgress || old.Owner != rec.Owner)) {
		return store.ErrNotOwner
	}
	b.racyGap("racy-complete")
	if b.flaw == "complete-keeps-old-fields" {
		old.Status, old.Response, old.ContentType = rec.Status, rec.Response, rec.ContentType
		rec = old
	}
	b.recs[rec.Key] = b.in(rec)
	return nil
}

func (b *brokenStore) Delete(ctx context.Context, key, owner string) error {
	if err := b.checkCtx(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.recs[key]
	if !ok || old.Status != store.StatusInProgress || (old.Owner != owner && b.flaw != "delete-any-owner") {
		return store.ErrNotOwner
	}
	b.racyGap("racy-delete")
	delete(b.recs, key)
	return nil
}

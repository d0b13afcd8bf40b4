package memory

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// minSweepInterval is the smallest number of claims between two sweeps of
// expired records.
const minSweepInterval = 64

// Store is an in-memory store.Store. The zero value is not usable; create one
// with [New] or [NewLimited]. It is safe for concurrent use.
//
// Records whose expiry has passed (by the now given to Claim) are dropped
// from time to time during Claim, as a server-side TTL would drop them, so
// memory stays bounded by the number of live records. Liveness itself is
// decided only by [store.Record.Live].
type Store struct {
	maxResponseBytes int

	mu      sync.Mutex
	records map[string]store.Record
	// untilSweep counts down the claims left before the next sweep.
	untilSweep int
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store with no limit on response size.
func New() *Store {
	return NewLimited(0)
}

// NewLimited returns an empty Store whose Complete rejects a Response longer
// than maxResponseBytes with store.ErrRecordTooLarge, to mimic a backend
// with an item size limit. maxResponseBytes <= 0 means no limit.
func NewLimited(maxResponseBytes int) *Store {
	return &Store{
		maxResponseBytes: maxResponseBytes,
		records:          make(map[string]store.Record),
		untilSweep:       minSweepInterval,
	}
}

// Claim implements store.Store.
func (s *Store) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, fmt.Errorf("memory: claim: %w", err)
	}
	if err := rec.ValidateClaim(now); err != nil {
		return store.Record{}, fmt.Errorf("memory: claim: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.records[rec.Key]; ok && old.Live(now) {
		return clone(old), fmt.Errorf("memory: claim %s: %w", rec.Key, store.ErrAlreadyExists)
	}
	s.records[rec.Key] = clone(rec.Persisted())
	s.maybeSweep(now)
	return store.Record{}, nil
}

// Complete implements store.Store.
func (s *Store) Complete(ctx context.Context, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: complete: %w", err)
	}
	if err := rec.ValidateComplete(); err != nil {
		return fmt.Errorf("memory: complete: %w", err)
	}
	if s.maxResponseBytes > 0 && len(rec.Response) > s.maxResponseBytes {
		return fmt.Errorf("memory: complete %s: response of %d bytes exceeds %d: %w",
			rec.Key, len(rec.Response), s.maxResponseBytes, store.ErrRecordTooLarge)
	}
	stored := clone(rec.Persisted()) // copy outside the lock
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ownedLocked(rec.Key, rec.Owner) {
		return fmt.Errorf("memory: complete %s: %w", rec.Key, store.ErrNotOwner)
	}
	s.records[rec.Key] = stored
	return nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ownedLocked(key, owner) {
		return fmt.Errorf("memory: delete %s: %w", key, store.ErrNotOwner)
	}
	delete(s.records, key)
	return nil
}

// Lookup returns a copy of the record stored under key, live or not, for
// inspection in tests and debugging. It is not part of store.Store.
func (s *Store) Lookup(key string) (store.Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[key]
	if !ok {
		return store.Record{}, false
	}
	return clone(rec), true
}

// Len returns the number of records held, live or not.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// ownedLocked reports whether key holds an in-progress record of owner.
// s.mu must be held.
func (s *Store) ownedLocked(key, owner string) bool {
	old, ok := s.records[key]
	return ok && old.Status == store.StatusInProgress && old.Owner == owner
}

// maybeSweep drops records whose expiry second is before now's second once
// as many claims have happened since the last sweep as records survived it
// (at least minSweepInterval), so a sweep's cost is amortized over those
// claims. s.mu must be held.
func (s *Store) maybeSweep(now time.Time) {
	s.untilSweep--
	if s.untilSweep > 0 {
		return
	}
	nowSec := store.EpochSeconds(now)
	for key, rec := range s.records {
		if store.EpochSeconds(rec.Expiry) < nowSec {
			delete(s.records, key)
		}
	}
	s.untilSweep = max(minSweepInterval, len(s.records))
}

// clone returns rec with its own copy of Response.
func clone(rec store.Record) store.Record {
	rec.Response = bytes.Clone(rec.Response)
	return rec
}

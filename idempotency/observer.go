package idempotency

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Result is what Begin decided for one invocation, for observers.
type Result uint8

// Results, one per invocation.
const (
	// ResultNoKey: the event has no idempotency key; the handler runs
	// without idempotency.
	ResultNoKey Result = iota
	// ResultMiss: a fresh claim; the handler runs.
	ResultMiss
	// ResultHit: a replay of a recorded response (from the store or the
	// local cache).
	ResultHit
	// ResultInProgress: another invocation holds the key
	// (IdempotencyAlreadyInProgressError).
	ResultInProgress
	// ResultValidationFailed: the payload hash differs from the record's
	// (IdempotencyValidationError).
	ResultValidationFailed
	// ResultKeyError: the event cannot be keyed (IdempotencyKeyError).
	ResultKeyError
	// ResultStoreError: the claim failed in the store
	// (IdempotencyPersistenceLayerError).
	ResultStoreError
	// ResultInconsistent: the record kept changing state
	// (IdempotencyInconsistentStateError).
	ResultInconsistent
)

var resultNames = [...]string{"NoKey", "Miss", "Hit", "InProgress", "ValidationFailed", "KeyError", "StoreError", "Inconsistent"}

// String returns the result's name, e.g. "Hit".
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "Unknown"
}

// Observation is what the core did for one invocation, reported once, when
// the core is done with it: after Begin for a replay, a rejection or an
// event without a key; after Succeeded, Failed, Unrecorded or ReleaseHeld
// for a claim. It holds no event or response bytes.
type Observation struct {
	RequestID string
	Result    Result
	// StoreCalls counts the store operations made for the invocation
	// (claim attempts, then the completion or the release).
	StoreCalls int
	// StoreErrors counts those that failed other than by a condition
	// (record exists, not the owner): the backend or the network failed.
	StoreErrors int
	// StoreLatency is the time spent in those operations.
	StoreLatency time.Duration
}

// Observer receives an Observation per invocation. Observe is called on
// the invocation's goroutine, concurrently for concurrent invocations; it
// should be quick.
type Observer interface {
	Observe(Observation)
}

// WithObserver reports every invocation to o.
func WithObserver(o Observer) Option { return func(c *Core) { c.observer = o } }

// tally accumulates one invocation's store calls; it travels in the
// context given to the store.
type tally struct {
	mu  sync.Mutex
	obs Observation
}

func (t *tally) snapshot() Observation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.obs
}

type tallyKey struct{}

func withTally(ctx context.Context, t *tally) context.Context {
	return context.WithValue(ctx, tallyKey{}, t)
}

// observedStore times the store calls of invocations that carry a tally.
type observedStore struct {
	store.Store
}

func (s observedStore) record(ctx context.Context, start time.Time, err error) {
	t, _ := ctx.Value(tallyKey{}).(*tally)
	if t == nil {
		return
	}
	d := time.Since(start)
	t.mu.Lock()
	t.obs.StoreCalls++
	t.obs.StoreLatency += d
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) && !errors.Is(err, store.ErrNotOwner) {
		t.obs.StoreErrors++
	}
	t.mu.Unlock()
}

func (s observedStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	start := time.Now()
	existing, err := s.Store.Claim(ctx, rec, now)
	s.record(ctx, start, err)
	return existing, err
}

func (s observedStore) Complete(ctx context.Context, rec store.Record) error {
	start := time.Now()
	err := s.Store.Complete(ctx, rec)
	s.record(ctx, start, err)
	return err
}

func (s observedStore) Delete(ctx context.Context, key, owner string) error {
	start := time.Now()
	err := s.Store.Delete(ctx, key, owner)
	s.record(ctx, start, err)
	return err
}

// resultOf classifies Begin's outcome.
func resultOf(o Outcome) Result {
	switch o.Verdict {
	case Replay:
		return ResultHit
	case Proceed:
		if o.Claim != nil {
			return ResultMiss
		}
		return ResultNoKey
	}
	switch o.ErrorType {
	case ErrorTypeAlreadyInProgress:
		return ResultInProgress
	case ErrorTypeValidation:
		return ResultValidationFailed
	case ErrorTypeKey:
		return ResultKeyError
	case ErrorTypeInconsistentState:
		return ResultInconsistent
	}
	return ResultStoreError
}

// Begin derives the key of event and claims it. deadline is the
// invocation's deadline (Lambda-Runtime-Deadline-Ms), used as the in-progress
// expiry; requestID only labels logs and observations. A claim is held
// until Succeeded, Failed, Unrecorded or ReleaseHeld settles it.
func (c *Core) Begin(ctx context.Context, event []byte, deadline time.Time, requestID string) Outcome {
	var t *tally
	if c.observer != nil {
		t = &tally{obs: Observation{RequestID: requestID}}
		ctx = withTally(ctx, t)
	}
	o := c.begin(ctx, event, deadline, requestID)
	if t != nil {
		t.mu.Lock()
		t.obs.Result = resultOf(o)
		obs := t.obs
		t.mu.Unlock()
		if o.Claim == nil {
			c.observer.Observe(obs)
		}
	}
	if o.Claim != nil {
		o.Claim.tally = t
		c.held.add(o.Claim)
	}
	return o
}

// settle takes cl out of the held set, reporting false when ReleaseHeld
// released it already, and returns the context for its store
// calls and the function that reports the invocation when it is done.
func (c *Core) settle(ctx context.Context, cl *Claim) (_ context.Context, done func(), ok bool) {
	if !c.held.remove(cl) {
		return ctx, func() {}, false
	}
	t := cl.tally
	if t == nil || c.observer == nil {
		return ctx, func() {}, true
	}
	return withTally(ctx, t), func() { c.observer.Observe(t.snapshot()) }, true
}

package idempotency

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store/memory"
)

type recordingObserver struct {
	mu  sync.Mutex
	obs []Observation
}

func (r *recordingObserver) Observe(o Observation) {
	r.mu.Lock()
	r.obs = append(r.obs, o)
	r.mu.Unlock()
}

func (r *recordingObserver) take() []Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.obs
	r.obs = nil
	return out
}

func observedFixture(t *testing.T, cfg Config) (*fixture, *recordingObserver) {
	t.Helper()
	f := newFixture(t, cfg)
	rec := &recordingObserver{}
	c, err := New(f.core.cfg, f.store, WithClock(f.clock.now), WithObserver(rec))
	if err != nil {
		t.Fatal(err)
	}
	f.core = c
	return f, rec
}

// wantObservation checks that exactly one observation was made, with the
// given result and store calls.
func wantObservation(t *testing.T, rec *recordingObserver, result Result, calls, storeErrors int) Observation {
	t.Helper()
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("%d observations %+v, want 1", len(got), got)
	}
	o := got[0]
	if o.Result != result || o.StoreCalls != calls || o.StoreErrors != storeErrors || o.RequestID != "req" {
		t.Fatalf("observation %+v, want result %s, %d store calls, %d store errors", o, result, calls, storeErrors)
	}
	if calls > 0 && o.StoreLatency <= 0 {
		t.Errorf("store latency %v with %d store calls", o.StoreLatency, calls)
	}
	return o
}

// One observation per invocation, after the core is done with it, whatever
// the outcome.
func TestObserverGetsOneObservationPerInvocation(t *testing.T) {
	ctx := context.Background()
	f, rec := observedFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id", PayloadValidationJMESPath: "v"}})

	o := f.begin(t, `{"id":1,"v":1}`)
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("observed before the claim was settled: %+v", got)
	}
	wantVerdict(t, f.begin(t, `{"id":1,"v":1}`), Reject, ErrorTypeAlreadyInProgress)
	wantObservation(t, rec, ResultInProgress, 1, 0)
	f.core.Succeeded(ctx, o.Claim, []byte(`1`), "")
	wantObservation(t, rec, ResultMiss, 2, 0) // claim + complete

	wantVerdict(t, f.begin(t, `{"id":1,"v":1}`), Replay, "")
	wantObservation(t, rec, ResultHit, 1, 0)
	wantVerdict(t, f.begin(t, `{"id":1,"v":2}`), Reject, ErrorTypeValidation)
	wantObservation(t, rec, ResultValidationFailed, 1, 0)
	wantVerdict(t, f.begin(t, `{"other":1}`), Proceed, "")
	wantObservation(t, rec, ResultNoKey, 0, 0)
	wantVerdict(t, f.begin(t, `{"id":`), Reject, ErrorTypeKey)
	wantObservation(t, rec, ResultKeyError, 0, 0)

	o = f.begin(t, `{"id":2}`)
	f.core.Failed(ctx, o.Claim)
	wantObservation(t, rec, ResultMiss, 2, 0) // claim + delete
	o = f.begin(t, `{"id":3}`)
	f.core.Unrecorded(ctx, o.Claim, "streamed")
	wantObservation(t, rec, ResultMiss, 2, 0)
	f.begin(t, `{"id":4}`)
	if _, err := f.core.ReleaseHeld(ctx); err != nil {
		t.Fatal(err)
	}
	wantObservation(t, rec, ResultMiss, 2, 0) // claim + release

	f.store.claimErr = errors.New("boom")
	wantVerdict(t, f.begin(t, `{"id":5}`), Reject, ErrorTypePersistence)
	wantObservation(t, rec, ResultStoreError, 1, 1)
	f.store.claimErr = nil
	o = f.begin(t, `{"id":6}`)
	f.store.completeErr = errors.New("boom")
	f.core.Succeeded(ctx, o.Claim, []byte(`1`), "")
	wantObservation(t, rec, ResultMiss, 2, 1)
}

func TestObserverSeesLocalCacheHitsWithoutStoreCalls(t *testing.T) {
	f, rec := observedFixture(t, Config{UseLocalCache: true, LocalCacheMaxItems: 4})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte(`1`), "")
	rec.take()
	wantVerdict(t, f.begin(t, `{"id":1}`), Replay, "")
	wantObservation(t, rec, ResultHit, 0, 0)
}

func TestResultNames(t *testing.T) {
	for r, want := range map[Result]string{ResultHit: "Hit", ResultMiss: "Miss", ResultInconsistent: "Inconsistent", Result(200): "Unknown"} {
		if r.String() != want {
			t.Errorf("%d.String() = %q, want %q", r, r.String(), want)
		}
	}
}

type discardObserver struct{}

func (discardObserver) Observe(Observation) {}

// BenchmarkObservedInvocation measures what the observer adds to an
// invocation (claim + complete on the memory store).
func BenchmarkObservedInvocation(b *testing.B) {
	for _, observed := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[observed], func(b *testing.B) {
			var opts []Option
			if observed {
				opts = append(opts, WithObserver(discardObserver{}))
			}
			c, err := New(Config{Key: KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "id"}, ExpiresAfter: time.Hour}, memory.New(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			deadline := time.Now().Add(time.Hour)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				o := c.Begin(ctx, []byte(`{"id":`+strconv.Itoa(i)+`}`), deadline, "req")
				c.Succeeded(ctx, o.Claim, []byte(`1`), "")
			}
		})
	}
}

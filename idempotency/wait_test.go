package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// waitFixture is a core in InProgressWait mode whose sleeps advance the
// fake clock and call onSleep (with the number of sleeps so far), so that a
// test can change the store between polls.
type waitFixture struct {
	*fixture
	sleeps  []time.Duration
	onSleep func(n int)
}

func newWaitFixture(t *testing.T, cfg Config) *waitFixture {
	t.Helper()
	cfg.InProgress = InProgressWait
	w := &waitFixture{fixture: newFixture(t, cfg)}
	w.core.sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.sleeps = append(w.sleeps, d)
		w.clock.advance(d)
		if w.onSleep != nil {
			w.onSleep(len(w.sleeps))
		}
		return nil
	}
	return w
}

// first claims {"id":1} with a deadline ttl from now.
func (w *waitFixture) first(t *testing.T, ttl time.Duration) *Claim {
	t.Helper()
	o := w.core.Begin(context.Background(), []byte(`{"id":1}`), w.clock.now().Add(ttl), "first")
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil {
		t.Fatal("first delivery: no claim")
	}
	return o.Claim
}

func (w *waitFixture) duplicate(ttl time.Duration) Outcome {
	return w.core.Begin(context.Background(), []byte(`{"id":1}`), w.clock.now().Add(ttl), "waiter")
}

func TestWaitReplaysWhenTheFirstCompletes(t *testing.T) {
	w := newWaitFixture(t, Config{})
	cl := w.first(t, 30*time.Second)
	w.onSleep = func(n int) {
		if n == 4 {
			w.core.Succeeded(context.Background(), cl, []byte(`{"ok":1}`), "application/json")
		}
	}
	o := w.duplicate(30 * time.Second)
	wantVerdict(t, o, Replay, "")
	if string(o.Response) != `{"ok":1}` || o.ContentType != "application/json" {
		t.Fatalf("replayed %q %q", o.Response, o.ContentType)
	}
	if len(w.sleeps) != 4 {
		t.Fatalf("%d sleeps, want 4 (the poll after the 4th sleep sees the completion)", len(w.sleeps))
	}
	// Backoff: each sleep within [d/2, d] for d = 20, 40, 80, 160 ms.
	d := waitFirstDelay
	for i, s := range w.sleeps {
		if s < d/2 || s > d {
			t.Errorf("sleep %d = %s, want between %s and %s", i, s, d/2, d)
		}
		d = min(2*d, waitMaxDelay)
	}
	if s := w.core.Stats(); s.Replayed != 1 || s.Claimed != 1 || s.InProgress != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWaitBackoffIsCapped(t *testing.T) {
	w := newWaitFixture(t, Config{})
	cl := w.first(t, 60*time.Second)
	w.onSleep = func(n int) {
		if n == 20 {
			w.core.Succeeded(context.Background(), cl, []byte(`"done"`), "")
		}
	}
	wantVerdict(t, w.duplicate(60*time.Second), Replay, "")
	for i, s := range w.sleeps[6:] {
		if s < waitMaxDelay/2 || s > waitMaxDelay {
			t.Fatalf("sleep %d = %s, want between %s and %s", i+6, s, waitMaxDelay/2, waitMaxDelay)
		}
	}
}

func TestWaitClaimsWhenTheFirstIsReleased(t *testing.T) {
	w := newWaitFixture(t, Config{})
	cl := w.first(t, 30*time.Second)
	w.onSleep = func(n int) {
		if n == 3 {
			w.core.Failed(context.Background(), cl) // handler error: record deleted
		}
	}
	o := w.duplicate(30 * time.Second)
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil {
		t.Fatal("the waiter proceeds without a claim")
	}
	rec := w.only(t)
	if rec.Status != store.StatusInProgress || rec.Owner != o.Claim.rec.Owner || rec.Owner == cl.rec.Owner {
		t.Fatalf("record %+v is not the waiter's claim", rec)
	}
	// The waiter's claim works like any other: its response is recorded.
	w.core.Succeeded(context.Background(), o.Claim, []byte(`"second"`), "")
	if rec := w.only(t); rec.Status != store.StatusCompleted || string(rec.Response) != `"second"` {
		t.Fatalf("record after the waiter's run: %+v", rec)
	}
}

func TestWaitTakesOverWhenTheRecordLapses(t *testing.T) {
	for _, tol := range []time.Duration{0, 2 * time.Second} {
		w := newWaitFixture(t, Config{ClockSkewTolerance: tol})
		w.first(t, 3*time.Second) // never answers (crash, timeout)
		lapse := w.only(t).InProgressExpiry.Add(tol)
		o := w.duplicate(30 * time.Second)
		wantVerdict(t, o, Proceed, "")
		if now := w.clock.now(); now.Before(lapse) || now.After(lapse.Add(2*time.Millisecond)) {
			t.Fatalf("tolerance %s: took over at %s, want just after the lapse at %s", tol, now, lapse)
		}
	}
}

func TestWaitGivesUpBeforeItsDeadline(t *testing.T) {
	w := newWaitFixture(t, Config{})
	w.first(t, 60*time.Second)
	start := w.clock.now()
	o := w.duplicate(5 * time.Second)
	wantVerdict(t, o, Reject, ErrorTypeAlreadyInProgress)
	waited := w.clock.now().Sub(start)
	// The margin is a tenth of the 5 s: 500 ms. The last sleep is cut
	// short to end at the limit, for a last poll there.
	if waited != 4500*time.Millisecond {
		t.Fatalf("waited %s, want 4.5 s", waited)
	}
	if s := w.core.Stats(); s.InProgress != 1 || s.Claimed != 1 {
		t.Fatalf("stats %+v", s)
	}
	if rec := w.only(t); rec.Owner == "" || rec.Status != store.StatusInProgress {
		t.Fatalf("record changed: %+v", rec)
	}
}

// TestWaitPollsAtItsLimit: a completion during the waiter's last,
// shortened sleep is replayed by the poll at its limit.
func TestWaitPollsAtItsLimit(t *testing.T) {
	w := newWaitFixture(t, Config{})
	cl := w.first(t, 60*time.Second)
	start := w.clock.now()
	limit := start.Add(4500 * time.Millisecond)
	w.onSleep = func(int) {
		if w.clock.now().Equal(limit) {
			w.core.Succeeded(context.Background(), cl, []byte(`{"late":1}`), "application/json")
		}
	}
	o := w.duplicate(5 * time.Second)
	wantVerdict(t, o, Replay, "")
	if string(o.Response) != `{"late":1}` || !w.clock.now().Equal(limit) {
		t.Fatalf("replayed %q after %s, want {\"late\":1} after 4.5 s", o.Response, w.clock.now().Sub(start))
	}
}

func TestWaitBoundedByTheContextDeadline(t *testing.T) {
	w := newWaitFixture(t, Config{})
	w.first(t, 60*time.Second)
	start := w.clock.now()
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	o := w.core.Begin(ctx, []byte(`{"id":1}`), w.clock.now().Add(60*time.Second), "waiter")
	wantVerdict(t, o, Reject, ErrorTypeAlreadyInProgress)
	if waited := w.clock.now().Sub(start); waited > 400*time.Millisecond {
		t.Fatalf("waited %s past the context's deadline", waited)
	}
}

func TestWaitWithoutAnyDeadlineDoesNotWait(t *testing.T) {
	w := newWaitFixture(t, Config{})
	w.first(t, 60*time.Second)
	o := w.core.Begin(context.Background(), []byte(`{"id":1}`), time.Time{}, "waiter")
	wantVerdict(t, o, Reject, ErrorTypeAlreadyInProgress)
	if len(w.sleeps) != 0 {
		t.Fatalf("slept %v without a deadline", w.sleeps)
	}
}

func TestFailModeDoesNotWait(t *testing.T) {
	f := newFixture(t, Config{})
	f.core.sleep = func(context.Context, time.Duration) error {
		t.Fatal("slept in fail mode")
		return nil
	}
	wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "")
	wantVerdict(t, f.begin(t, `{"id":1}`), Reject, ErrorTypeAlreadyInProgress)
}

func TestWaitStoreFailureFailsClosed(t *testing.T) {
	w := newWaitFixture(t, Config{})
	w.first(t, 30*time.Second)
	w.onSleep = func(n int) {
		if n == 2 {
			w.store.mu.Lock()
			w.store.claimErr = errors.New("connection reset")
			w.store.mu.Unlock()
		}
	}
	wantVerdict(t, w.duplicate(30*time.Second), Reject, ErrorTypePersistence)
}

func TestWaitValidatesTheRecordItFinds(t *testing.T) {
	cfg := Config{Key: KeyConfig{EventKeyJMESPath: "id", PayloadValidationJMESPath: "amount"}}
	w := newWaitFixture(t, cfg)
	o := w.core.Begin(context.Background(), []byte(`{"id":1,"amount":1}`), w.clock.now().Add(30*time.Second), "first")
	wantVerdict(t, o, Proceed, "")
	w.onSleep = func(n int) {
		if n == 2 {
			// The first is released and another delivery with another
			// payload claims the key; the waiter must not replay it.
			w.core.Failed(context.Background(), o.Claim)
			other := w.core.Begin(context.Background(), []byte(`{"id":1,"amount":9}`), w.clock.now().Add(30*time.Second), "other")
			w.core.Succeeded(context.Background(), other.Claim, []byte(`"nine"`), "")
		}
	}
	// The waiter has amount 1: the stored record (amount 9) fails validation.
	waiter := w.core.Begin(context.Background(), []byte(`{"id":1,"amount":1}`), w.clock.now().Add(30*time.Second), "waiter")
	wantVerdict(t, waiter, Reject, ErrorTypeValidation)
}

func TestWaitReplayCarriesTheReplayHeader(t *testing.T) {
	w := newWaitFixture(t, Config{ReplayHeader: "X-Replayed"})
	cl := w.first(t, 30*time.Second)
	w.onSleep = func(n int) {
		if n == 1 {
			w.core.Succeeded(context.Background(), cl, []byte(`{"statusCode":200,"body":"x"}`), "")
		}
	}
	o := w.duplicate(30 * time.Second)
	wantVerdict(t, o, Replay, "")
	if want := `{"statusCode":200,"body":"x","headers":{"X-Replayed":"true"}}`; string(o.Response) != want {
		t.Fatalf("replayed %s, want %s", o.Response, want)
	}
}

func TestWaitLimit(t *testing.T) {
	c := &Core{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		left, margin time.Duration
	}{{500 * time.Millisecond, minWaitMargin}, {3 * time.Second, 300 * time.Millisecond}, {15 * time.Minute, maxWaitMargin}} {
		limit, ok := c.waitLimit(context.Background(), now, now.Add(tc.left))
		if !ok || now.Add(tc.left).Sub(limit) != tc.margin {
			t.Errorf("%s left: limit %s before the deadline, want %s", tc.left, now.Add(tc.left).Sub(limit), tc.margin)
		}
	}
	if _, ok := c.waitLimit(context.Background(), now, time.Time{}); ok {
		t.Error("a limit without any deadline")
	}
}

func TestNewRejectsABadReplayHeader(t *testing.T) {
	_, err := New(Config{ExpiresAfter: time.Hour, ReplayHeader: "X Replayed"}, newFixture(t, Config{}).mem)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig", err)
	}
	if _, err := New(Config{ExpiresAfter: time.Hour, InProgress: 7}, newFixture(t, Config{}).mem); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("unknown mode: err = %v", err)
	}
}

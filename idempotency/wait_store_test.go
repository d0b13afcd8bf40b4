package idempotency

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// TestWaitPollCost pins what a long wait costs in store operations (the
// README quotes it): a waiter whose first delivery never finishes polls 20
// to 45 times in 10 s.
func TestWaitPollCost(t *testing.T) {
	for range 20 {
		w := newWaitFixture(t, Config{})
		w.first(t, time.Minute)
		claims := w.store.claims
		// A limit 10 s away: the deadline is 10 s plus the 1 s margin.
		wantVerdict(t, w.duplicate(11*time.Second), Reject, ErrorTypeAlreadyInProgress)
		polls := w.store.claims - claims - 1 // the waiter's first claim is not a poll
		if polls < 20 || polls > 45 || polls != len(w.sleeps) {
			t.Fatalf("%d polls (%d sleeps) in a 10 s wait, want 20 to 45", polls, len(w.sleeps))
		}
	}
}

// scriptedStore lets a test replace the answer of the n-th Claim (1-based)
// after the real store answered it.
type scriptedStore struct {
	store.Store
	n      int
	script map[int]func(rec store.Record, got store.Record, err error) (store.Record, error)
}

func (s *scriptedStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	s.n++
	got, err := s.Store.Claim(ctx, rec, now)
	if f := s.script[s.n]; f != nil {
		return f(rec, got, err)
	}
	return got, err
}

func newScriptedWait(t *testing.T) (*waitFixture, *scriptedStore) {
	t.Helper()
	w := newWaitFixture(t, Config{})
	ss := &scriptedStore{Store: w.core.store, script: map[int]func(store.Record, store.Record, error) (store.Record, error){}}
	w.core.store = ss
	return w, ss
}

func TestWaitPollsAgainAfterAnInconsistentAnswer(t *testing.T) {
	w, ss := newScriptedWait(t)
	cl := w.first(t, 30*time.Second)
	// Claims: 1 the first's, 2 the waiter's, 3 its first poll.
	ss.script[3] = func(_ store.Record, got store.Record, err error) (store.Record, error) {
		got.InProgressExpiry = time.Unix(1, 0) // "live" by the store, expired by our clock
		return got, err
	}
	w.onSleep = func(n int) {
		if n == 2 {
			w.core.Succeeded(context.Background(), cl, []byte(`"ok"`), "")
		}
	}
	o := w.duplicate(30 * time.Second)
	wantVerdict(t, o, Replay, "")
	if len(w.sleeps) != 2 {
		t.Fatalf("%d sleeps, want 2", len(w.sleeps))
	}
}

func TestWaitRejectsAnUnknownStatus(t *testing.T) {
	w, ss := newScriptedWait(t)
	w.first(t, 30*time.Second)
	ss.script[3] = func(_ store.Record, got store.Record, err error) (store.Record, error) {
		got.Status = "EXPIRED"
		return got, err
	}
	wantVerdict(t, w.duplicate(30*time.Second), Reject, ErrorTypePersistence)
}

func TestWaitRecognisesItsOwnClaim(t *testing.T) {
	w, ss := newScriptedWait(t)
	cl := w.first(t, 30*time.Second)
	w.onSleep = func(n int) {
		if n == 1 {
			w.core.Failed(context.Background(), cl)
		}
	}
	// The poll's claim is written but its reply is lost, and the client's
	// retry finds it: the waiter's own record.
	ss.script[3] = func(rec store.Record, got store.Record, err error) (store.Record, error) {
		if err != nil {
			t.Fatalf("the poll's claim failed: %v", err)
		}
		return rec.Persisted(), fmt.Errorf("retry: %w", store.ErrAlreadyExists)
	}
	o := w.duplicate(30 * time.Second)
	wantVerdict(t, o, Proceed, "")
	if rec := w.only(t); rec.Owner != o.Claim.rec.Owner {
		t.Fatalf("record %+v is not the waiter's", rec)
	}
}

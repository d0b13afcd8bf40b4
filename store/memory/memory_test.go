package memory_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
	"github.com/idemproxy/idemproxy/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Run("fresh store per subtest", func(t *testing.T) {
		storetest.Run(t, storetest.Harness{
			New: func(*testing.T) store.Store { return memory.New() },
		})
	})
	t.Run("one shared store and clients", func(t *testing.T) {
		shared := memory.New()
		storetest.Run(t, storetest.Harness{
			New:       func(*testing.T) store.Store { return shared },
			NewClient: func(*testing.T) store.Store { return shared },
		})
	})
	t.Run("response limit", func(t *testing.T) {
		storetest.Run(t, storetest.Harness{
			New:              func(*testing.T) store.Store { return memory.NewLimited(64 << 10) },
			MaxResponseBytes: 64 << 10,
		})
	})
}

func inProgress(key, owner string, now time.Time) store.Record {
	return store.Record{
		Key:              key,
		Status:           store.StatusInProgress,
		Expiry:           now.Add(time.Hour),
		InProgressExpiry: now.Add(time.Minute),
		Owner:            owner,
	}
}

func TestResponseIsCopiedInAndOut(t *testing.T) {
	ctx, now := t.Context(), time.Now()
	s := memory.New()
	rec := inProgress("k", "owner", now)
	if _, err := s.Claim(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	buf := []byte("response")
	done := rec
	done.Status, done.Response = store.StatusCompleted, buf
	if err := s.Complete(ctx, done); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'X'
	got, ok := s.Lookup("k")
	if !ok || string(got.Response) != "response" {
		t.Fatalf("after caller changed its buffer: Lookup = %q, %v; want %q", got.Response, ok, "response")
	}
	got.Response[0] = 'Y'
	dup, err := s.Claim(ctx, inProgress("k", "other", now), now)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Claim err = %v, want ErrAlreadyExists", err)
	}
	if string(dup.Response) != "response" {
		t.Fatalf("after Lookup result changed: Claim returned %q, want %q", dup.Response, "response")
	}
	dup.Response[1] = 'Z'
	if again, _ := s.Lookup("k"); !bytes.Equal(again.Response, []byte("response")) {
		t.Fatalf("after Claim result changed: Lookup = %q, want %q", again.Response, "response")
	}
}

func TestLookupReturnsStoredPrecision(t *testing.T) {
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 123_456_789)
	s := memory.New()
	rec := inProgress("k", "owner", now)
	if _, err := s.Claim(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Lookup("k")
	if !ok {
		t.Fatal("Lookup: record missing")
	}
	if want := time.Unix(1_700_003_600, 0).UTC(); got.Expiry != want {
		t.Errorf("Expiry = %v, want %v", got.Expiry, want)
	}
	if want := time.UnixMilli(1_700_000_060_123).UTC(); got.InProgressExpiry != want {
		t.Errorf("InProgressExpiry = %v, want %v", got.InProgressExpiry, want)
	}
	if _, ok := s.Lookup("missing"); ok {
		t.Error("Lookup(missing) reported a record")
	}
}

func TestSweepDropsOnlyExpiredRecords(t *testing.T) {
	ctx, t0 := t.Context(), time.Now()
	s := memory.New()
	const n = 100
	for i := range n {
		if _, err := s.Claim(ctx, inProgress(fmt.Sprintf("old-%d", i), "o", t0), t0); err != nil {
			t.Fatal(err)
		}
	}
	// Lapsed in-progress claim, but the record itself has not expired: its
	// owner may still complete it, so it must survive.
	lapsed := inProgress("lapsed", "o", t0)
	lapsed.Expiry = t0.Add(5 * time.Hour)
	if _, err := s.Claim(ctx, lapsed, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(2 * time.Hour) // every old-* record has expired
	for i := range n + 1 {
		if _, err := s.Claim(ctx, inProgress(fmt.Sprintf("new-%d", i), "o", later), later); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.Len(), n+2; got != want {
		t.Errorf("Len = %d after sweep, want %d (the new records and the lapsed one)", got, want)
	}
	if _, ok := s.Lookup("old-0"); ok {
		t.Error("expired record old-0 survived the sweep")
	}
	done := lapsed
	done.Status = store.StatusCompleted
	if err := s.Complete(ctx, done); err != nil {
		t.Errorf("Complete of the lapsed but unexpired claim: %v", err)
	}
}

func TestNewLimitedNonPositiveMeansUnlimited(t *testing.T) {
	ctx, now := t.Context(), time.Now()
	for _, limit := range []int{0, -1} {
		s := memory.NewLimited(limit)
		rec := inProgress("k", "owner", now)
		if _, err := s.Claim(ctx, rec, now); err != nil {
			t.Fatal(err)
		}
		done := rec
		done.Status, done.Response = store.StatusCompleted, make([]byte, 7<<20)
		if err := s.Complete(ctx, done); err != nil {
			t.Errorf("NewLimited(%d): Complete of a 7 MiB response: %v", limit, err)
		}
	}
}

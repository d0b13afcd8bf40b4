package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// Every way a claim ends takes it out of the held set; only unsettled
// claims are released at shutdown.
func TestHeldClaimsFollowTheirInvocations(t *testing.T) {
	f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}})
	ctx := context.Background()
	claims := map[string]*Claim{}
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		o := f.begin(t, `{"id":`+id+`}`)
		wantVerdict(t, o, Proceed, "")
		claims[id] = o.Claim
	}
	if n := f.core.Held(); n != 5 {
		t.Fatalf("held %d claims, want 5", n)
	}
	// A replay, a conflict and an event without a key hold nothing more.
	wantVerdict(t, f.begin(t, `{"id":1}`), Reject, ErrorTypeAlreadyInProgress)
	if o := f.begin(t, `{"other":1}`); o.Claim != nil {
		t.Fatal("a claim for an event without a key")
	}
	f.core.Succeeded(ctx, claims["1"], []byte(`"one"`), "")
	f.core.Failed(ctx, claims["2"])
	f.core.Unrecorded(ctx, claims["3"], "streamed")
	wantVerdict(t, f.begin(t, `{"id":1}`), Replay, "")
	if n := f.core.Held(); n != 2 {
		t.Fatalf("held %d claims after settling three, want 2", n)
	}

	n, err := f.core.ReleaseHeld(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ReleaseHeld = %d, %v; want 2, nil", n, err)
	}
	if f.core.Held() != 0 {
		t.Fatal("claims still held after ReleaseHeld")
	}
	if _, ok := f.mem.Lookup(f.keyOf(t, `{"id":4}`)); ok {
		t.Error("record 4 not released")
	}
	if rec, ok := f.mem.Lookup(f.keyOf(t, `{"id":1}`)); !ok || rec.Status != store.StatusCompleted {
		t.Errorf("completed record 1 touched: %+v %v", rec, ok)
	}
	// A released claim is settled: its late response is not recorded, and
	// a retry runs.
	f.core.Succeeded(ctx, claims["4"], []byte(`"late"`), "")
	if _, ok := f.mem.Lookup(f.keyOf(t, `{"id":4}`)); ok {
		t.Error("a released claim's late response was recorded")
	}
	wantVerdict(t, f.begin(t, `{"id":4}`), Proceed, "")
	if got := f.core.Stats().ReleasedHeld; got != 2 {
		t.Errorf("ReleasedHeld = %d, want 2", got)
	}
	if n, err := f.core.ReleaseHeld(ctx); n != 1 || err != nil {
		t.Errorf("second ReleaseHeld = %d, %v; want the new claim released", n, err)
	}
}

// A record taken over after its deadline is not ours: left alone.
func TestReleaseHeldLeavesOthersRecords(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	f.begin(t, `{"id":1}`)
	f.clock.advance(31 * time.Second) // past the in-progress expiry
	other := f.begin(t, `{"id":1}`)
	wantVerdict(t, other, Proceed, "")
	n, err := f.core.ReleaseHeld(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ReleaseHeld = %d, %v; want 1 (the newer claim), nil", n, err)
	}
	if f.mem.Len() != 0 {
		t.Fatalf("store holds %d records", f.mem.Len())
	}

	// Now the first claim only, taken over by another sandbox.
	f2 := newFixture(t, Config{})
	f2.begin(t, `{"id":1}`)
	f2.clock.advance(31 * time.Second)
	rec := store.Record{Key: f2.keyOf(t, `{"id":1}`), Status: store.StatusInProgress, Expiry: f2.clock.now().Add(time.Hour),
		InProgressExpiry: f2.deadline(), Owner: "someone else"}
	if _, err := f2.mem.Claim(ctx, rec, f2.clock.now()); err != nil {
		t.Fatal(err)
	}
	if n, err := f2.core.ReleaseHeld(ctx); n != 0 || err != nil {
		t.Fatalf("ReleaseHeld = %d, %v; want 0, nil", n, err)
	}
	if got, _ := f2.mem.Lookup(rec.Key); got.Owner != "someone else" {
		t.Errorf("another owner's record changed: %+v", got)
	}
}

func TestReleaseHeldReportsStoreErrors(t *testing.T) {
	f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}})
	f.begin(t, `{"id":1}`)
	f.begin(t, `{"id":2}`)
	boom := errors.New("boom")
	f.store.deleteErr = boom
	n, err := f.core.ReleaseHeld(context.Background())
	if n != 0 || !errors.Is(err, ErrReleaseHeld) || !errors.Is(err, boom) {
		t.Fatalf("ReleaseHeld = %d, %v; want 0 and ErrReleaseHeld wrapping the store error", n, err)
	}
	if f.core.Stats().StoreErrors != 2 {
		t.Errorf("store errors = %d, want 2", f.core.Stats().StoreErrors)
	}
}

func TestReleaseHeldHonoursTheContext(t *testing.T) {
	f := newFixture(t, Config{})
	f.begin(t, `{"id":1}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.core.ReleaseHeld(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReleaseHeld with a cancelled context: %v, want context.Canceled", err)
	}
	if f.mem.Len() != 1 {
		t.Error("record deleted despite the cancelled context")
	}
}

// Claims of the local API are held like the handler's: released at a crash
// unless completed or released first; lapsed ones are forgotten.
func TestFunctionClaimsAreHeld(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	call := func(data string) FunctionOutcome {
		t.Helper()
		return f.core.ClaimFunction(ctx, FunctionCall{KeyPrefix: "fn.record", Data: []byte(data), Deadline: f.deadline(), RequestID: "req"})
	}
	done, open, dropped := call(`{"n":1}`), call(`{"n":2}`), call(`{"n":3}`)
	for _, o := range []FunctionOutcome{done, open, dropped} {
		wantVerdict(t, o.Outcome, Proceed, "")
	}
	if n := f.core.Held(); n != 3 {
		t.Fatalf("held %d claims, want 3", n)
	}
	if _, err := f.core.CompleteFunction(ctx, done.Token, []byte(`"ok"`), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.core.ReleaseFunction(ctx, dropped.Token); err != nil {
		t.Fatal(err)
	}
	if n := f.core.Held(); n != 1 {
		t.Fatalf("held %d claims after a completion and a release, want 1", n)
	}
	if n, err := f.core.ReleaseHeld(ctx); err != nil || n != 1 {
		t.Fatalf("ReleaseHeld = %d, %v; want 1, nil", n, err)
	}
	if _, ok := f.mem.Lookup(open.Key); ok {
		t.Error("the open claim's record was not released")
	}
	if rec, ok := f.mem.Lookup(done.Key); !ok || rec.Status != store.StatusCompleted {
		t.Errorf("the completed record was touched: %+v %v", rec, ok)
	}
	wantVerdict(t, call(`{"n":2}`).Outcome, Proceed, "")

	// A claim never settled stops being held once its deadline passed.
	f.clock.advance(time.Minute)
	wantVerdict(t, call(`{"n":4}`).Outcome, Proceed, "")
	if n := f.core.Held(); n != 1 {
		t.Fatalf("held %d claims after the earlier ones lapsed, want 1", n)
	}
}

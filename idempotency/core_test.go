package idempotency

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

// clock is a settable time source; tests never sleep.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// faultyStore wraps a store and fails the operations it is told to.
type faultyStore struct {
	store.Store
	mu                               sync.Mutex
	claimErr, completeErr, deleteErr error
	claims                           int
}

func (f *faultyStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	f.mu.Lock()
	f.claims++
	err := f.claimErr
	f.mu.Unlock()
	if err != nil {
		return store.Record{}, err
	}
	return f.Store.Claim(ctx, rec, now)
}

func (f *faultyStore) Complete(ctx context.Context, rec store.Record) error {
	if f.completeErr != nil {
		return f.completeErr
	}
	return f.Store.Complete(ctx, rec)
}

func (f *faultyStore) Delete(ctx context.Context, key, owner string) error {
	if f.deleteErr != nil {
		return f.deleteErr
	}
	return f.Store.Delete(ctx, key, owner)
}

type fixture struct {
	core  *Core
	mem   *memory.Store
	store *faultyStore
	clock *clock
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	if cfg.ExpiresAfter == 0 {
		cfg.ExpiresAfter = time.Hour
	}
	if cfg.Key.KeyPrefix == "" {
		cfg.Key.KeyPrefix = "fn.app.handler"
	}
	f := &fixture{mem: memory.New(), clock: &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 500_000_000, time.UTC)}}
	f.store = &faultyStore{Store: f.mem}
	c, err := New(cfg, f.store, WithClock(f.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	f.core = c
	return f
}

func (f *fixture) deadline() time.Time { return f.clock.now().Add(30 * time.Second) }

func (f *fixture) begin(t *testing.T, event string) Outcome {
	t.Helper()
	return f.core.Begin(context.Background(), []byte(event), f.deadline(), "req")
}

func (f *fixture) only(t *testing.T) store.Record {
	t.Helper()
	if f.mem.Len() != 1 {
		t.Fatalf("store holds %d records, want 1", f.mem.Len())
	}
	k := f.keyOf(t, `{"id":1}`)
	rec, ok := f.mem.Lookup(k)
	if !ok {
		t.Fatalf("no record for %s", k)
	}
	return rec
}

func (f *fixture) keyOf(t *testing.T, event string) string {
	d, err := f.core.keyer.Derive([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	return d.Key
}

func wantVerdict(t *testing.T, o Outcome, v Verdict, errorType string) {
	t.Helper()
	if o.Verdict != v || o.ErrorType != errorType {
		t.Fatalf("outcome %+v, want verdict %d errorType %q", o, v, errorType)
	}
}

func TestFirstInvocationClaimsThenRecordsTheResponse(t *testing.T) {
	f := newFixture(t, Config{})
	dl := f.deadline()
	o := f.core.Begin(context.Background(), []byte(`{"id":1}`), dl, "req-1")
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil {
		t.Fatal("no claim")
	}
	rec := f.only(t)
	if rec.Status != store.StatusInProgress || rec.InProgressExpiry.UnixMilli() != dl.UnixMilli() ||
		rec.Expiry.Unix() != f.clock.now().Add(time.Hour).Unix() || !strings.HasPrefix(rec.Key, "fn.app.handler#") {
		t.Errorf("claimed record %+v", rec)
	}
	f.clock.advance(2 * time.Second)
	resp := []byte("{\"ok\": true, \"bin\": \"\x00\xff\"}")
	f.core.Succeeded(context.Background(), o.Claim, resp, "application/json")
	rec = f.only(t)
	if rec.Status != store.StatusCompleted || string(rec.Response) != string(resp) || rec.ContentType != "application/json" ||
		rec.Expiry.Unix() != f.clock.now().Add(time.Hour).Unix() {
		t.Errorf("completed record %+v", rec)
	}
}

func TestReplayAnswersWithTheStoredBytes(t *testing.T) {
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte("exact\r\nbytes"), "text/plain")
	r := f.begin(t, `{ "id" : 1 }`)
	wantVerdict(t, r, Replay, "")
	if string(r.Response) != "exact\r\nbytes" || r.ContentType != "text/plain" {
		t.Errorf("replay %q %q", r.Response, r.ContentType)
	}
	if other := f.begin(t, `{"id":2}`); other.Verdict != Proceed || other.Claim == nil {
		t.Errorf("a different key must run: %+v", other)
	}
}

func TestDuplicateWhileInProgressFails(t *testing.T) {
	f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}})
	f.begin(t, `{"id":1}`)
	o := f.begin(t, `{"id":1,"other":"x"}`)
	wantVerdict(t, o, Reject, ErrorTypeAlreadyInProgress)
	if !strings.Contains(o.ErrorMessage, "id="+f.keyOf(t, `{"id":1}`)) {
		t.Errorf("message %q does not name the key", o.ErrorMessage)
	}
}

func TestExpiredInProgressRecordIsClaimedAgain(t *testing.T) {
	f := newFixture(t, Config{})
	first := f.begin(t, `{"id":1}`)
	f.clock.advance(30*time.Second + time.Millisecond) // past the first invocation's deadline
	o := f.begin(t, `{"id":1}`)
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil || o.Claim.rec.Owner == first.Claim.rec.Owner {
		t.Fatal("not claimed anew")
	}
	// The first invocation finishing late cannot overwrite the new claim.
	f.core.Succeeded(context.Background(), first.Claim, []byte("late"), "")
	if rec := f.only(t); rec.Status != store.StatusInProgress || rec.Owner != o.Claim.rec.Owner {
		t.Errorf("late completion overwrote the new owner's record: %+v", rec)
	}
	if f.core.Stats().Lost != 1 {
		t.Errorf("lost = %d", f.core.Stats().Lost)
	}
}

func TestExpiredCompletedRecordIsClaimedAgain(t *testing.T) {
	f := newFixture(t, Config{ExpiresAfter: 10 * time.Second})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte("v1"), "")
	f.clock.advance(9 * time.Second)
	wantVerdict(t, f.begin(t, `{"id":1}`), Replay, "")
	f.clock.advance(2 * time.Second)
	o = f.begin(t, `{"id":1}`)
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil {
		t.Fatal("no claim after expiry")
	}
}

// staleStore always reports an existing record that is no longer live, as
// a store whose clock runs behind ours would.
type staleStore struct {
	store.Store
	claims int
}

func (s *staleStore) Claim(_ context.Context, rec store.Record, now time.Time) (store.Record, error) {
	s.claims++
	old := rec
	old.InProgressExpiry = now.Add(-time.Second)
	return old, store.ErrAlreadyExists
}

func TestInconsistentStateIsRetriedTwice(t *testing.T) {
	st := &staleStore{Store: memory.New()}
	c, err := New(Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour}, st)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Begin(context.Background(), []byte(`{"a":1}`), time.Now().Add(time.Minute), "r")
	wantVerdict(t, o, Reject, ErrorTypeInconsistentState)
	if st.claims != 3 {
		t.Errorf("%d claim attempts, want 3", st.claims)
	}
}

func TestHandlerErrorReleasesOnlyItsOwnRecord(t *testing.T) {
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.core.Failed(context.Background(), o.Claim)
	if f.mem.Len() != 0 {
		t.Fatal("record not deleted after a handler error")
	}
	wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "") // the retry runs

	// A stale owner's error must not delete a record someone else holds.
	f2 := newFixture(t, Config{})
	a := f2.begin(t, `{"id":1}`)
	f2.clock.advance(31 * time.Second)
	b := f2.begin(t, `{"id":1}`)
	f2.core.Failed(context.Background(), a.Claim)
	if rec := f2.only(t); rec.Owner != b.Claim.rec.Owner {
		t.Errorf("another invocation's record was deleted or changed: %+v", rec)
	}
}

func TestPayloadValidation(t *testing.T) {
	cfg := Config{Key: KeyConfig{EventKeyJMESPath: "id", PayloadValidationJMESPath: "amount"}, UseLocalCache: true, LocalCacheMaxItems: 8}
	f := newFixture(t, cfg)
	o := f.begin(t, `{"id":1,"amount":10}`)
	// Mismatch against an INPROGRESS record returned by the failed claim.
	wantVerdict(t, f.begin(t, `{"id":1,"amount":11}`), Reject, ErrorTypeValidation)
	f.core.Succeeded(context.Background(), o.Claim, []byte("ok"), "")
	// Mismatch against the COMPLETED record served from the local cache.
	wantVerdict(t, f.begin(t, `{"id":1,"amount":12}`), Reject, ErrorTypeValidation)
	// And from the store.
	f.core.cache.remove(o.Claim.Key())
	wantVerdict(t, f.begin(t, `{"id":1,"amount":13}`), Reject, ErrorTypeValidation)
	wantVerdict(t, f.begin(t, `{"id":1,"amount":10}`), Replay, "")
}

func TestStoreFailureOnClaimFailsWithoutRunningTheHandler(t *testing.T) {
	f := newFixture(t, Config{})
	f.store.claimErr = errors.New("connection refused")
	o := f.begin(t, `{"id":1}`)
	wantVerdict(t, o, Reject, ErrorTypePersistence)
	if !strings.Contains(o.ErrorMessage, "connection refused") || o.Claim != nil {
		t.Errorf("outcome %+v", o)
	}
}

func TestStoreFailureOnCompletionLeavesTheRecordInProgress(t *testing.T) {
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.store.completeErr = errors.New("timeout")
	f.core.Succeeded(context.Background(), o.Claim, []byte("r"), "")
	f.store.completeErr = nil
	if rec := f.only(t); rec.Status != store.StatusInProgress {
		t.Errorf("record %+v", rec)
	}
	wantVerdict(t, f.begin(t, `{"id":1}`), Reject, ErrorTypeAlreadyInProgress)
	f.clock.advance(31 * time.Second)
	wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "") // after the deadline a retry runs
	if f.core.Stats().StoreErrors != 1 {
		t.Errorf("store errors = %d", f.core.Stats().StoreErrors)
	}
}

func TestTooLargeOrUnrecordedResponsesReleaseTheRecord(t *testing.T) {
	f := newFixture(t, Config{})
	f.store.Store = memory.NewLimited(4)
	f.mem = nil
	o := f.core.Begin(context.Background(), []byte(`{"id":1}`), f.deadline(), "r")
	f.core.Succeeded(context.Background(), o.Claim, []byte("too large"), "")
	wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "")
	if f.core.Stats().TooLarge != 1 {
		t.Errorf("too large = %d", f.core.Stats().TooLarge)
	}

	g := newFixture(t, Config{})
	o = g.begin(t, `{"id":1}`)
	g.core.Unrecorded(context.Background(), o.Claim, "streamed")
	if g.mem.Len() != 0 {
		t.Error("record kept after an unrecorded response")
	}
}

func TestLocalCacheServesOnlyLiveCompletedRecords(t *testing.T) {
	f := newFixture(t, Config{UseLocalCache: true, LocalCacheMaxItems: 2, ExpiresAfter: 10 * time.Second})
	o := f.begin(t, `{"id":1}`)
	if f.core.cache.len() != 0 {
		t.Fatal("INPROGRESS record cached")
	}
	f.core.Succeeded(context.Background(), o.Claim, []byte("cached"), "")
	f.store.claimErr = errors.New("store down")
	r := f.begin(t, `{"id":1}`)
	wantVerdict(t, r, Replay, "") // from the cache: the store is not asked
	if string(r.Response) != "cached" {
		t.Errorf("cached replay %q", r.Response)
	}
	f.clock.advance(11 * time.Second)
	wantVerdict(t, f.begin(t, `{"id":1}`), Reject, ErrorTypePersistence) // expired in the cache: store asked
	if f.core.cache.len() != 0 {
		t.Error("expired record still cached")
	}
	// LRU bound.
	f.store.claimErr = nil
	for _, ev := range []string{`{"id":2}`, `{"id":3}`, `{"id":4}`} {
		o := f.begin(t, ev)
		f.core.Succeeded(context.Background(), o.Claim, []byte(ev), "")
	}
	if f.core.cache.len() != 2 {
		t.Errorf("cache holds %d, max 2", f.core.cache.len())
	}
}

func TestMissingKey(t *testing.T) {
	for _, ev := range []string{`{"other":1}`, `{"id":null}`, `{"id":""}`, `{"id":[]}`, `{"id":{}}`, `{"id":[null,null]}`} {
		f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}})
		o := f.begin(t, ev)
		if o.Verdict != Proceed || o.Claim != nil || f.mem.Len() != 0 {
			t.Errorf("%s: %+v, %d records", ev, o, f.mem.Len())
		}
		g := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}, RaiseOnNoIdempotencyKey: true})
		wantVerdict(t, g.begin(t, ev), Reject, ErrorTypeKey)
	}
	f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}, RaiseOnNoIdempotencyKey: true})
	for _, ev := range []string{`{"id":0}`, `{"id":false}`} {
		if o := f.begin(t, ev); o.Verdict != Proceed || o.Claim == nil {
			t.Errorf("%s is a key in Powertools: %+v", ev, o)
		}
	}
}

func TestEventsThatAreNotJSONRunWithoutAKey(t *testing.T) {
	for _, ev := range []string{"", "   ", "not json", "\x00\x01binary", "<xml/>", "\xef\xbb\xbfplain"} {
		f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "id"}})
		if o := f.begin(t, ev); o.Verdict != Proceed || o.Claim != nil || f.mem.Len() != 0 {
			t.Errorf("%q: %+v", ev, o)
		}
		g := newFixture(t, Config{RaiseOnNoIdempotencyKey: true})
		wantVerdict(t, g.begin(t, ev), Reject, ErrorTypeKey)
	}
}

func TestMalformedEventFailsWithKeyError(t *testing.T) {
	f := newFixture(t, Config{Key: KeyConfig{EventKeyJMESPath: "powertools_json(body).id"}})
	for _, ev := range []string{`{"id":`, `[1,`, `"unterminated`, `{"body":"{not json"}`, `nulls`, `-`} {
		o := f.begin(t, ev)
		wantVerdict(t, o, Reject, ErrorTypeKey)
	}
	if f.mem.Len() != 0 {
		t.Error("store touched")
	}
}

func TestConcurrentDuplicatesHaveOneWinner(t *testing.T) {
	f := newFixture(t, Config{})
	const n = 32
	var wg sync.WaitGroup
	outcomes := make([]Outcome, n)
	for i := range n {
		wg.Go(func() {
			outcomes[i] = f.core.Begin(context.Background(), []byte(`{"id":1}`), f.deadline(), "r")
		})
	}
	wg.Wait()
	won := 0
	for _, o := range outcomes {
		switch {
		case o.Verdict == Proceed && o.Claim != nil:
			won++
		case o.ErrorType == ErrorTypeAlreadyInProgress:
		default:
			t.Errorf("unexpected outcome %+v", o)
		}
	}
	if won != 1 {
		t.Errorf("%d winners", won)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{ExpiresAfter: time.Hour, Key: KeyConfig{EventKeyJMESPath: "a.["}}, memory.New()); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad expression: %v", err)
	}
	if _, err := New(Config{ExpiresAfter: time.Hour, Key: KeyConfig{HashFunction: "crc32"}}, memory.New()); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad hash: %v", err)
	}
	if _, err := New(Config{}, memory.New()); err == nil {
		t.Error("zero expiry accepted")
	}
}

package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func mustStatusCodes(t *testing.T, s string) StatusCodes {
	t.Helper()
	sc, err := ParseStatusCodes(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestSkipStatusCodesReleaseTheRecord(t *testing.T) {
	for _, tc := range []struct {
		name     string
		response string
		stored   bool
	}{
		{"5xx class", `{"statusCode":503,"body":"busy"}`, false},
		{"exact code", `{"statusCode":429,"headers":{"Retry-After":"1"}}`, false},
		{"500 in the class", `{"statusCode":500}`, false},
		{"other code", `{"statusCode":404}`, true},
		{"success", `{"statusCode":200,"body":"ok"}`, true},
		{"not a proxy response", `{"count":1,"status":503}`, true},
		{"status code as a string", `{"statusCode":"503"}`, true},
		{"nested status code", `{"result":{"statusCode":503}}`, true},
		{"not JSON", "\x00\x01 503", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Config{SkipStatusCodes: mustStatusCodes(t, "5xx,429")})
			o := f.begin(t, `{"id":1}`)
			wantVerdict(t, o, Proceed, "")
			f.core.Succeeded(context.Background(), o.Claim, []byte(tc.response), "application/json")
			if !tc.stored {
				if f.mem.Len() != 0 {
					t.Fatalf("record kept: %+v", f.only(t))
				}
				if s := f.core.Stats(); s.Unrecorded != 1 || s.Completed != 0 {
					t.Fatalf("stats %+v", s)
				}
				// A retry runs the handler.
				wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "")
				return
			}
			if rec := f.only(t); rec.Status != store.StatusCompleted || string(rec.Response) != tc.response {
				t.Fatalf("record %+v", rec)
			}
			wantVerdict(t, f.begin(t, `{"id":1}`), Replay, "")
		})
	}
}

func TestSkipStatusCodesOnlyDeleteTheOwnRecord(t *testing.T) {
	f := newFixture(t, Config{SkipStatusCodes: mustStatusCodes(t, "5xx")})
	o := f.begin(t, `{"id":1}`)
	// The claim lapses and another delivery takes the key over.
	f.clock.advance(31 * time.Second)
	other := f.begin(t, `{"id":1}`)
	wantVerdict(t, other, Proceed, "")
	f.core.Succeeded(context.Background(), o.Claim, []byte(`{"statusCode":502}`), "")
	if rec := f.only(t); rec.Owner != other.Claim.rec.Owner || rec.Status != store.StatusInProgress {
		t.Fatalf("the other delivery's record was touched: %+v", rec)
	}
}

func TestSkipStatusCodesDeleteFailureIsLogged(t *testing.T) {
	f := newFixture(t, Config{SkipStatusCodes: mustStatusCodes(t, "503")})
	o := f.begin(t, `{"id":1}`)
	f.store.deleteErr = errors.New("store down")
	f.core.Succeeded(context.Background(), o.Claim, []byte(`{"statusCode":503}`), "")
	if rec := f.only(t); rec.Status != store.StatusInProgress {
		t.Fatalf("record %+v", rec)
	}
	if s := f.core.Stats(); s.StoreErrors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNoSkipStatusCodesStoresEverything(t *testing.T) {
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte(`{"statusCode":500}`), "")
	if rec := f.only(t); rec.Status != store.StatusCompleted {
		t.Fatalf("record %+v", rec)
	}
}

func TestReplayHeader(t *testing.T) {
	const resp = `{"statusCode":201,"headers":{"Content-Type":"application/json","x-replayed":"stale"},"body":"{\"id\":7}"}`
	const marked = `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Replayed":"true"},"body":"{\"id\":7}"}`
	for _, cache := range []bool{false, true} {
		f := newFixture(t, Config{ReplayHeader: "X-Replayed", UseLocalCache: cache, LocalCacheMaxItems: 4})
		o := f.begin(t, `{"id":1}`)
		f.core.Succeeded(context.Background(), o.Claim, []byte(resp), "application/json")
		for i := range 2 { // from the store or the cache, then the cache
			r := f.begin(t, `{"id":1}`)
			wantVerdict(t, r, Replay, "")
			if string(r.Response) != marked || r.ContentType != "application/json" {
				t.Fatalf("cache %v, replay %d: %s", cache, i, r.Response)
			}
		}
		// The stored record is the handler's response, unmarked.
		if rec := f.only(t); string(rec.Response) != resp {
			t.Fatalf("stored %s", rec.Response)
		}
	}
}

func TestReplayHeaderLeavesOtherResponsesAlone(t *testing.T) {
	for _, resp := range []string{`{"count":1}`, "bytes \xff\x00", ``, `[{"statusCode":200}]`} {
		f := newFixture(t, Config{ReplayHeader: "X-Replayed"})
		o := f.begin(t, `{"id":1}`)
		f.core.Succeeded(context.Background(), o.Claim, []byte(resp), "text/plain")
		r := f.begin(t, `{"id":1}`)
		wantVerdict(t, r, Replay, "")
		if string(r.Response) != resp || r.ContentType != "text/plain" {
			t.Fatalf("%q replayed as %q", resp, r.Response)
		}
	}
}

func TestNoReplayHeaderByDefault(t *testing.T) {
	const resp = `{"statusCode":200}`
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte(resp), "")
	if r := f.begin(t, `{"id":1}`); string(r.Response) != resp {
		t.Fatalf("replayed %s", r.Response)
	}
}

func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("sleepCtx on an ended context: %v after %s", err, time.Since(start))
	}
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

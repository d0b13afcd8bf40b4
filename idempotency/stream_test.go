package idempotency

import (
	"bytes"
	"context"
	"testing"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

const httpIntegration = "application/vnd.awslambda.http-integration-response"

// streamed is a function URL streaming response: prelude, 8 NULs, body.
var streamed = []byte("{\"statusCode\":201,\"headers\":{\"x-a\":\"b\"}}\x00\x00\x00\x00\x00\x00\x00\x00chunk-1 chunk-2")

func TestStreamedResponseIsRecordedAndReplayedAsAStream(t *testing.T) {
	for _, cache := range []bool{false, true} {
		f := newFixture(t, Config{UseLocalCache: cache, LocalCacheMaxItems: 4})
		o := f.begin(t, `{"id":1}`)
		wantVerdict(t, o, Proceed, "")
		f.core.SucceededStreamed(context.Background(), o.Claim, streamed, httpIntegration)
		rec := f.only(t)
		if rec.Status != store.StatusCompleted || !rec.Streamed || !bytes.Equal(rec.Response, streamed) || rec.ContentType != httpIntegration {
			t.Fatalf("cache %v: stored %+v", cache, rec)
		}
		for range 2 { // from the store, then (with the cache) from the cache
			r := f.begin(t, `{"id":1}`)
			wantVerdict(t, r, Replay, "")
			if !r.Streamed || !bytes.Equal(r.Response, streamed) || r.ContentType != httpIntegration {
				t.Errorf("cache %v: replay %+v", cache, r)
			}
		}
	}
}

func TestBufferedResponseIsNotMarkedStreamed(t *testing.T) {
	f := newFixture(t, Config{})
	o := f.begin(t, `{"id":1}`)
	f.core.Succeeded(context.Background(), o.Claim, []byte(`{"ok":1}`), "application/json")
	if r := f.begin(t, `{"id":1}`); r.Verdict != Replay || r.Streamed {
		t.Errorf("replay %+v, want a buffered replay", r)
	}
}

func TestStreamedResponseTooLargeForTheStoreIsReleased(t *testing.T) {
	f := newFixture(t, Config{})
	lim := memory.NewLimited(16)
	f.store.Store = lim
	f.mem = lim
	o := f.begin(t, `{"id":1}`)
	wantVerdict(t, o, Proceed, "")
	f.core.SucceededStreamed(context.Background(), o.Claim, streamed, httpIntegration)
	if lim.Len() != 0 {
		t.Fatalf("store holds %d records after a too-large stream, want the claim released", lim.Len())
	}
	if st := f.core.Stats(); st.TooLarge != 1 || st.Completed != 0 {
		t.Errorf("stats %+v", st)
	}
	wantVerdict(t, f.begin(t, `{"id":1}`), Proceed, "")
}

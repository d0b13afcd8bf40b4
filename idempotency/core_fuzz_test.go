package idempotency

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store/memory"
)

// fuzzCoreConfigs are the configurations FuzzCoreAtMostOnce runs events
// through.
var fuzzCoreConfigs = []Config{
	{Key: KeyConfig{KeyPrefix: "p"}},
	{Key: KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "id"}},
	{Key: KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "[id, amount]", PayloadValidationJMESPath: "amount", HashFunction: "sha256"}},
	{Key: KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "powertools_json(body).id"}, RaiseOnNoIdempotencyKey: true},
	{Key: KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "id"}, UseLocalCache: true, LocalCacheMaxItems: 4},
}

// FuzzCoreAtMostOnce drives the state machine with arbitrary events: it
// never panics; a duplicate of an event whose claim is in progress is
// always rejected with IdempotencyAlreadyInProgressError, never run or
// replayed; a completed claim is replayed with exactly the recorded bytes;
// a failed one runs again; events without a key or that cannot be keyed get
// the same verdict every time.
func FuzzCoreAtMostOnce(f *testing.F) {
	for _, seed := range []string{
		`{"id":1}`, `{"id":"a","amount":5}`, `{"id":{"a":[1,2,{"b":null}]},"amount":1.5e300}`,
		`{"body":"{\"id\":\"x\"}"}`, `{"body":"not json"}`, `[]`, `"x"`, `null`, `0`, "not json", "",
		"{\"id\":\"\xff\"}", `{"id":"\ud800"}`, strings.Repeat("[", 400) + strings.Repeat("]", 400),
		`{"id":null}`, `{"id":[]}`, `{"id":false}`, "\xef\xbb\xbf{\"id\":2}", `{"id":1,"id":2}`,
	} {
		for which := range len(fuzzCoreConfigs) {
			f.Add([]byte(seed), uint8(which), uint8(which%2))
		}
	}
	f.Fuzz(func(t *testing.T, event []byte, which, fail uint8) {
		cfg := fuzzCoreConfigs[int(which)%len(fuzzCoreConfigs)]
		cfg.ExpiresAfter = time.Hour
		now := time.Unix(1_800_000_000, 0)
		c, err := New(cfg, memory.New(), WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		deadline := now.Add(time.Minute)
		first := c.Begin(ctx, event, deadline, "first")
		second := c.Begin(ctx, event, deadline, "second")
		switch {
		case first.Verdict == Proceed && first.Claim != nil:
			if second.Verdict != Reject || second.ErrorType != ErrorTypeAlreadyInProgress {
				t.Fatalf("a duplicate while the first runs: %+v", second)
			}
			if fail%2 == 1 {
				c.Failed(ctx, first.Claim)
				if again := c.Begin(ctx, event, deadline, "again"); again.Verdict != Proceed || again.Claim == nil {
					t.Fatalf("after a failure the retry does not run: %+v", again)
				}
				return
			}
			response := append([]byte("response to "), event...)
			c.Succeeded(ctx, first.Claim, response, "application/octet-stream")
			for _, id := range []string{"third", "fourth"} {
				again := c.Begin(ctx, event, deadline, id)
				if again.Verdict != Replay || !bytes.Equal(again.Response, response) || again.ContentType != "application/octet-stream" {
					t.Fatalf("after the response was recorded: %+v, want a replay of %q", again, response)
				}
			}
		case first.Verdict == Proceed:
			if second.Verdict != Proceed || second.Claim != nil {
				t.Fatalf("an event without a key: first ran unclaimed, second %+v", second)
			}
		case first.Verdict == Reject:
			if second.Verdict != Reject || second.ErrorType != first.ErrorType {
				t.Fatalf("rejections differ: %+v then %+v", first, second)
			}
		default:
			t.Fatalf("the first invocation of an event was replayed: %+v", first)
		}
	})
}

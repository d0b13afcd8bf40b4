package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/dynamodb"
	"github.com/idemproxy/idemproxy/store/memory"
	"github.com/idemproxy/idemproxy/store/redis"
)

// skewMs is how far apart the clocks of the two sandboxes of scenario 4 are.
const skewMs = 2000

// skewTimeout is the function timeout of scenario 4, in seconds.
const skewTimeout = 3

// skewPair is two sandboxes of one function on one DynamoDB table: "behind"
// runs with its clock skewMs late (IDEMPOTENCY_TEST_CLOCK_OFFSET_MS, which
// shifts the clock of the idempotency core and the deadlines it sees, as a
// sandbox with a wrong clock computes them), "right" with the right time.
type skewPair struct {
	behind, right *lambdatest.Emulator
}

func startSkewPair(t *testing.T, b backend, env ...string) skewPair {
	t.Helper()
	start := func(offset int) *lambdatest.Emulator {
		opts := withQuietProxyPort(t, flakyOptions(t))
		opts.FunctionTimeout = skewTimeout
		opts.Env = append(opts.Env, b.env(b.addr)...)
		opts.Env = append(opts.Env, env...)
		opts.Env = append(opts.Env, "IDEMPOTENCY_TEST_CLOCK_OFFSET_MS="+strconv.Itoa(offset))
		return lambdatest.StartT(t, opts)
	}
	return skewPair{behind: start(-skewMs), right: start(0)}
}

// TestReliabilityClockSkew is scenario 4 with real sandboxes: two
// sandboxes whose clocks differ by 2 s share a DynamoDB table (dynalite,
// which never deletes expired items, so every expiry decision is the
// extension's). With IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS=2000:
//   - the invariants of scenario 1 hold for duplicates spread over both;
//   - while the late sandbox's handler runs, the other one never takes its
//     record over, though by its own clock the late one's in-progress
//     expiry has passed;
//   - a completed record written by the late sandbox is replayed by the
//     other until its true expiry, and runs again after it.
//
// Without the tolerance the second point fails: the test shows it, as
// the reason the setting exists.
func TestReliabilityClockSkew(t *testing.T) {
	t.Parallel()
	b := startBackend(t, dynamoBackend)
	dir := sharedDir(t)
	tolerant := startSkewPair(t, b, "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS="+strconv.Itoa(skewMs))
	strict := startSkewPair(t, b)
	expiring := startSkewPair(t, b, "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS="+strconv.Itoa(skewMs), "IDEMPOTENCY_EXPIRES_AFTER_SECONDS=4")
	closeTogether(t, tolerant.behind, tolerant.right, strict.behind, strict.right, expiring.behind, expiring.right)

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := takeoverWhileRunning(t.Context(), tolerant, dir, "tolerant", 1); err != nil {
			t.Errorf("with a tolerance of %d ms: %v", skewMs, err)
		}
	})
	wg.Go(func() {
		if err := takeoverWhileRunning(t.Context(), strict, dir, "strict", 2); err != nil {
			t.Errorf("without a tolerance: %v", err)
		}
	})
	wg.Go(func() {
		if err := expiryWithinSkew(t.Context(), expiring, dir); err != nil {
			t.Errorf("expiry: %v", err)
		}
	})
	wg.Go(func() {
		if err := duplicatesAcrossSkew(t, tolerant, dir); err != nil {
			t.Errorf("duplicates: %v", err)
		}
	})
	wg.Wait()
}

// takeoverWhileRunning runs a 2.5 s handler on the late sandbox and sends
// the same event to the other one 1.5 s in, when by the right clock the
// late sandbox's in-progress expiry (its deadline, 3 s after its own "now",
// 1 s after the real one) has passed. It wants the given number of
// executions.
func takeoverWhileRunning(ctx context.Context, p skewPair, dir, name string, want int) error {
	count := filepath.Join(dir, "runs-takeover-"+name)
	ev := flakyEvent{PauseMs: 2500, CountFile: count}
	ev.Data.Order = "takeover-" + name
	t0 := time.Now()
	done := make(chan outcome, 1)
	go func() {
		res, err := p.behind.Invoke(ctx, ev.JSON())
		o := classify(res)
		if err != nil {
			o.errorType = err.Error()
		}
		done <- o
	}()
	if !waitRuns(count, 1, 5*time.Second) {
		return fmt.Errorf("the late sandbox's handler never ran: %s", <-done)
	}
	time.Sleep(time.Until(t0.Add(1500 * time.Millisecond)))
	res, err := p.right.Invoke(ctx, ev.JSON())
	if err != nil {
		return err
	}
	during := classify(res)
	first := <-done
	if !first.ok() {
		return fmt.Errorf("the late sandbox's invocation: %s", first)
	}
	r, err := readRuns(count)
	if err != nil {
		return err
	}
	if len(r) != want {
		return fmt.Errorf("%d executions, want %d; the other sandbox got %s", len(r), want, during)
	}
	if want == 1 && during.errorType != "IdempotencyAlreadyInProgressError" {
		return fmt.Errorf("the other sandbox got %s while the first ran, want IdempotencyAlreadyInProgressError", during)
	}
	return nil
}

// expiryWithinSkew completes a record on the late sandbox with a 4 s expiry
// and reads it from the other: replayed 3.2 s later (before its true expiry,
// though by the late clock it expired 1.2 s before), run again 6.5 s later
// (after its true expiry, the skew and the second's rounding).
func expiryWithinSkew(ctx context.Context, p skewPair, dir string) error {
	count := filepath.Join(dir, "runs-expiry")
	ev := flakyEvent{CountFile: count}
	ev.Data.Order = "expiry"
	res, err := p.behind.Invoke(ctx, ev.JSON())
	first := classify(res)
	if err != nil || !first.ok() {
		return fmt.Errorf("first: %s (%v)", first, err)
	}
	t1 := time.Now()
	for _, step := range []struct {
		at       time.Duration
		wantRuns int
	}{{3200 * time.Millisecond, 1}, {6500 * time.Millisecond, 2}} {
		time.Sleep(time.Until(t1.Add(step.at)))
		res, err := p.right.Invoke(ctx, ev.JSON())
		o := classify(res)
		if err != nil || !o.ok() {
			return fmt.Errorf("%s after: %s (%v)", step.at, o, err)
		}
		r, err := readRuns(count)
		if err != nil {
			return err
		}
		if len(r) != step.wantRuns {
			return fmt.Errorf("%s after the late sandbox completed it (expiry 4 s): %d executions, want %d", step.at, len(r), step.wantRuns)
		}
		if step.wantRuns == 1 && string(o.body) != string(first.body) {
			return fmt.Errorf("%s after: %s, want the replay of %s", step.at, o, first.body)
		}
	}
	return nil
}

// duplicatesAcrossSkew sends duplicates of a few keys to both sandboxes at
// once, key after key: the invariants of scenario 1 hold.
func duplicatesAcrossSkew(t *testing.T, p skewPair, dir string) error {
	h := newHistory()
	counts := map[string]string{}
	for k := range 5 {
		key := fmt.Sprintf("skew-%d", k)
		counts[key] = filepath.Join(dir, "runs-"+key)
		ev := flakyEvent{PauseMs: 100, CountFile: counts[key]}
		ev.Data.Order = key
		var wg sync.WaitGroup
		for i := range 10 {
			emu, where := p.behind, "behind"
			if i%2 == 1 {
				emu, where = p.right, "right"
			}
			wg.Go(func() {
				res, err := emu.Invoke(t.Context(), ev.JSON())
				h.add(key, where, false, res, err)
			})
		}
		wg.Wait()
	}
	for _, err := range h.errs {
		return err
	}
	for key, outs := range h.outs {
		checkOnce(t, key, outs, counts[key])
	}
	return nil
}

// TestReliabilityStaleOwner is the store-level half of scenario 4, with
// injected clocks on two idempotency cores sharing a real store: an
// invocation whose claim lapsed (its deadline passed by the other core's
// clock, which may be ahead) and was taken over can neither delete nor
// complete the new owner's record, so a third invocation is still rejected
// while the new owner runs, then replays the new owner's response.
func TestReliabilityStaleOwner(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", dynamoBackend, redisBackend} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			st := newStore(t, kind)
			base := time.Now().Truncate(time.Second)
			core := func(at time.Duration) *idempotency.Core {
				c, err := idempotency.New(idempotency.Config{
					Key:          idempotency.KeyConfig{KeyPrefix: "stale", EventKeyJMESPath: "id"},
					ExpiresAfter: time.Hour,
				}, st, idempotency.WithClock(func() time.Time { return base.Add(at) }))
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			ctx := t.Context()
			event := []byte(`{"id":"order-1"}`)
			a, b, c := core(0), core(2*time.Second), core(3*time.Second)
			oa := a.Begin(ctx, event, base.Add(time.Second), "a")
			ob := b.Begin(ctx, event, base.Add(time.Minute), "b")
			if oa.Claim == nil || ob.Claim == nil {
				t.Fatalf("claims: %+v, %+v; want both (the first lapsed after 1 s)", oa, ob)
			}
			// The stale owner fails, then even succeeds late: neither
			// touches b's record.
			a.Failed(ctx, oa.Claim)
			if o := c.Begin(ctx, event, base.Add(time.Minute), "c1"); o.ErrorType != idempotency.ErrorTypeAlreadyInProgress {
				t.Fatalf("after the stale owner's delete: %+v, want IdempotencyAlreadyInProgressError", o)
			}
			a.Succeeded(ctx, oa.Claim, []byte("stale"), "")
			if o := c.Begin(ctx, event, base.Add(time.Minute), "c2"); o.ErrorType != idempotency.ErrorTypeAlreadyInProgress {
				t.Fatalf("after the stale owner's completion: %+v, want IdempotencyAlreadyInProgressError", o)
			}
			b.Succeeded(ctx, ob.Claim, []byte("fresh"), "")
			if o := c.Begin(ctx, event, base.Add(time.Minute), "c3"); o.Verdict != idempotency.Replay || string(o.Response) != "fresh" {
				t.Fatalf("after the new owner's completion: %+v, want a replay of \"fresh\"", o)
			}
			if s := a.Stats(); s.Lost != 1 {
				t.Errorf("the stale owner's lost completions: %d, want 1", s.Lost)
			}
		})
	}
}

// newStore returns a store of the given kind on a fresh server.
func newStore(t *testing.T, kind string) store.Store {
	t.Helper()
	switch kind {
	case "memory":
		return memory.New()
	case redisBackend:
		p := testservers.MustStartRedis(t)
		rs, err := redis.New(redis.Options{URL: "redis://" + p.Addr + "/0"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rs.Close() })
		return rs
	}
	endpoint, _ := startDynamo(t)
	ds, err := dynamodb.New(testservers.DynamoClient(endpoint), dynamodb.DefaultOptions("idem", "test_function"))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

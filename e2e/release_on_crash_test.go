package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// releaseCase is one failure on one store with IDEMPOTENCY_RELEASE_ON_CRASH
// on or off, seen by two sandboxes sharing the store: A, where the handler
// crashes or times out, and B, which gets the retries.
type releaseCase struct {
	store, failure string
	release        bool
	a, b           *lambdatest.Emulator
	dir            string
}

// Timing of the release tests. A crash happens long before the
// invocation's deadline (the function timeout); a timeout happens at it, so
// there the clock skew tolerance keeps the record live after it.
const (
	releaseCrashTimeout   = 12 // s, function timeout of the crash cases
	releaseTimeoutTimeout = 3  // s, function timeout of the timeout cases
	releaseSkewTolerance  = 10 // s, IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS of the timeout cases
	releaseWithin         = 4 * time.Second
)

// TestReleaseOnCrash is issue 9 item 6: when the handler process dies
// mid-invocation or times out, the extension gets SHUTDOWN (the emulator
// resets the environment; reason ReleaseFail or Timeout) and releases the
// INPROGRESS record, so that a retry of the same event from another
// sandbox runs at once (well before the record would have expired) exactly
// once, then is replayed. With IDEMPOTENCY_RELEASE_ON_CRASH=false the
// retries keep getting IdempotencyAlreadyInProgressError meanwhile.
func TestReleaseOnCrash(t *testing.T) {
	t.Parallel()
	var cases []*releaseCase
	for _, tc := range []struct{ store, failure string }{
		{dynamoBackend, crashHandler}, {redisBackend, crashTimeout},
	} {
		b := startBackend(t, tc.store)
		for _, release := range []bool{true, false} {
			start := func() *lambdatest.Emulator {
				opts := withQuietProxyPort(t, flakyOptions(t))
				opts.Env = append(opts.Env, b.env(b.addr)...)
				opts.Env = append(opts.Env, "IDEMPOTENCY_RELEASE_ON_CRASH="+strconv.FormatBool(release))
				opts.FunctionTimeout = releaseCrashTimeout
				if tc.failure == crashTimeout {
					opts.FunctionTimeout = releaseTimeoutTimeout
					opts.Env = append(opts.Env, "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS="+strconv.Itoa(releaseSkewTolerance*1000))
				}
				return lambdatest.StartT(t, opts)
			}
			cases = append(cases, &releaseCase{store: tc.store, failure: tc.failure, release: release, a: start(), b: start(), dir: sharedDir(t)})
		}
	}
	var emus []*lambdatest.Emulator
	for _, c := range cases {
		emus = append(emus, c.a, c.b)
	}
	closeTogether(t, emus...)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			if err := c.run(t.Context()); err != nil {
				t.Errorf("%s %s release=%v: %v\nsandbox A:\n%s", c.store, c.failure, c.release, err, c.a.Logs())
			}
		})
	}
	wg.Wait()
}

func (c *releaseCase) run(ctx context.Context) error {
	count := filepath.Join(c.dir, "runs")
	ev := flakyEvent{CountFile: count, Marker: filepath.Join(c.dir, "marker")}
	ev.Data.Order = fmt.Sprintf("release-%s-%s-%v", c.store, c.failure, c.release)
	wantFirst := "Runtime.ExitError"
	// expires is when the first invocation's record would stop blocking
	// retries without a release.
	t0 := time.Now()
	expires := t0.Add(releaseCrashTimeout * time.Second)
	if c.failure == crashTimeout {
		ev.Action, ev.Ms, wantFirst = "sleep_once", 2*releaseTimeoutTimeout*1000, "timeout"
		expires = t0.Add((releaseTimeoutTimeout + releaseSkewTolerance) * time.Second)
	} else {
		ev.Action = "crash_once"
	}
	invoke := func(emu *lambdatest.Emulator, id string) (outcome, error) {
		res, err := emu.Invoke(ctx, ev.JSON(), lambdatest.WithRequestID(id))
		o := classify(res)
		o.where = id
		return o, err
	}

	first, err := invoke(c.a, "first")
	if err != nil {
		return err
	}
	if first.errorType != wantFirst {
		return fmt.Errorf("the failing invocation got %s, want %s", first, wantFirst)
	}
	failed := time.Now()
	if r, _ := readRuns(count); len(r) != 1 {
		return fmt.Errorf("%d executions by the failing invocation, want 1: %v", len(r), r)
	}

	// Retries from B until one runs (release on) or for as long as a
	// release would have taken (release off).
	var ran outcome
	for i := 0; ; i++ {
		o, err := invoke(c.b, "retry-"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		if time.Now().After(expires.Add(-time.Second)) {
			return fmt.Errorf("the retries reached the record's expiry (machine too slow to test this); last: %s", o)
		}
		if o.ok() {
			if !c.release {
				return fmt.Errorf("a retry ran %s after the failure with IDEMPOTENCY_RELEASE_ON_CRASH=false: %s", time.Since(failed), o)
			}
			ran = o
			break
		}
		if o.errorType != "IdempotencyAlreadyInProgressError" {
			return fmt.Errorf("a retry after the failure: %s, want a run or IdempotencyAlreadyInProgressError", o)
		}
		if time.Since(failed) > releaseWithin {
			if c.release {
				return fmt.Errorf("the record was not released %s after the failure: %s", releaseWithin, o)
			}
			break // still in progress, as it must be: done
		}
		time.Sleep(100 * time.Millisecond)
	}
	r, _ := readRuns(count)
	if !c.release {
		if len(r) != 1 {
			return fmt.Errorf("%d executions with the release off, want 1: %v", len(r), r)
		}
		return nil
	}
	if len(r) != 2 {
		return fmt.Errorf("%d executions after the released retry, want 2: %v", len(r), r)
	}
	// Exactly once: every later retry, on either sandbox, is a replay.
	for i, emu := range []*lambdatest.Emulator{c.b, c.a} {
		o, err := invoke(emu, "replay-"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		if !o.ok() || !bytes.Equal(o.body, ran.body) {
			return fmt.Errorf("a retry after the released run: %s, want a replay of %s", o, ran)
		}
	}
	if r, _ := readRuns(count); len(r) != 2 {
		return fmt.Errorf("%d executions in all, want 2: %v", len(r), r)
	}
	return nil
}

package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// TestBeyondWaitForInProgress runs IDEMPOTENCY_IN_PROGRESS=wait across
// sandboxes sharing a store (dynalite, redis-server): a duplicate arriving
// while the first delivery runs in another sandbox waits and gets its
// response; one whose own (3 s) deadline comes first gets
// IdempotencyAlreadyInProgressError before that deadline; one whose first
// delivery is released (here a 503 with IDEMPOTENCY_SKIP_STATUS_CODES=5xx)
// claims the key and runs. A sandbox in the default mode fails at once.
func TestBeyondWaitForInProgress(t *testing.T) {
	t.Parallel()
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testWaitForInProgress(t, kind)
		})
	}
}

func testWaitForInProgress(t *testing.T, kind string) {
	b := startBackend(t, kind)
	env := append(b.env(b.addr), "IDEMPOTENCY_SKIP_STATUS_CODES=5xx")
	wait := append(env[:len(env):len(env)], "IDEMPOTENCY_IN_PROGRESS=wait")
	start := func(timeout int, env []string) *lambdatest.Emulator {
		opts := withQuietProxyPort(t, proxyFnOptions(t))
		opts.FunctionTimeout = timeout
		return startIdempotent(t, opts, env...)
	}
	var (
		first  = start(10, wait)
		waiter = start(10, wait)
		short  = start(3, wait)
		failer = start(10, env)
	)
	emus := []*lambdatest.Emulator{first, waiter, short, failer}
	closeTogether(t, emus...)
	for i, emu := range emus { // no key: runs, and starts the runtime
		if res := lambdatest.InvokeT(t, emu, proxyEvent{}.JSON()); res.Status != 200 {
			t.Fatalf("warm-up %d: %d %s", i, res.Status, res.Body)
		}
	}
	dir := sharedDir(t)
	event := func(key string, status, sleepMs int) (proxyEvent, string) {
		e := proxyEvent{Status: status, SleepMs: sleepMs, CountFile: countFile(t, dir, key)}
		e.Data.Order = key
		return e, e.CountFile
	}
	// runFirst starts e on the first sandbox and returns once its handler
	// runs (its count file has a line); the result comes on the channel.
	runFirst := func(e proxyEvent) <-chan lambdatest.Result {
		out := make(chan lambdatest.Result, 1)
		go func() {
			res, err := first.Invoke(t.Context(), e.JSON(), lambdatest.WithRequestID("first-"+e.Data.Order))
			if err != nil {
				t.Errorf("first delivery: %v", err)
			}
			out <- res
		}()
		for deadline := time.Now().Add(10 * time.Second); len(runs(t, e.CountFile)) == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the first delivery's handler never ran")
			}
		}
		return out
	}

	t.Run("the first completes: replayed", func(t *testing.T) {
		e, count := event("w-completes", 200, 1500)
		firstDone := runFirst(e)
		// The default mode fails at once.
		fe := decodeError(t, lambdatest.InvokeT(t, failer, e.JSON()), 200)
		if fe.ErrorType != "IdempotencyAlreadyInProgressError" {
			t.Fatalf("default mode: %+v", fe)
		}
		res := lambdatest.InvokeT(t, waiter, e.JSON(), lambdatest.WithRequestID("waiter-1"))
		firstRes := <-firstDone
		if res.Status != 200 || string(res.Body) != string(firstRes.Body) {
			t.Fatalf("the waiter got %d %s, the first delivery %d %s", res.Status, res.Body, firstRes.Status, firstRes.Body)
		}
		if n := len(runs(t, count)); n != 1 {
			t.Fatalf("%d executions, want 1", n)
		}
		if res.Duration < 500*time.Millisecond {
			t.Fatalf("the waiter answered after %s: it did not wait", res.Duration)
		}
	})

	t.Run("the waiter's deadline comes first: in progress", func(t *testing.T) {
		e, count := event("w-deadline", 200, 5000)
		firstDone := runFirst(e)
		res := lambdatest.InvokeT(t, short, e.JSON())
		fe := decodeError(t, res, 200)
		if fe.ErrorType != "IdempotencyAlreadyInProgressError" {
			t.Fatalf("short waiter: %+v", fe)
		}
		// It waited most of its 3 s (all but a tenth), and answered before
		// them.
		if res.Duration < 2*time.Second || res.Duration >= 3*time.Second {
			t.Fatalf("short waiter answered after %s, want between 2 s and its 3 s timeout", res.Duration)
		}
		firstRes := <-firstDone
		// Once the first completed, the same sandbox replays at once.
		again := lambdatest.InvokeT(t, short, e.JSON())
		if again.Status != 200 || string(again.Body) != string(firstRes.Body) || again.Duration > 2*time.Second {
			t.Fatalf("after the first completed: %d %s after %s, want %s", again.Status, again.Body, again.Duration, firstRes.Body)
		}
		if n := len(runs(t, count)); n != 1 {
			t.Fatalf("%d executions, want 1", n)
		}
	})

	t.Run("the first is released: the waiter runs", func(t *testing.T) {
		e, count := event("w-released", 503, 1500)
		firstDone := runFirst(e)
		res := lambdatest.InvokeT(t, waiter, e.JSON(), lambdatest.WithRequestID("waiter-3"))
		firstRes := <-firstDone
		r, f := decodeProxy(t, res), decodeProxy(t, firstRes)
		if r.StatusCode != 503 || f.StatusCode != 503 || !strings.Contains(r.Body, `"waiter-3"`) {
			t.Fatalf("waiter %d %q, first %d %q: the waiter's own run was expected", r.StatusCode, r.Body, f.StatusCode, f.Body)
		}
		if got := runs(t, count); len(got) != 2 {
			t.Fatalf("executions %v, want the first's and the waiter's", got)
		}
	})

	logs := waiter.Logs()
	if !strings.Contains(logs, `"inProgress":"wait"`) || !strings.Contains(logs, "released or lapsed while waiting") {
		t.Errorf("the waiter's log lacks the mode or the takeover:\n%s", tail(logs, 3000))
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestBeyondWaitConcurrentDuplicates is scenario 1 in wait mode: duplicates
// of one key sent at once to several sandboxes (one in Managed Instances
// mode) sharing a store all get the one execution's response: exactly one
// execution, identical successful replies, and no
// IdempotencyAlreadyInProgressError (every waiter's deadline is far away).
func TestBeyondWaitConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			b := startBackend(t, kind)
			boxes := startSandboxes(t, 3, 8, append(b.env(b.addr), "IDEMPOTENCY_IN_PROGRESS=wait")...)
			dir := sharedDir(t)
			count := countFile(t, dir, "hot")
			payload := keyedEvent(lambdatest.ActionSleep, "hot", count, 700)
			h := newHistory()
			var wg sync.WaitGroup
			const duplicates = 40
			for i := range duplicates {
				box := boxes[i%len(boxes)]
				id := fmt.Sprintf("hot-%d", i)
				wg.Go(func() {
					res, err := box.invoke(t, payload, id)
					h.add("hot", box.name+" "+id, box.lmi, res, err)
				})
			}
			wg.Wait()
			for _, err := range h.errs {
				t.Error(err)
			}
			checkOnce(t, "hot", h.outs["hot"], count)
			for _, o := range h.outs["hot"] {
				if o.errorType == "IdempotencyAlreadyInProgressError" {
					t.Errorf("a waiter failed: %s", o)
				}
			}
		})
	}
}

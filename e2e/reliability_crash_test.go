package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Failures of scenario 3.
const (
	crashHandler   = "handler-crash"   // the runtime process exits mid-invocation
	crashTimeout   = "handler-timeout" // the handler runs past the function timeout
	crashExtension = "extension-kill"  // the extension process is killed mid-invocation
)

// crashTimeoutSeconds is the function timeout of scenario 3.
const crashTimeoutSeconds = 3

// crashCase is one failure on one store, seen by two sandboxes of the same
// function: A, where it happens, and B, which gets the retries meanwhile.
type crashCase struct {
	store, failure string
	a, b           *lambdatest.Emulator
	dir            string
}

// TestReliabilityCrashAndTimeout is scenario 3: the handler process dies
// mid-invocation, the handler times out, or the extension process is
// killed mid-invocation. Each time the invocation fails with the
// emulator's error, the environment is reset and the next invocation
// works; the very same event retried before the invocation's deadline is
// rejected with IdempotencyAlreadyInProgressError (on that sandbox and on
// another one), and retried after the deadline from two sandboxes at once it
// runs exactly once more, then is replayed.
func TestReliabilityCrashAndTimeout(t *testing.T) {
	t.Parallel()
	var cases []*crashCase
	for _, storeKind := range backends {
		b := startBackend(t, storeKind)
		for _, failure := range []string{crashHandler, crashTimeout, crashExtension} {
			start := func() *lambdatest.Emulator {
				opts := withQuietProxyPort(t, flakyOptions(t))
				opts.FunctionTimeout = crashTimeoutSeconds
				opts.Env = append(opts.Env, b.env(b.addr)...)
				// The records of crashed invocations stay until their
				// deadline (TestReleaseOnCrash covers the release).
				opts.Env = append(opts.Env, "IDEMPOTENCY_RELEASE_ON_CRASH=false")
				return lambdatest.StartT(t, opts)
			}
			cases = append(cases, &crashCase{store: storeKind, failure: failure, a: start(), b: start(), dir: sharedDir(t)})
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
				t.Errorf("%s %s: %v", c.store, c.failure, err)
			}
		})
	}
	wg.Wait()
}

func (c *crashCase) run(ctx context.Context) error {
	count := filepath.Join(c.dir, "runs")
	ev := flakyEvent{CountFile: count, Marker: filepath.Join(c.dir, "marker")}
	ev.Data.Order = c.store + "-" + c.failure
	var wantFirst string
	switch c.failure {
	case crashHandler:
		ev.Action, wantFirst = "crash_once", "Runtime.ExitError"
	case crashTimeout:
		ev.Action, ev.Ms, wantFirst = "sleep_once", 2*crashTimeoutSeconds*1000, "timeout"
	case crashExtension:
		ev.PauseMs, wantFirst = 1000, "Extension.Crash"
	}
	invoke := func(emu *lambdatest.Emulator, id string) (outcome, error) {
		res, err := emu.Invoke(ctx, ev.JSON(), lambdatest.WithRequestID(id))
		o := classify(res)
		o.where = id
		return o, err
	}

	// The failing invocation on A; B retries while it runs.
	t0 := time.Now()
	firstDone := make(chan struct{})
	var (
		first    outcome
		firstErr error
	)
	go func() {
		defer close(firstDone)
		first, firstErr = invoke(c.a, "first")
	}()
	if !waitRuns(count, 1, 10*time.Second) {
		<-firstDone
		return fmt.Errorf("the handler never ran: %v %s", firstErr, first)
	}
	if c.failure == crashExtension {
		if err := killExtension(c.a); err != nil {
			return err
		}
	}
	if c.failure == crashTimeout {
		// Still before A's deadline: the record is A's.
		if o, err := invoke(c.b, "during"); err != nil || o.errorType != "IdempotencyAlreadyInProgressError" {
			return fmt.Errorf("a retry on another sandbox while the first runs: %s (%v), want IdempotencyAlreadyInProgressError", o, err)
		}
	}
	<-firstDone
	if firstErr != nil {
		return firstErr
	}
	if first.errorType != wantFirst {
		return fmt.Errorf("the failing invocation got %s, want %s", first, wantFirst)
	}
	if c.failure != crashTimeout {
		// The invocation failed before its deadline: retries on both
		// sandboxes (A's environment is reset meanwhile) are rejected.
		for _, emu := range []*lambdatest.Emulator{c.b, c.a} {
			o, err := invoke(emu, "before-deadline")
			if err != nil {
				return err
			}
			if time.Since(t0) >= crashTimeoutSeconds*time.Second {
				return errors.New("the retries before the deadline came too late to test it (machine too slow)")
			}
			if o.errorType != "IdempotencyAlreadyInProgressError" {
				return fmt.Errorf("a retry before the deadline: %s, want IdempotencyAlreadyInProgressError", o)
			}
		}
		// The next invocation (another key) works.
		other := flakyEvent{}
		other.Data.Order = "next-" + c.store + "-" + c.failure
		res, err := c.a.Invoke(ctx, other.JSON())
		if o := classify(res); err != nil || !o.ok() {
			return fmt.Errorf("the next invocation after the failure: %s (%v)", o, err)
		}
	}
	if r, _ := readRuns(count); len(r) != 1 {
		return fmt.Errorf("%d executions before the deadline, want 1: %v", len(r), r)
	}

	// After the deadline: both sandboxes retry at once; one runs.
	time.Sleep(time.Until(t0.Add(crashTimeoutSeconds*time.Second + 500*time.Millisecond)))
	var (
		wg     sync.WaitGroup
		after  [2]outcome
		errs   [2]error
		bodies [][]byte
	)
	for i, emu := range []*lambdatest.Emulator{c.a, c.b} {
		wg.Go(func() { after[i], errs[i] = invoke(emu, fmt.Sprintf("after-deadline-%d", i)) })
	}
	wg.Wait()
	for i, o := range after {
		switch {
		case errs[i] != nil:
			return errs[i]
		case o.ok():
			bodies = append(bodies, o.body)
		case o.errorType != "IdempotencyAlreadyInProgressError":
			return fmt.Errorf("a retry after the deadline: %s", o)
		}
	}
	if r, _ := readRuns(count); len(r) != 2 {
		return fmt.Errorf("%d executions after the deadline's retries, want 2 (one more): %v", len(r), r)
	}
	// Then every retry is a replay of that one execution.
	time.Sleep(300 * time.Millisecond) // let a retry still running finish
	for i, emu := range []*lambdatest.Emulator{c.a, c.b} {
		o, err := invoke(emu, fmt.Sprintf("replay-%d", i))
		if err != nil {
			return err
		}
		if !o.ok() || (len(bodies) > 0 && !bytes.Equal(o.body, bodies[0])) {
			return fmt.Errorf("a retry after the execution: %s, want a replay of %s", o, bodies)
		}
		bodies = append(bodies, o.body)
	}
	if r, _ := readRuns(count); len(r) != 2 {
		return fmt.Errorf("%d executions in all, want 2: %v", len(r), r)
	}
	return nil
}

// killExtension sends SIGKILL to the emulator's extension process.
func killExtension(e *lambdatest.Emulator) error {
	procs, err := e.Processes()
	if err != nil {
		return err
	}
	killed := 0
	for _, p := range procs {
		if p.Name == lambdatest.ExtensionName {
			if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
				return fmt.Errorf("kill the extension %s: %w", p, err)
			}
			killed++
		}
	}
	if killed != 1 {
		return fmt.Errorf("%d extension processes killed, want 1: %v", killed, procs)
	}
	return nil
}

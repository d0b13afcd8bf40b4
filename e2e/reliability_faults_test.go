package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// faultTimeout is the function timeout of the fault cases, in seconds.
const faultTimeout = 2

// faultCase is one store, step and kind of fault, with its own fault proxy
// and sandbox (the flaky Python handler).
type faultCase struct {
	store, step, kind string
	fp                *faultproxy.Proxy
	emu               *lambdatest.Emulator
	dir               string
}

// TestReliabilityStoreFaults is scenario 2: a TCP fault proxy between the
// extension and the store refuses connections, stalls requests past the
// invocation's deadline, resets connections halfway through a request or a
// response (always, or once), or adds 100 ms each way, at the claim, the
// completion or the deletion of a record. For each, the test checks the
// whole sequence of the key against what the promise allows (see expected),
// that every invocation is answered before its deadline with the handler's
// result or a defined errorType, and that the same extension process keeps
// serving.
func TestReliabilityStoreFaults(t *testing.T) {
	t.Parallel()
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testStoreFaults(t, kind)
		})
	}
}

func testStoreFaults(t *testing.T, storeKind string) {
	b := startBackend(t, storeKind)
	dir := sharedDir(t)
	var cases []*faultCase
	for _, step := range faultSteps {
		for _, kind := range faultKinds {
			fp := startFaultProxy(t, b.addr)
			opts := withQuietProxyPort(t, flakyOptions(t))
			opts.FunctionTimeout = faultTimeout
			opts.Env = append(opts.Env, b.env(fp.Addr())...)
			cases = append(cases, &faultCase{store: storeKind, step: step, kind: kind, fp: fp,
				emu: lambdatest.StartT(t, opts), dir: dir})
		}
	}
	var emus []*lambdatest.Emulator
	for _, c := range cases {
		emus = append(emus, c.emu)
	}
	closeTogether(t, emus...)
	duration := time.Duration(0)
	if soak() {
		duration = 3 * time.Minute
		if d, err := time.ParseDuration(os.Getenv("IDEMPOTENCY_SOAK_FAULTS")); err == nil {
			duration = d
		}
	}
	start := time.Now()
	var (
		mu                     sync.Mutex
		rounds, histories, bad int
		invocations, execs     int
	)
	for round := 0; ; round++ {
		var wg sync.WaitGroup
		for _, c := range cases {
			wg.Go(func() {
				h, err := c.run(t.Context(), round)
				mu.Lock()
				defer mu.Unlock()
				histories++
				invocations += len(h)
				execs += h[len(h)-1].runs
				if err != nil {
					bad++
					t.Errorf("%s %s/%s round %d: %v", c.store, c.step, c.kind, round, err)
				}
			})
		}
		wg.Wait()
		rounds++
		if time.Since(start) >= duration {
			break
		}
	}
	fmt.Printf("scenario 2 (%s): %d rounds of %d fault cases in %s: %d invocations, %d handler executions, %d histories outside the promise\n",
		storeKind, rounds, len(cases), time.Since(start).Round(time.Second), invocations, execs, bad)
}

// run plays one sequence of the case with a fresh key and checks it.
func (c *faultCase) run(ctx context.Context, round int) (sequence, error) {
	key := fmt.Sprintf("%s-%s-%d", c.step, c.kind, round)
	count := filepath.Join(c.dir, "runs-"+c.store+"-"+key)
	if round == 0 {
		if err := c.warmUp(ctx); err != nil {
			return sequence{}, err
		}
	}
	pids, err := c.emu.Processes()
	if err != nil {
		return sequence{}, err
	}
	ev := flakyEvent{CountFile: count}
	ev.Data.Order = key
	if c.step != stepClaim {
		ev.PauseMs = 300 // the fault is set while the handler runs
	}
	if c.step == stepDelete {
		ev.Action = "error"
	}
	var faultErr error
	faultSet := make(chan struct{})
	if c.step == stepClaim {
		faultErr = applyFault(c.fp, c.kind)
		close(faultSet)
	} else {
		go func() {
			defer close(faultSet)
			if waitRuns(count, 1, 5*time.Second) {
				faultErr = applyFault(c.fp, c.kind)
			}
		}()
	}
	before := c.fp.Triggered(faultproxy.ClientToServer) + c.fp.Triggered(faultproxy.ServerToClient)
	var (
		h     sequence
		outs  [4]outcome
		first time.Time
	)
	for i := range h {
		switch i {
		case 1:
			<-faultSet
			if faultErr != nil {
				return h, fmt.Errorf("set the fault: %w", faultErr)
			}
			if err := clearFault(c.fp, c.kind); err != nil {
				return h, fmt.Errorf("clear the fault: %w", err)
			}
		case 2:
			time.Sleep(time.Until(first.Add(faultTimeout*time.Second + 500*time.Millisecond)))
		}
		if i == 0 {
			first = time.Now()
		}
		res, err := c.emu.Invoke(ctx, ev.JSON(), lambdatest.WithRequestID(fmt.Sprintf("%s-%d", key, i)))
		if err != nil {
			return h, err
		}
		outs[i] = classify(res)
		r, err := readRuns(count)
		if err != nil {
			return h, err
		}
		h[i] = reply{kind: replyKind(outs[:i+1]), runs: len(r)}
	}
	var problems []string
	for i, o := range outs {
		if o.took >= faultTimeout*time.Second {
			problems = append(problems, fmt.Sprintf("invocation %d took %s, past its %d s deadline", i, o.took, faultTimeout))
		}
		if h[i].kind == "" {
			problems = append(problems, fmt.Sprintf("invocation %d: unexpected reply %s", i, o))
		}
	}
	if c.kind != faultRefused && c.fp.Triggered(faultproxy.ClientToServer)+c.fp.Triggered(faultproxy.ServerToClient) == before {
		problems = append(problems, "the fault never triggered")
	}
	if after, err := c.emu.Processes(); err != nil || !sameExtension(pids, after) {
		problems = append(problems, fmt.Sprintf("the extension did not keep serving: processes %v, then %v (%v)", pids, after, err))
	}
	allowed := expected(c.store, c.step, c.kind)
	if !slices.Contains(allowed, h) {
		problems = append(problems, fmt.Sprintf("sequence %s, want one of %v", h, allowed))
	}
	if len(problems) > 0 {
		return h, fmt.Errorf("%s\n  replies: %v", strings.Join(problems, "\n  "), outs)
	}
	return h, nil
}

// warmUp starts the sandbox's runtime and extension and has the store
// load every script (Redis) or open a connection (DynamoDB): a success, then
// a handler error, on a key of their own.
func (c *faultCase) warmUp(ctx context.Context) error {
	for _, action := range []string{"", "error"} {
		ev := flakyEvent{Action: action}
		ev.Data.Order = "warm-up-" + c.step + "-" + c.kind + action
		if _, err := c.emu.Invoke(ctx, ev.JSON()); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	return nil
}

// replyKind classifies the last of outs given the ones before it.
func replyKind(outs []outcome) string {
	o := outs[len(outs)-1]
	switch {
	case o.ok():
		for i := len(outs) - 2; i >= 0; i-- {
			if outs[i].ok() {
				if bytes.Equal(outs[i].body, o.body) {
					return replyReplay
				}
				return replyNew
			}
		}
		return replyOK
	case o.errorType == "IdempotencyPersistenceLayerError":
		return replyPersist
	case o.errorType == "IdempotencyAlreadyInProgressError":
		return replyInProgress
	case o.errorType == "FlakyError":
		return replyFlaky
	}
	return ""
}

// sameExtension reports whether the extension process of before is still
// the only one.
func sameExtension(before, after []lambdatest.Process) bool {
	ext := func(ps []lambdatest.Process) []int {
		var pids []int
		for _, p := range ps {
			if p.Name == lambdatest.ExtensionName {
				pids = append(pids, p.PID)
			}
		}
		return pids
	}
	b, a := ext(before), ext(after)
	return len(b) == 1 && slices.Equal(b, a)
}

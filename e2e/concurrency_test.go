package e2e

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// TestManagedInstances runs the Go handler in the emulator's Lambda Managed
// Instances mode (AWS_LAMBDA_MAX_CONCURRENCY): concurrent invocations share
// one runtime process, and the extension must pass them through
// concurrently. (The Python runtime cannot run there on this machine: the
// emulator runs it as uid 993, and the interpreter lives under /root.)
func TestManagedInstances(t *testing.T) {
	eachCase(t, []runtimeKind{goRuntime}, testManagedInstances)
}

func testManagedInstances(t *testing.T, _ runtimeKind, opts lambdatest.Options) {
	const (
		n     = 4
		sleep = 600 * time.Millisecond
	)
	opts.MaxConcurrency = n
	opts.FunctionTimeout = 10
	p := startPair(t, opts)

	results := map[string][]string{}
	for name, e := range map[string]*lambdatest.Emulator{"without": p.base, "with": p.ext} {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			bodies []string
			errs   []error
		)
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				id := fmt.Sprintf("lmi-%d", i)
				res, err := e.Invoke(t.Context(), unique(lambdatest.Event{Action: lambdatest.ActionSleep, Ms: int(sleep.Milliseconds())}, id), lambdatest.WithRequestID(id))
				mu.Lock()
				defer mu.Unlock()
				if err == nil && res.Status != 200 {
					err = fmt.Errorf("status %d: %s", res.Status, res.Body)
				}
				errs = append(errs, err)
				bodies = append(bodies, string(res.Body))
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		for _, err := range errs {
			if err != nil {
				t.Fatalf("%s the extension: %v", name, err)
			}
		}
		if elapsed > 2*sleep {
			t.Errorf("%s the extension: %d concurrent invocations of %s took %s: not concurrent", name, n, sleep, elapsed)
		}
		slices.Sort(bodies)
		results[name] = bodies
	}
	// One runtime process counts 1..n whatever the order.
	if !slices.Equal(results["without"], results["with"]) {
		t.Fatalf("responses differ:\nwithout: %q\nwith:    %q", results["without"], results["with"])
	}
	if !hasLog(p.ext, startedLog) {
		t.Errorf("the extension did not start in Managed Instances mode")
	}
}

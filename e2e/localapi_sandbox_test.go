package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestLocalAPIAcrossSandboxes: two emulators share a Redis store; while one
// invocation holds a claim, the same claim from the other sandbox is in
// progress; once completed, the other sandbox replays the result. The claim
// lives until the holder's deadline: an invocation that crashed without
// completing blocks the key only until then.
func TestLocalAPIAcrossSandboxes(t *testing.T) {
	const timeout = 5 // seconds: the holder's deadline, with room for a loaded machine
	redis := testservers.MustStartRedis(t)
	env := []string{"IDEMPOTENCY_REDIS_URL=redis://" + redis.Addr + "/0", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order"}
	opts := options(t, goRuntime)
	opts.FunctionTimeout = timeout
	a := startIdempotent(t, opts, env...)
	b := startIdempotent(t, options(t, pythonRuntime), env...)
	warm(t, a, b)

	var wg sync.WaitGroup
	var first []localAnswer
	var firstErr error
	wg.Go(func() {
		first, _, firstErr = tryLocal(t, a, "holder",
			call("claim", localOrder("x-1", 3)),
			lambdatest.LocalCall{Path: "complete", SleepMs: 2500, Body: mustJSON(map[string]any{"token": "$TOKEN", "result": "done"})},
		)
	})
	time.Sleep(600 * time.Millisecond)
	during, _ := runLocal(t, b, "other-1", call("claim", localOrder("x-1", 3)))
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	expect(t, "holder claim", first[0], 200, "CLAIMED")
	expect(t, "holder complete", first[1], 200, "COMPLETED")
	expect(t, "claim from the other sandbox while held", during[0], 409, "IN_PROGRESS")
	after, _ := runLocal(t, b, "other-2", call("claim", localOrder("x-1", 3)))
	expect(t, "claim from the other sandbox after completion", after[0], 200, "COMPLETED")
	if string(after[0].Body.Result) != `"done"` {
		t.Fatalf("result %s", after[0].Body.Result)
	}

	// A claim never completed (the invocation ends without it) lapses at
	// that invocation's deadline (the function timeout), not at the
	// record's expiry.
	start := time.Now()
	held, _ := runLocal(t, a, "crashy", call("claim", localOrder("x-2", 1)))
	expect(t, "claim left open", held[0], 200, "CLAIMED")
	blocked, _ := runLocal(t, b, "other-3", call("claim", localOrder("x-2", 1)))
	expect(t, "claim before the deadline", blocked[0], 409, "IN_PROGRESS")
	time.Sleep(time.Until(start.Add(timeout*time.Second + 300*time.Millisecond)))
	taken, _ := runLocal(t, b, "other-4", call("claim", localOrder("x-2", 1)))
	expect(t, "claim after the holder's deadline", taken[0], 200, "CLAIMED")
}

// TestLocalAPIManagedInstances: with several invocations in flight in one
// runtime (Lambda Managed Instances), a claim must name its invocation; so
// named, it runs under that invocation.
func TestLocalAPIManagedInstances(t *testing.T) {
	opts := options(t, goRuntime)
	opts.MaxConcurrency, opts.FunctionTimeout = 2, 10
	emu := startIdempotent(t, opts, localEnv...)
	var wg sync.WaitGroup
	answers := make([][]localAnswer, 2)
	ids := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			answers[i], ids[i], errs[i] = tryLocal(t, emu, fmt.Sprintf("lmi-%d", i),
				lambdatest.LocalCall{Path: "claim", SleepMs: 500, Body: mustJSON(localOrder(fmt.Sprintf("l-%d", i), 1))},
				call("claim", map[string]any{"function": "app.process_order", "data": map[string]any{"orderId": fmt.Sprintf("l-%d", i)},
					"eventKeyJmespath": "orderId", "requestId": "$REQUEST_ID"}),
				lambdatest.LocalCall{Path: "complete", SleepMs: 500, Body: mustJSON(map[string]any{"token": "$TOKEN", "result": i})},
			)
		})
	}
	wg.Wait()
	for i, got := range answers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != fmt.Sprintf("lmi-%d", i) {
			t.Fatalf("invocation %d ran as %q", i, ids[i])
		}
		expect(t, "claim without a request id", got[0], 400, "BAD_REQUEST")
		if got[0].Body.Field != "requestId" {
			t.Fatalf("field %q, want requestId", got[0].Body.Field)
		}
		expect(t, "claim under its request id", got[1], 200, "CLAIMED")
		expect(t, "complete", got[2], 200, "COMPLETED")
	}
}

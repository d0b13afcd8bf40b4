package e2e

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestRedisServerRestart restarts redis-server between invocations (empty,
// on the same port) and stops it outright: each invocation either succeeds
// after the client reconnects or fails with IdempotencyPersistenceLayerError
// well within its deadline, and the extension keeps serving.
func TestRedisServerRestart(t *testing.T) {
	p := testservers.MustStartRedis(t)
	_, portText, _ := net.SplitHostPort(p.Addr)
	port, _ := strconv.Atoi(portText)
	const timeout = 5 // seconds: the function's deadline
	opts := options(t, goRuntime)
	opts.FunctionTimeout = timeout
	emu := startIdempotent(t, opts,
		"IDEMPOTENCY_REDIS_URL=redis://"+p.Addr+"/0",
		"IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order")
	count := filepath.Join(t.TempDir(), "runs")

	// invoke sends ev and checks that it ends well before the deadline with
	// the handler's answer or the defined store error; it reports which.
	invoke := func(ev []byte) (ok bool) {
		t.Helper()
		start := time.Now()
		res := lambdatest.InvokeT(t, emu, ev)
		if took := time.Since(start); took > timeout*time.Second-500*time.Millisecond {
			t.Fatalf("invocation took %v with a %ds deadline", took, timeout)
		}
		var fe functionError
		if json.Unmarshal(res.Body, &fe) == nil && fe.ErrorType != "" {
			if fe.ErrorType != "IdempotencyPersistenceLayerError" {
				t.Fatalf("errorType %q (%s), want IdempotencyPersistenceLayerError or success", fe.ErrorType, fe.ErrorMessage)
			}
			return false
		}
		decode(t, res)
		return true
	}

	if !invoke(order("echo", "A", 1, count)) || !invoke(order("echo", "A", 1, count)) || executions(t, count) != 1 {
		t.Fatalf("before the restart: %d executions, want a run and a replay", executions(t, count))
	}

	// Restart: the new server is empty, so order A is new to it.
	if err := p.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	p2, err := testservers.StartRedisOnPort(t.Context(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p2.Stop() })
	before := executions(t, count)
	ran := invoke(order("echo", "A", 1, count))
	if got := executions(t, count) - before; ran != (got == 1) || got > 1 {
		t.Fatalf("after the restart: reply ok=%v with %d executions", ran, got)
	}
	// Whatever the first one did, the client has reconnected by now.
	before = executions(t, count)
	if !invoke(order("echo", "B", 1, count)) || !invoke(order("echo", "B", 1, count)) || executions(t, count)-before != 1 {
		t.Fatalf("after reconnecting: %d executions for a run and a replay", executions(t, count)-before)
	}

	// Server gone: the claim fails cleanly, the handler does not run.
	if err := p2.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	before = executions(t, count)
	if invoke(order("echo", "C", 1, count)) {
		t.Fatal("an invocation succeeded with no Redis server")
	}
	if executions(t, count) != before {
		t.Fatal("the handler ran without a claim")
	}

	// Back again: the same extension serves the next invocations.
	p3, err := testservers.StartRedisOnPort(t.Context(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p3.Stop() })
	deadline := time.Now().Add(5 * time.Second)
	for !invoke(order("echo", "C", 1, count)) {
		if time.Now().After(deadline) {
			t.Fatal("no successful invocation within 5 s of Redis coming back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !invoke(order("echo", "C", 1, count)) || executions(t, count)-before != 1 {
		t.Fatalf("after Redis came back: %d executions for a run and a replay", executions(t, count)-before)
	}
}

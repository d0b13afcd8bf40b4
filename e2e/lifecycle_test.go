package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Log lines that show the extension starting: the emulator's own record of
// the registration, and the extension's "started" log.
const (
	registeredLog = "External agent " + lambdatest.ExtensionName + " ("
	startedLog    = `"msg":"started"`
)

// TestTimeout times a handler out, then invokes it again: the emulator
// resets the environment (runtime and extensions), the extension comes back
// and the next invocation works, with and without the extension.
func TestTimeout(t *testing.T) {
	eachCase(t, runtimes, func(t *testing.T, _ runtimeKind, opts lambdatest.Options) {
		opts.FunctionTimeout = 1
		p := startPair(t, opts)

		if r := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "warm-1")); r.Count != 1 {
			t.Fatalf("count %d, want 1", r.Count)
		}
		extBefore := extensionPIDs(t, p.ext)

		res := p.same(t, lambdatest.Event{Action: lambdatest.ActionSleep, Ms: 2500}, "slow-1")
		if want := "Task timed out after 1.00 seconds"; res.Status != 200 || string(res.Body) != want {
			t.Fatalf("timeout: status %d body %q, want 200 %q", res.Status, res.Body, want)
		}
		p.awaitReset(t)

		r := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "after-timeout-1"))
		if r.Count != 1 {
			t.Fatalf("count %d after the timeout, want 1 (a fresh runtime)", r.Count)
		}
		extAfter := extensionPIDs(t, p.ext)
		if len(extBefore) != 1 || len(extAfter) != 1 || extBefore[0] == extAfter[0] {
			t.Errorf("extension processes before the timeout %v, after %v: want one each, restarted", extBefore, extAfter)
		}
		logs := p.ext.Logs()
		if n := strings.Count(logs, registeredLog); n != 2 {
			t.Errorf("the emulator registered the extension %d times, want 2", n)
		}
		if n := strings.Count(logs, startedLog); n != 2 {
			t.Errorf("the extension logged %s %d times, want 2 (a start after the reset)", startedLog, n)
		}
	})
}

// extensionPIDs lists the emulator's extension processes.
func extensionPIDs(t *testing.T, e *lambdatest.Emulator) []int {
	t.Helper()
	procs, err := e.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		if p.Name == lambdatest.ExtensionName {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// TestInitError makes the function fail during init: the caller gets the
// same 502 and error body with and without the extension, every time. The
// Python runtime reports the exception through /init/error; the Go handler
// exits before its runtime loop, for which the emulator answers 502 with an
// empty body.
func TestInitError(t *testing.T) {
	wantType := map[runtimeKind]string{pythonRuntime: "RuntimeError", goRuntime: ""}
	eachCase(t, runtimes, func(t *testing.T, kind runtimeKind, opts lambdatest.Options) {
		opts.Env = append(opts.Env, "HANDLER_INIT_ERROR=1")
		p := startPair(t, opts)
		for i := range 2 {
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, fmt.Sprintf("init-%d", i))
			if wantType[kind] == "" {
				if res.Status != 502 || len(res.Body) != 0 {
					t.Fatalf("init failure: status %d body %q, want 502 and no body", res.Status, res.Body)
				}
				continue
			}
			if fe := decodeError(t, res, 502); fe.ErrorType != wantType[kind] {
				t.Fatalf("init error %+v, want type %s", fe, wantType[kind])
			}
		}
	})
}

// TestGoSIGTERM runs a Go handler started with lambda.WithEnableSIGTERM,
// which registers an internal extension through AWS_LAMBDA_RUNTIME_API (so
// through the proxy) and keeps an /extension/event/next call open forever.
func TestGoSIGTERM(t *testing.T) {
	eachCase(t, []runtimeKind{goRuntime}, testGoSIGTERM)
}

func testGoSIGTERM(t *testing.T, _ runtimeKind, opts lambdatest.Options) {
	opts.Env = append(opts.Env, "HANDLER_SIGTERM=1")
	p := startPair(t, opts)
	for i := 1; i <= 3; i++ {
		r := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, fmt.Sprintf("sigterm-%d", i)))
		if r.Count != i {
			t.Fatalf("count %d, want %d", r.Count, i)
		}
	}
	for name, e := range map[string]*lambdatest.Emulator{"without": p.base, "with": p.ext} {
		logs := e.Logs()
		if strings.Contains(logs, "Failed to register internal extension") || !strings.Contains(logs, "Internal agent GoLangEnableSIGTERM") {
			t.Errorf("%s the extension: the internal extension did not register:\n%s", name, logs)
		}
	}
	// On shutdown the runtime gets SIGTERM in both cases.
	for name, e := range map[string]*lambdatest.Emulator{"without": p.base, "with": p.ext} {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if !hasLog(e, "gohandler: SIGTERM received") {
			t.Errorf("%s the extension: the runtime did not get SIGTERM on shutdown", name)
		}
	}
}

// TestShutdown checks that stopping the emulator gives the extension its
// SHUTDOWN event and that it exits within the emulator's deadline.
func TestShutdown(t *testing.T) {
	eachCase(t, []runtimeKind{goRuntime}, testShutdown)
}

func testShutdown(t *testing.T, _ runtimeKind, opts lambdatest.Options) {
	p := startPair(t, opts)
	decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "shutdown-1"))
	start := time.Now()
	if err := p.ext.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("stopping took %s: the extension did not finish its SHUTDOWN within the 2 s deadline", d)
	}
	logs := p.ext.Logs()
	if !strings.Contains(logs, "SandboxTerminated") || strings.Contains(logs, "Extension.Crash") {
		t.Errorf("no clean SHUTDOWN (SandboxTerminated) in the output:\n%s", logs)
	}
}

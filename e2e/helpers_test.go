package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// runtimeKind is one of the test handlers.
type runtimeKind string

const (
	goRuntime     runtimeKind = "go"
	pythonRuntime runtimeKind = "python"
)

// runtimes are the handlers every pass-through test runs against.
var runtimes = []runtimeKind{goRuntime, pythonRuntime}

// mode is a configuration of the extension under which the caller must see
// exactly what it sees without the extension, given distinct events.
type mode struct {
	name string
	env  []string
}

// The extension's configurations under test: a pure pass-through
// (idempotency disabled) and idempotency with the memory store (every test
// event is distinct, so nothing is replayed).
var (
	disabledMode = mode{"disabled", []string{"POWERTOOLS_IDEMPOTENCY_DISABLED=true"}}
	memoryMode   = mode{"memory", []string{"IDEMPOTENCY_STORE=memory"}}
	modes        = []mode{disabledMode, memoryMode}
)

// eachCase runs f as a parallel subtest for every runtime and mode, with
// the emulator options prepared.
func eachCase(t *testing.T, kinds []runtimeKind, f func(t *testing.T, kind runtimeKind, opts lambdatest.Options)) {
	for _, kind := range kinds {
		for _, m := range modes {
			t.Run(string(kind)+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				opts := options(t, kind)
				opts.Env = append(opts.Env, m.env...)
				f(t, kind, opts)
			})
		}
	}
}

// options returns emulator options running the given handler. A missing
// Python virtualenv fails the test (it is not skipped).
func options(t *testing.T, kind runtimeKind) lambdatest.Options {
	t.Helper()
	opts := lambdatest.Options{Artifacts: art}
	switch kind {
	case goRuntime:
		opts.Handler = []string{art.GoHandler}
	case pythonRuntime:
		cmd, err := art.PythonHandler()
		if err != nil {
			t.Fatal(err)
		}
		opts.Handler, opts.Dir = cmd, art.PythonDir
	default:
		t.Fatalf("unknown runtime %q", kind)
	}
	return opts
}

// pair is the same function on two emulators: the baseline without the
// extension and one with it.
type pair struct {
	base, ext *lambdatest.Emulator
}

// startPair starts both emulators with opts (Extension is overridden).
func startPair(t *testing.T, opts lambdatest.Options) pair {
	t.Helper()
	if art.ExtensionErr != nil {
		t.Fatal(art.ExtensionErr)
	}
	baseOpts, extOpts := opts, opts
	baseOpts.Extension, extOpts.Extension = false, true
	return pair{base: lambdatest.StartT(t, baseOpts), ext: lambdatest.StartT(t, extOpts)}
}

// invoke sends the same event with the same request ID to both emulators
// (concurrently: they are independent) and returns both results. An event
// without Data gets the request ID as Data, so that distinct request IDs
// make distinct events (which idempotency never replays).
func (p pair) invoke(t *testing.T, e lambdatest.Event, requestID string, opts ...lambdatest.InvokeOption) (base, ext lambdatest.Result) {
	t.Helper()
	return p.invokeRaw(t, unique(e, requestID), requestID, opts...)
}

// invokeRaw sends payload as is to both emulators.
func (p pair) invokeRaw(t *testing.T, payload []byte, requestID string, opts ...lambdatest.InvokeOption) (base, ext lambdatest.Result) {
	t.Helper()
	opts = append([]lambdatest.InvokeOption{lambdatest.WithRequestID(requestID)}, opts...)
	var (
		wg      sync.WaitGroup
		baseErr error
	)
	wg.Go(func() { base, baseErr = p.base.Invoke(t.Context(), payload, opts...) })
	ext = lambdatest.InvokeT(t, p.ext, payload, opts...)
	wg.Wait()
	if baseErr != nil {
		t.Fatalf("invoke without the extension: %v", baseErr)
	}
	return base, ext
}

// same invokes both emulators (see invoke), requires the caller to get the
// same status, Content-Type and body byte for byte, and returns the result.
func (p pair) same(t *testing.T, e lambdatest.Event, requestID string, opts ...lambdatest.InvokeOption) lambdatest.Result {
	t.Helper()
	return p.sameRaw(t, unique(e, requestID), requestID, opts...)
}

// sameRaw is same for a payload sent as is.
func (p pair) sameRaw(t *testing.T, payload []byte, requestID string, opts ...lambdatest.InvokeOption) lambdatest.Result {
	t.Helper()
	base, ext := p.invokeRaw(t, payload, requestID, opts...)
	if msg := diff(base, ext); msg != "" {
		t.Fatalf("request %s %.200q: with the extension the caller got something else:\n%s", requestID, payload, msg)
	}
	return base
}

// awaitReset waits for both emulators to end the reset that a timeout or a
// crash started (lambdatest.Emulator.AwaitReset), before the next
// invocation.
func (p pair) awaitReset(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, e := range []*lambdatest.Emulator{p.base, p.ext} {
		if err := e.AwaitReset(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// invokeOne invokes one emulator with a distinct event (see invoke).
func invokeOne(t *testing.T, emu *lambdatest.Emulator, e lambdatest.Event, requestID string) lambdatest.Result {
	t.Helper()
	return lambdatest.InvokeT(t, emu, unique(e, requestID), lambdatest.WithRequestID(requestID))
}

// unique encodes e, with the request ID as Data if it has none.
func unique(e lambdatest.Event, requestID string) []byte {
	if e.Data == nil {
		e.Data, _ = json.Marshal(requestID)
	}
	return e.JSON()
}

// diff describes how two results differ, or returns "".
func diff(base, ext lambdatest.Result) string {
	var b strings.Builder
	if base.Status != ext.Status {
		fmt.Fprintf(&b, "status: without %d, with %d\n", base.Status, ext.Status)
	}
	if bc, ec := base.Header.Get("Content-Type"), ext.Header.Get("Content-Type"); bc != ec {
		fmt.Fprintf(&b, "Content-Type: without %q, with %q\n", bc, ec)
	}
	if !bytes.Equal(base.Body, ext.Body) {
		i := 0
		for i < len(base.Body) && i < len(ext.Body) && base.Body[i] == ext.Body[i] {
			i++
		}
		fmt.Fprintf(&b, "body: without %d bytes, with %d bytes, first difference at byte %d\n  without: %q\n  with:    %q\n",
			len(base.Body), len(ext.Body), i, excerpt(base.Body, i), excerpt(ext.Body, i))
	}
	return b.String()
}

// excerpt returns up to 120 bytes of b around offset i.
func excerpt(b []byte, i int) []byte {
	start := max(0, i-40)
	return b[start:min(len(b), start+120)]
}

// response is the JSON object the test handlers return on success.
type response struct {
	Count      int             `json:"count"`
	PID        int             `json:"pid"`
	RequestID  string          `json:"request_id"`
	Event      json.RawMessage `json:"event"`
	Data       string          `json:"data"`
	RuntimeAPI string          `json:"AWS_LAMBDA_RUNTIME_API"`
}

// decode parses a successful handler response.
func decode(t *testing.T, res lambdatest.Result) response {
	t.Helper()
	var r response
	if res.Status != 200 {
		t.Fatalf("status %d, body %.300q", res.Status, res.Body)
	}
	if err := json.Unmarshal(res.Body, &r); err != nil {
		t.Fatalf("response is not the handler's JSON: %v; body %.300q", err, res.Body)
	}
	return r
}

// functionError is the body of a function error or crash.
type functionError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// decodeError parses an error body and checks its status.
func decodeError(t *testing.T, res lambdatest.Result, status int) functionError {
	t.Helper()
	var fe functionError
	if res.Status != status {
		t.Fatalf("status %d, want %d; body %.300q", res.Status, status, res.Body)
	}
	if err := json.Unmarshal(res.Body, &fe); err != nil || fe.ErrorType == "" {
		t.Fatalf("body is not an error object (%v): %.300q", err, res.Body)
	}
	return fe
}

// logWait is how long a test waits for a line it expects in an emulator's
// output (see lambdatest.Emulator.LogsContaining).
const logWait = 5 * time.Second

// hasLog reports whether e's output holds s, waiting up to logWait for it.
func hasLog(e *lambdatest.Emulator, s string) bool {
	return strings.Contains(e.LogsContaining(logWait, s), s)
}

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// lambdaPayloadLimit is the largest event the emulator passes on whole
// (Lambda's 6 MB synchronous limit; the emulator truncates beyond it).
const lambdaPayloadLimit = 6<<20 + 100

// noPanic fails t if an emulator's output shows a Go panic or fatal error.
func noPanic(t *testing.T, e *lambdatest.Emulator) {
	t.Helper()
	for _, bad := range []string{"panic:", "fatal error:", "goroutine 1 [", "Extension.Crash"} {
		if strings.Contains(e.Logs(), bad) {
			t.Errorf("the emulator's output shows %q", bad)
		}
	}
}

// TestReliabilityBadInput is scenario 5 for events and responses: the
// extension (on DynamoDB, keyed on data.order) next to the same function
// without it. Malformed JSON and invalid UTF-8 are rejected with
// IdempotencyKeyError; events that are not JSON at all pass through
// unchanged; 6 MB events are keyed, recorded and replayed; events nested
// millions of levels deep (top level, under the key, inside a JSON string
// the key expression decodes) are rejected without a stack overflow;
// events whose key selects nothing run every time; a response over
// DynamoDB's item limit (compression off) reaches the caller whole and is
// run again on retry (logged); and through all of it the one extension
// process keeps serving.
func TestReliabilityBadInput(t *testing.T) {
	t.Parallel()
	endpoint, _ := startDynamo(t)
	b := backend{kind: dynamoBackend, addr: strings.TrimPrefix(endpoint, "http://")}
	opts := options(t, goRuntime)
	opts.Env = append(opts.Env, b.env(b.addr)...)
	// Uncompressed, the 500 KB response below exceeds the item limit.
	opts.Env = append(opts.Env, "IDEMPOTENCY_COMPRESS_ABOVE_BYTES=off")
	p := startPair(t, opts)
	embedded := startIdempotent(t, withQuietProxyPort(t, options(t, goRuntime)),
		"IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_EVENT_KEY_JMESPATH=powertools_json(body).order")
	dir := t.TempDir()
	decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "warm-up"))
	pids := extensionPIDs(t, p.ext)

	keyError := func(name string, payload []byte, emu *lambdatest.Emulator) {
		t.Helper()
		res := lambdatest.InvokeT(t, emu, payload, lambdatest.WithRequestID(name))
		if fe := decodeError(t, res, 200); fe.ErrorType != "IdempotencyKeyError" {
			t.Errorf("%s: %+v, want IdempotencyKeyError", name, fe)
		}
	}
	keyError("malformed", []byte(`{"data": {"order": "x", "count_file": "`+dir+`/never"`), p.ext)
	keyError("invalid-utf8", []byte("{\"data\":{\"order\":\"x\xff\xfe\"}}"), p.ext)
	deep := 3 << 20 // 6 MB of brackets
	keyError("nested", []byte(strings.Repeat("[", deep)+strings.Repeat("]", deep)), p.ext)
	keyError("nested-under-key", []byte(`{"data":{"order":`+strings.Repeat("[", deep-20)+strings.Repeat("]", deep-20)+`}}`), p.ext)
	keyError("nested-in-string", []byte(`{"body":"`+strings.Repeat("[", deep-20)+strings.Repeat("]", deep-20)+`"}`), embedded)
	keyError("nested-objects", []byte(strings.Repeat(`{"a":`, 1<<20)+"1"+strings.Repeat("}", 1<<20)), p.ext)

	// Not JSON at all: passed through, exactly as without the extension.
	for name, payload := range map[string][]byte{
		"text": []byte("hello, world"), "binary": {0xff, 0xfe, 0x00, 0x01, 0x80}, "empty": {},
	} {
		p.sameRaw(t, payload, "not-json-"+name)
	}
	if !hasLog(p.ext, "No idempotency key value found") {
		t.Error("events without a key were not logged")
	}

	// A key that selects nothing: runs every time.
	count := filepath.Join(dir, "no-key")
	noKey := lambdatest.Event{Action: lambdatest.ActionEcho, CountFile: count, Data: json.RawMessage(`{"other":1}`)}.JSON()
	for i := range 2 {
		decode(t, lambdatest.InvokeT(t, p.ext, noKey, lambdatest.WithRequestID(fmt.Sprint("no-key-", i))))
	}
	if n := executions(t, count); n != 2 {
		t.Errorf("an event whose key selects nothing ran %d times in 2 invocations", n)
	}

	// A 6 MB event: keyed, recorded, replayed.
	count = filepath.Join(dir, "big-event")
	pad := strings.Repeat("x", lambdaPayloadLimit-300-len(count))
	data, _ := json.Marshal(map[string]string{"order": "big-event", "pad": pad})
	big := lambdatest.Event{Action: lambdatest.ActionInfo, CountFile: count, Data: data}.JSON()
	if len(big) > lambdaPayloadLimit || len(big) < lambdaPayloadLimit-1000 {
		t.Fatalf("the big event is %d bytes", len(big))
	}
	first := lambdatest.InvokeT(t, p.ext, big, lambdatest.WithRequestID("big-1"))
	decode(t, first)
	again := lambdatest.InvokeT(t, p.ext, big, lambdatest.WithRequestID("big-2"))
	if !bytes.Equal(first.Body, again.Body) || executions(t, count) != 1 {
		t.Errorf("a 6 MB event: %d executions, replay %q vs %q", executions(t, count), again.Body, first.Body)
	}

	// A response over DynamoDB's 400 KB item limit: the caller gets it
	// whole, the record is released (and logged), a retry runs again.
	count = filepath.Join(dir, "big-response")
	bigResp := lambdatest.Event{Action: lambdatest.ActionBig, Size: 500_000, CountFile: count,
		Data: json.RawMessage(`{"order":"big-response"}`)}.JSON()
	for i := range 2 {
		res := lambdatest.InvokeT(t, p.ext, bigResp, lambdatest.WithRequestID(fmt.Sprint("big-response-", i)))
		var got struct{ Data string }
		if err := json.Unmarshal(res.Body, &got); err != nil || len(got.Data) != 500_000 || strings.Trim(got.Data, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("a 500 KB response: %d bytes reached the caller (%v)", len(res.Body), err)
		}
	}
	if n := executions(t, count); n != 2 {
		t.Errorf("a response too large to record: %d executions in 2 invocations, want 2 (released, run again)", n)
	}
	if !hasLog(p.ext, "response too large for the idempotency store") {
		t.Error("the unrecorded response was not logged")
	}

	if after := extensionPIDs(t, p.ext); len(pids) != 1 || fmt.Sprint(after) != fmt.Sprint(pids) {
		t.Errorf("extension processes %v, then %v: it did not keep serving", pids, after)
	}
	noPanic(t, p.ext)
	noPanic(t, embedded)
}

// TestReliabilityGarbageFromUpstreams is scenario 5 for upstreams that
// answer garbage. A store answering garbage to a claim fails the
// invocation with IdempotencyPersistenceLayerError; the claim may have been
// written, so retries are rejected until the deadline, and after it the
// handler runs once. A Runtime API answering garbage to the proxy's /next
// or to the response it posts fails that invocation (the runtime exits,
// the emulator reports Runtime.ExitError) and the next one works; a
// response the handler produced was recorded first, so its retry is a
// replay, and an event that never reached the handler runs once on retry.
func TestReliabilityGarbageFromUpstreams(t *testing.T) {
	t.Parallel()
	for _, storeKind := range backends {
		t.Run(storeKind, func(t *testing.T) {
			t.Parallel()
			b := startBackend(t, storeKind)
			fp := startFaultProxy(t, b.addr)
			opts := withQuietProxyPort(t, options(t, goRuntime))
			opts.FunctionTimeout = 2
			emu := startIdempotent(t, opts, b.env(fp.Addr())...)
			count := filepath.Join(t.TempDir(), "runs")
			ev := keyedEvent(lambdatest.ActionEcho, "garbage", count, 0)
			decode(t, lambdatest.InvokeT(t, emu, keyedEvent(lambdatest.ActionEcho, "warm-up", "", 0)))
			fp.Set(faultproxy.ServerToClient, faultproxy.Fault{Kind: faultproxy.Corrupt})
			start := time.Now()
			fe := decodeError(t, lambdatest.InvokeT(t, emu, ev), 200)
			if fe.ErrorType != "IdempotencyPersistenceLayerError" || executions(t, count) != 0 {
				t.Errorf("a store answering garbage: %+v, %d executions", fe, executions(t, count))
			}
			if fp.Triggered(faultproxy.ServerToClient) == 0 {
				t.Error("the fault never triggered")
			}
			fp.Clear()
			if o := classify(lambdatest.InvokeT(t, emu, ev)); o.errorType != "IdempotencyAlreadyInProgressError" && !o.ok() {
				t.Errorf("before the deadline: %s", o)
			}
			time.Sleep(time.Until(start.Add(2500 * time.Millisecond)))
			first := lambdatest.InvokeT(t, emu, ev)
			decode(t, first)
			again := lambdatest.InvokeT(t, emu, ev)
			if executions(t, count) != 1 || !bytes.Equal(first.Body, again.Body) {
				t.Errorf("after the garbage and the deadline: %d executions, want 1", executions(t, count))
			}
			noPanic(t, emu)
		})
	}
	t.Run("runtime-api", func(t *testing.T) {
		t.Parallel()
		b := startBackend(t, redisBackend)      // the record must survive the environment's reset
		fp := startFaultProxy(t, "127.0.0.1:1") // target set below
		opts := withQuietProxyPort(t, options(t, goRuntime))
		opts.FunctionTimeout = 5
		emu := startIdempotent(t, opts, append(b.env(b.addr), "IDEMPOTENCY_UPSTREAM_RUNTIME_API="+fp.Addr())...)
		fp.SetTarget(emu.RuntimeAPIAddr) // the runtime starts on the first invocation
		dir := t.TempDir()
		for _, tc := range []struct {
			dir      faultproxy.Direction
			id       string
			wantRuns int // after the failed invocation
		}{
			{faultproxy.ServerToClient, "garbage-next", 0},     // the event, fetched for the runtime
			{faultproxy.ClientToServer, "garbage-response", 1}, // the handler's response, posted upstream
		} {
			count := filepath.Join(dir, tc.id)
			ev := keyedEvent(lambdatest.ActionEcho, tc.id, count, 0)
			fp.Set(tc.dir, faultproxy.Fault{Kind: faultproxy.Corrupt, Match: []byte(tc.id), Times: 1})
			res := lambdatest.InvokeT(t, emu, ev, lambdatest.WithRequestID(tc.id))
			if o := classify(res); o.errorType != "Runtime.ExitError" || fp.Triggered(tc.dir) == 0 {
				t.Errorf("%s: %s (triggered %d), want Runtime.ExitError", tc.id, o, fp.Triggered(tc.dir))
			}
			if n := executions(t, count); n != tc.wantRuns {
				t.Errorf("%s: %d executions, want %d", tc.id, n, tc.wantRuns)
			}
			retry := classify(lambdatest.InvokeT(t, emu, ev, lambdatest.WithRequestID(tc.id+"-retry")))
			if n := executions(t, count); n != 1 || !retry.ok() {
				t.Errorf("%s: after a retry %d executions, want 1 (retry got %s)", tc.id, n, retry)
			}
		}
		noPanic(t, emu)
	})
}

// TestReliabilityInvalidConfiguration is scenario 5 for configuration:
// invalid or contradictory settings fail the extension's init with an
// error naming the variable, and the function never runs.
func TestReliabilityInvalidConfiguration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"IDEMPOTENCY_REDIS_URL", []string{"IDEMPOTENCY_TABLE_NAME=idem", "IDEMPOTENCY_REDIS_URL=redis://127.0.0.1:1/0"}},
		{"IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS", []string{"IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS=-5"}},
		{"IDEMPOTENCY_SORT_KEY_ATTR", []string{"IDEMPOTENCY_TABLE_NAME=idem", "IDEMPOTENCY_SORT_KEY_ATTR=id"}},
		{"IDEMPOTENCY_HASH_FUNCTION", []string{"IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_HASH_FUNCTION=crc32"}},
		{"IDEMPOTENCY_STORE", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := startIdempotent(t, withQuietProxyPort(t, options(t, goRuntime)), tc.env...)
			count := filepath.Join(t.TempDir(), "runs")
			res := lambdatest.InvokeT(t, emu, keyedEvent(lambdatest.ActionEcho, "A", count, 0))
			if res.Status == 200 || executions(t, count) > 0 {
				t.Fatalf("the function ran despite an invalid %s: %d %q", tc.name, res.Status, res.Body)
			}
			logs := emu.LogsContaining(logWait, "Extension.ConfigInvalid", tc.name)
			if !strings.Contains(logs, "Extension.ConfigInvalid") || !strings.Contains(logs, tc.name) {
				t.Fatalf("the emulator's output does not name %s:\n%s", tc.name, logs)
			}
		})
	}
}

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// eachRuntime runs f as a parallel subtest per handler runtime.
func eachRuntime(t *testing.T, f func(t *testing.T, opts lambdatest.Options)) {
	for _, kind := range runtimes {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			f(t, options(t, kind))
		})
	}
}

// startIdempotent starts one emulator with the extension and env.
func startIdempotent(t *testing.T, opts lambdatest.Options, env ...string) *lambdatest.Emulator {
	t.Helper()
	if art.ExtensionErr != nil {
		t.Fatal(art.ExtensionErr)
	}
	opts.Extension = true
	opts.Env = append(opts.Env, env...)
	return lambdatest.StartT(t, opts)
}

// executions counts the handler's runs recorded in a count file.
func executions(t *testing.T, countFile string) int {
	t.Helper()
	b, err := os.ReadFile(countFile)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// order is an event keyed by data.order (the key expression used here),
// validated on data.amount.
func order(action, id string, amount int, countFile string) []byte {
	data, _ := json.Marshal(map[string]any{"order": id, "amount": amount})
	return lambdatest.Event{Action: action, CountFile: countFile, Data: data}.JSON()
}

var keyedEnv = []string{
	"IDEMPOTENCY_STORE=memory",
	"IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order",
	"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH=data.amount",
}

func TestIdempotency(t *testing.T) {
	eachRuntime(t, func(t *testing.T, opts lambdatest.Options) {
		emu := startIdempotent(t, opts, keyedEnv...)
		count := filepath.Join(t.TempDir(), "runs")
		call := func(payload []byte, id string) lambdatest.Result {
			return lambdatest.InvokeT(t, emu, payload, lambdatest.WithRequestID(id))
		}

		// Duplicates run the handler once and return identical bytes.
		first := call(order("echo", "A", 10, count), "a-1")
		if decode(t, first).Count == 0 || executions(t, count) != 1 {
			t.Fatalf("first call: %d executions", executions(t, count))
		}
		for i, id := range []string{"a-2", "a-3", "a-1"} {
			again := call(order("echo", "A", 10, count), id)
			if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
				t.Fatalf("duplicate %d: got %d %q, want %d %q", i, again.Status, again.Body, first.Status, first.Body)
			}
		}
		if n := executions(t, count); n != 1 {
			t.Fatalf("the handler ran %d times for one key", n)
		}

		// A different key runs separately.
		if b := decode(t, call(order("echo", "B", 10, count), "b-1")); executions(t, count) != 2 || bytes.Equal(b.Event, decode(t, first).Event) {
			t.Fatalf("key B: %d executions", executions(t, count))
		}

		// Same key, different validated payload: rejected, handler not run.
		fe := decodeError(t, call(order("echo", "A", 99, count), "a-4"), 200)
		if fe.ErrorType != "IdempotencyValidationError" || executions(t, count) != 2 {
			t.Fatalf("validation mismatch: %+v, %d executions", fe, executions(t, count))
		}

		// A failed run is not recorded: the retry runs again, then succeeds once.
		for i := range 2 {
			fe := decodeError(t, call(order("error", "E", 1, count), "e-"+string(rune('1'+i))), 200)
			if fe.ErrorType == "" || strings.HasPrefix(fe.ErrorType, "Idempotency") {
				t.Fatalf("handler error replaced: %+v", fe)
			}
		}
		if n := executions(t, count); n != 4 {
			t.Fatalf("after two failing runs: %d executions, want 4", n)
		}
		ok := call(order("echo", "E", 1, count), "e-3")
		if decode(t, ok); executions(t, count) != 5 {
			t.Fatal("the retry after a failure did not run")
		}
		if again := call(order("echo", "E", 1, count), "e-4"); !bytes.Equal(again.Body, ok.Body) || executions(t, count) != 5 {
			t.Fatalf("the successful retry was not recorded: %q vs %q", again.Body, ok.Body)
		}

		// No key: runs every time, store untouched.
		noKey := lambdatest.Event{Action: "echo", CountFile: count, Data: json.RawMessage(`{"amount":1}`)}.JSON()
		call(noKey, "n-1")
		call(noKey, "n-2")
		if n := executions(t, count); n != 7 {
			t.Fatalf("events without a key: %d executions, want 7", n)
		}
		if !hasLog(emu, "No idempotency key value found") {
			t.Error("no warning logged for the missing key")
		}
	})
}

func TestIdempotencyMissingKeyRaises(t *testing.T) {
	eachRuntime(t, func(t *testing.T, opts lambdatest.Options) {
		emu := startIdempotent(t, opts, append(keyedEnv, "IDEMPOTENCY_RAISE_ON_NO_IDEMPOTENCY_KEY=true")...)
		count := filepath.Join(t.TempDir(), "runs")
		noKey := lambdatest.Event{Action: "echo", CountFile: count, Data: json.RawMessage(`{"order":null}`)}.JSON()
		fe := decodeError(t, lambdatest.InvokeT(t, emu, noKey), 200)
		if fe.ErrorType != "IdempotencyKeyError" || executions(t, count) != 0 {
			t.Fatalf("%+v, %d executions", fe, executions(t, count))
		}
		// Keyed events still work.
		decode(t, lambdatest.InvokeT(t, emu, order("echo", "K", 1, count)))
		if executions(t, count) != 1 {
			t.Fatal("keyed event did not run")
		}
	})
}

func TestIdempotencyDisabled(t *testing.T) {
	eachRuntime(t, func(t *testing.T, opts lambdatest.Options) {
		// No store configured at all: disabled needs none.
		emu := startIdempotent(t, opts, "POWERTOOLS_IDEMPOTENCY_DISABLED=true", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order")
		count := filepath.Join(t.TempDir(), "runs")
		a := decode(t, lambdatest.InvokeT(t, emu, order("echo", "A", 1, count)))
		b := decode(t, lambdatest.InvokeT(t, emu, order("echo", "A", 1, count)))
		if executions(t, count) != 2 || a.Count == b.Count {
			t.Fatalf("disabled: %d executions (counts %d, %d), want 2", executions(t, count), a.Count, b.Count)
		}
		if !hasLog(emu, "development environments only") {
			t.Error("no warning logged for POWERTOOLS_IDEMPOTENCY_DISABLED")
		}
	})
}

func TestInvalidVariableFailsInit(t *testing.T) {
	for _, tc := range []struct{ name, env string }{
		{"IDEMPOTENCY_EXPIRES_AFTER_SECONDS", "IDEMPOTENCY_EXPIRES_AFTER_SECONDS=soon"},
		{"IDEMPOTENCY_EVENT_KEY_JMESPATH", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.["},
		{"IDEMPOTENCY_STORE", "IDEMPOTENCY_STORE=sqlite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := startIdempotent(t, options(t, goRuntime), "IDEMPOTENCY_STORE=memory", tc.env)
			count := filepath.Join(t.TempDir(), "runs")
			res := lambdatest.InvokeT(t, emu, order("echo", "A", 1, count))
			if res.Status == 200 && executions(t, count) > 0 {
				t.Fatalf("the function ran despite an invalid %s: %d %q", tc.name, res.Status, res.Body)
			}
			logs := emu.Logs()
			if !strings.Contains(logs, "Extension.ConfigInvalid") || !strings.Contains(logs, tc.name) {
				t.Fatalf("the emulator's output does not name %s:\n%s", tc.name, logs)
			}
		})
	}
}

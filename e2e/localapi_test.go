package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// The local idempotency API end to end: the test handlers call it from
// inside an invocation (lambdatest.ActionLocalAPI), through the proxy the
// runtime talks to.

// localEnv keys the handler-level path on a field the local API events do
// not have, so that the invocations themselves are never replayed.
var localEnv = []string{"IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order"}

// localAnswer is one call's result as the handler reports it.
type localAnswer struct {
	Status int `json:"status"`
	Body   struct {
		Status         string          `json:"status"`
		IdempotencyKey string          `json:"idempotencyKey"`
		Token          string          `json:"token"`
		Result         json.RawMessage `json:"result"`
		ErrorType      string          `json:"errorType"`
		Field          string          `json:"field"`
		Reason         string          `json:"reason"`
	} `json:"body"`
}

// call is a LocalCall with a body built from v.
func call(path string, v any) lambdatest.LocalCall {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return lambdatest.LocalCall{Path: path, Body: b}
}

// runLocal invokes the handler with calls and returns the answers.
func runLocal(t *testing.T, emu *lambdatest.Emulator, requestID string, calls ...lambdatest.LocalCall) ([]localAnswer, string) {
	t.Helper()
	got, id, err := tryLocal(t, emu, requestID, calls...)
	if err != nil {
		t.Fatal(err)
	}
	return got, id
}

// tryLocal is runLocal for goroutines other than the test's: it returns
// what went wrong instead of failing the test.
func tryLocal(t *testing.T, emu *lambdatest.Emulator, requestID string, calls ...lambdatest.LocalCall) ([]localAnswer, string, error) {
	ev := lambdatest.Event{Action: lambdatest.ActionLocalAPI, Calls: calls}
	res, err := emu.Invoke(t.Context(), ev.JSON(), lambdatest.WithRequestID(requestID))
	if err != nil {
		return nil, "", fmt.Errorf("invocation %s: %w", requestID, err)
	}
	var out struct {
		RequestID string        `json:"request_id"`
		Calls     []localAnswer `json:"calls"`
	}
	if res.Status != 200 {
		return nil, "", fmt.Errorf("invocation %s: status %d %s", requestID, res.Status, res.Body)
	}
	if err := json.Unmarshal(res.Body, &out); err != nil || len(out.Calls) != len(calls) {
		return nil, "", fmt.Errorf("invocation %s: %v, body %s", requestID, err, res.Body)
	}
	return out.Calls, out.RequestID, nil
}

// expect checks one answer's HTTP status and API status.
func expect(t *testing.T, what string, a localAnswer, status int, apiStatus string) {
	t.Helper()
	if a.Status != status || a.Body.Status != apiStatus {
		t.Fatalf("%s: got %d %+v, want %d %s", what, a.Status, a.Body, status, apiStatus)
	}
}

func localOrder(id string, amount int) map[string]any {
	return map[string]any{
		"function": "app.process_order", "data": map[string]any{"orderId": id, "amount": amount},
		"eventKeyJmespath": "orderId", "payloadValidationJmespath": "amount",
	}
}

func TestLocalAPI(t *testing.T) {
	eachRuntime(t, func(t *testing.T, opts lambdatest.Options) {
		emu := startIdempotent(t, opts, localEnv...)
		result := map[string]any{"charged": 10, "note": "ünï ✓"}
		got, _ := runLocal(t, emu, "local-1",
			call("claim", localOrder("o-1", 10)),
			call("claim", localOrder("o-1", 10)),
			call("complete", map[string]any{"token": "$TOKEN", "result": result}),
			call("claim", localOrder("o-1", 10)),
			call("claim", localOrder("o-1", 11)),
			call("complete", map[string]any{"token": "$TOKEN", "result": 1}),
		)
		expect(t, "claim", got[0], 200, "CLAIMED")
		key := got[0].Body.IdempotencyKey
		if !strings.HasPrefix(key, "test_function.app.process_order#") || key[len(key)-33:] != "#"+md5hex(`"o-1"`) {
			t.Fatalf("key %q, want test_function.app.process_order#md5(\"o-1\")", key)
		}
		expect(t, "claim while in progress", got[1], 409, "IN_PROGRESS")
		if got[1].Body.ErrorType != "IdempotencyAlreadyInProgressError" {
			t.Fatalf("conflict error type %q", got[1].Body.ErrorType)
		}
		expect(t, "complete", got[2], 200, "COMPLETED")
		expect(t, "claim after completion", got[3], 200, "COMPLETED")
		if !sameJSON(t, got[3].Body.Result, mustJSON(result)) {
			t.Fatalf("stored result %s, want %v", got[3].Body.Result, result)
		}
		expect(t, "other payload", got[4], 422, "VALIDATION_FAILED")
		expect(t, "second complete", got[5], 409, "NOT_OWNER")

		// A later invocation: the record persists; release lets the next claim run.
		got, requestID := runLocal(t, emu, "local-2",
			call("claim", localOrder("o-1", 10)),
			call("claim", localOrder("o-2", 5)),
			call("release", map[string]any{"token": "$TOKEN"}),
			call("claim", localOrder("o-2", 5)),
			call("complete", map[string]any{"token": "$TOKEN", "result": nil}),
			call("claim", localOrder("o-2", 5)),
			call("claim", map[string]any{"function": "app.f", "data": 1, "requestId": "$REQUEST_ID"}),
			call("claim", map[string]any{"function": "app.f", "data": 2, "requestId": "someone-else"}),
			call("claim", map[string]any{"function": "app.f"}),
			call("complete", map[string]any{"token": "forged", "result": 1}),
			call("claim", map[string]any{"function": "app.f", "data": map[string]any{}}),
		)
		if requestID != "local-2" {
			t.Fatalf("request id %q", requestID)
		}
		expect(t, "replay in a later invocation", got[0], 200, "COMPLETED")
		expect(t, "claim o-2", got[1], 200, "CLAIMED")
		expect(t, "release", got[2], 200, "RELEASED")
		expect(t, "claim after release", got[3], 200, "CLAIMED")
		expect(t, "complete with null", got[4], 200, "COMPLETED")
		expect(t, "replay of null", got[5], 200, "COMPLETED")
		if string(got[5].Body.Result) != "null" {
			t.Fatalf("null result replayed as %s", got[5].Body.Result)
		}
		expect(t, "claim under the request id", got[6], 200, "CLAIMED")
		expect(t, "claim under another request id", got[7], 400, "BAD_REQUEST")
		if got[7].Body.Field != "requestId" {
			t.Fatalf("field %q, want requestId", got[7].Body.Field)
		}
		expect(t, "claim without data", got[8], 400, "BAD_REQUEST")
		if got[8].Body.Field != "data" {
			t.Fatalf("field %q, want data", got[8].Body.Field)
		}
		expect(t, "forged token", got[9], 400, "BAD_REQUEST")
		expect(t, "empty data", got[10], 200, "SKIPPED")
	})
}

// TestLocalAPIGoldenKeys: keys derived through the proxy, from both
// runtimes, equal those of Powertools' idempotent_function for the same data
// and function (localapi/testdata/function_golden.json; the emulator's
// function is test_function, the golden file's golden-fn).
func TestLocalAPIGoldenKeys(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(art.RepoRoot, "localapi", "testdata", "function_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FunctionName string `json:"functionName"`
		Cases        []struct {
			Name, Function, HashFunction, Data, Key string
			KeyPrefix                               string `json:"keyPrefix"`
			EventKeyJmespath                        string `json:"eventKeyJmespath"`
			PayloadValidationJmespath               string `json:"payloadValidationJmespath"`
			Missing                                 bool   `json:"missing"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	eachRuntime(t, func(t *testing.T, opts lambdatest.Options) {
		emu := startIdempotent(t, opts, localEnv...)
		var calls []lambdatest.LocalCall
		var want []string
		for _, c := range doc.Cases {
			if c.HashFunction != "md5" {
				continue // the API hashes with IDEMPOTENCY_HASH_FUNCTION
			}
			req := map[string]any{"function": c.Function, "data": json.RawMessage(c.Data)}
			if c.KeyPrefix != "" {
				req["keyPrefix"] = c.KeyPrefix
			}
			if c.EventKeyJmespath != "" {
				req["eventKeyJmespath"] = c.EventKeyJmespath
			}
			if c.PayloadValidationJmespath != "" {
				req["payloadValidationJmespath"] = c.PayloadValidationJmespath
			}
			calls = append(calls, call("claim", req))
			switch {
			case c.Missing:
				want = append(want, "")
			case c.KeyPrefix != "":
				want = append(want, c.Key)
			default:
				want = append(want, "test_function"+strings.TrimPrefix(c.Key, doc.FunctionName))
			}
		}
		got, _ := runLocal(t, emu, "golden-1", calls...)
		for i, a := range got {
			if want[i] == "" {
				expect(t, fmt.Sprintf("case %d (no key)", i), a, 200, "SKIPPED")
				continue
			}
			if a.Body.IdempotencyKey != want[i] {
				t.Errorf("case %d: key %q, Powertools %q (answer %d %+v)", i, a.Body.IdempotencyKey, want[i], a.Status, a.Body)
			}
		}
	})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// warm runs one invocation on each emulator, so that the runtimes' lazy
// init is over before a test times anything.
func warm(t *testing.T, emus ...*lambdatest.Emulator) {
	t.Helper()
	for _, e := range emus {
		lambdatest.InvokeT(t, e, lambdatest.Event{Action: lambdatest.ActionInfo}.JSON())
	}
}

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// bigSize is just under the 6 MB (6 291 556 B) response limit, with room
// for the JSON around the data.
const bigSize = 5_900_000

// TestPassthrough sends the same sequence of invocations to a function with
// and without the extension: the caller must get byte-identical results,
// and the runtime must keep going after a function error.
func TestPassthrough(t *testing.T) {
	eachCase(t, runtimes, func(t *testing.T, _ runtimeKind, opts lambdatest.Options) {
		opts.FunctionTimeout = 30
		p := startPair(t, opts)
		count := 0 // invocations handled by the current runtime process
		next := func() int { count++; return count }

		t.Run("small_json", func(t *testing.T) {
			data := json.RawMessage(`{"order":"A-1","amount":42.5,"tags":["x","ü"],"nested":{"ok":true,"none":null}}`)
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho, Data: data}, "small-1")
			r := decode(t, res)
			var echoed lambdatest.Event
			if err := json.Unmarshal(r.Event, &echoed); err != nil || r.Count != next() {
				t.Fatalf("got count %d event %s (%v)", r.Count, r.Event, err)
			}
			var want, got any
			_ = json.Unmarshal(data, &want)
			_ = json.Unmarshal(echoed.Data, &got)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("echoed data %s, want %s", echoed.Data, data)
			}
		})

		t.Run("large_5.9MB", func(t *testing.T) {
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionBig, Size: bigSize}, "big-1")
			r := decode(t, res)
			if len(res.Body) < bigSize || len(r.Data) != bigSize || r.Count != next() {
				t.Fatalf("body %d bytes, data %d bytes, count %d", len(res.Body), len(r.Data), r.Count)
			}
		})

		t.Run("bytes", func(t *testing.T) {
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionBytes}, "bytes-1")
			want := append(fmt.Appendf(nil, "count=%d\n", next()), lambdatest.BinaryPayload()...)
			if res.Status != 200 || !bytes.Equal(res.Body, want) {
				t.Fatalf("status %d body %q, want %q", res.Status, res.Body, want)
			}
		})

		t.Run("error_then_next", func(t *testing.T) {
			before := decode(t, invokeOne(t, p.ext, lambdatest.Event{Action: lambdatest.ActionInfo}, "info-1"))
			if before.Count != next() {
				t.Fatalf("count %d, want %d", before.Count, count)
			}
			_ = invokeOne(t, p.base, lambdatest.Event{Action: lambdatest.ActionInfo}, "info-1")

			msg := `it "failed" – ✗ <&> ` + strings.Repeat("z", 300)
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionError, Message: msg}, "error-1")
			next()
			fe := decodeError(t, res, 200)
			if fe.ErrorType != "TestError" || fe.ErrorMessage != msg {
				t.Fatalf("error %+v, want TestError %q", fe, msg)
			}

			// The runtime got 202 for its /error and carries on: the
			// same process handles the next invocation.
			after := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "after-error-1"))
			if after.Count != next() {
				t.Fatalf("count after the error %d, want %d (a new runtime process?)", after.Count, count)
			}
			again := decode(t, invokeOne(t, p.ext, lambdatest.Event{Action: lambdatest.ActionInfo}, "info-2"))
			if again.PID != before.PID {
				t.Fatalf("runtime pid %d after the error, want %d", again.PID, before.PID)
			}
			_ = invokeOne(t, p.base, lambdatest.Event{Action: lambdatest.ActionInfo}, "info-2")
			next()
		})

		t.Run("sequential_50", func(t *testing.T) {
			for i := range 50 {
				data := json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
				r := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho, Data: data}, fmt.Sprintf("seq-%02d", i)))
				if r.Count != next() {
					t.Fatalf("invocation %d: count %d, want %d", i, r.Count, count)
				}
			}
		})

		t.Run("runtime_api_env", func(t *testing.T) {
			base, ext := p.invoke(t, lambdatest.Event{Action: lambdatest.ActionEnv}, "env-1")
			next()
			if got := decode(t, ext).RuntimeAPI; got != p.ext.ProxyAddr {
				t.Errorf("with the extension the handler sees AWS_LAMBDA_RUNTIME_API=%q, want the proxy %q", got, p.ext.ProxyAddr)
			}
			if got := decode(t, base).RuntimeAPI; got != p.base.RuntimeAPIAddr {
				t.Errorf("without the extension the handler sees AWS_LAMBDA_RUNTIME_API=%q, want %q", got, p.base.RuntimeAPIAddr)
			}
		})

		t.Run("invocation_context", func(t *testing.T) {
			custom := map[string]string{"tenant": "t-1", "note": "ünï \"q\""}
			cc, _ := json.Marshal(map[string]any{"custom": custom, "client": map[string]string{"app_title": "e2e"}, "env": map[string]string{"locale": "fr"}})
			// This emulator does not hand X-Amzn-Trace-Id to the runtime,
			// so trace_id is only compared between the two emulators.
			const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionContext}, "ctx-1",
				lambdatest.WithHeader("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(cc)),
				lambdatest.WithHeader("X-Amz-Cognito-Identity", `{"cognitoIdentityId":"us-east-1:id-1","cognitoIdentityPoolId":"us-east-1:pool-1"}`),
				lambdatest.WithHeader("X-Amzn-Trace-Id", trace))
			next()
			var got struct {
				RequestID    string            `json:"request_id"`
				FunctionARN  string            `json:"function_arn"`
				IdentityID   string            `json:"cognito_identity_id"`
				PoolID       string            `json:"cognito_identity_pool_id"`
				ClientCustom map[string]string `json:"client_custom"`
				TraceID      string            `json:"trace_id"`
				DeadlineOK   bool              `json:"deadline_ok"`
			}
			if err := json.Unmarshal(res.Body, &got); err != nil {
				t.Fatalf("%v: %q", err, res.Body)
			}
			if got.RequestID != "ctx-1" || !strings.HasSuffix(got.FunctionARN, ":function:test_function") ||
				got.IdentityID != "us-east-1:id-1" || got.PoolID != "us-east-1:pool-1" ||
				fmt.Sprint(got.ClientCustom) != fmt.Sprint(custom) || !got.DeadlineOK {
				t.Fatalf("the runtime saw %+v", got)
			}
		})

		t.Run("crash_then_recover", func(t *testing.T) {
			res := p.same(t, lambdatest.Event{Action: lambdatest.ActionExit}, "exit-1")
			if fe := decodeError(t, res, 502); fe.ErrorType != "Runtime.ExitError" {
				t.Fatalf("crash reported as %+v", fe)
			}
			p.awaitReset(t)
			r := decode(t, p.same(t, lambdatest.Event{Action: lambdatest.ActionEcho}, "after-exit-1"))
			if r.Count != 1 {
				t.Fatalf("count %d after the crash, want 1 (a new runtime process)", r.Count)
			}
		})
	})
}

// TestInvalidJSONPassthrough sends payloads that are not JSON through the
// extension with idempotency disabled: the runtime must get them as is and
// report its own unmarshal error. With idempotency on, events that are not
// JSON at all pass through the same way (nothing to key on), while
// malformed JSON fails with IdempotencyKeyError.
func TestInvalidJSONPassthrough(t *testing.T) {
	for _, kind := range runtimes {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			opts := options(t, kind)
			opts.Env = append(opts.Env, disabledMode.env...)
			p := startPair(t, opts)
			for i, payload := range []string{"not json at all", "", "{\"truncated\":", "\xff\xfe binary"} {
				res := p.sameRaw(t, []byte(payload), fmt.Sprintf("junk-%d", i))
				decodeError(t, res, 200)
			}
		})
		t.Run(string(kind)+"/memory", func(t *testing.T) {
			t.Parallel()
			opts := options(t, kind)
			opts.Env = append(opts.Env, "IDEMPOTENCY_STORE=memory")
			p := startPair(t, opts)
			for i, payload := range []string{"not json at all", "", "\xff\xfe binary"} {
				res := p.sameRaw(t, []byte(payload), fmt.Sprintf("junk-%d", i))
				decodeError(t, res, 200)
			}
			if !hasLog(p.ext, "No idempotency key value found") {
				t.Error("events that are not JSON were not logged")
			}
			_, ext := p.invokeRaw(t, []byte("{\"truncated\":"), "malformed")
			if fe := decodeError(t, ext, 200); fe.ErrorType != "IdempotencyKeyError" {
				t.Errorf("malformed JSON: %+v", fe)
			}
		})
	}
}

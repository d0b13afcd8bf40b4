package shiptest

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// exampleResponse is what the example handlers answer.
type exampleResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// exampleBody is the JSON in exampleResponse.Body.
type exampleBody struct {
	Runtime     string  `json:"runtime"`
	OrderID     *string `json:"orderId"`
	ExecutionID string  `json:"executionId"`
	ExecutedAt  string  `json:"executedAt"`
}

// decodeExample parses an example's answer and checks its shape.
func decodeExample(t *testing.T, raw []byte, runtime, orderID string) exampleBody {
	t.Helper()
	var res exampleResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	var body exampleBody
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatalf("response body %q: %v", res.Body, err)
	}
	if res.StatusCode != 200 || res.Headers["content-type"] != "application/json" || body.Runtime != runtime ||
		body.OrderID == nil || *body.OrderID != orderID || body.ExecutionID == "" || body.ExecutedAt == "" {
		t.Fatalf("response %s: want status 200, JSON, runtime %s, order %s, an execution id and time", raw, runtime, orderID)
	}
	return body
}

// templateEnv returns a function's environment as the template sets it,
// with parameters at their defaults, the wrapper left out (the emulator
// harness starts the runtime through it) and the in-memory store in place
// of the DynamoDB table.
func templateEnv(t *testing.T, c Checker, id string) []string {
	t.Helper()
	vars := asMap(asMap(asMap(c.Template.Function(id)["Properties"])["Environment"])["Variables"])
	env := []string{"IDEMPOTENCY_STORE=memory"}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		switch v := vars[name].(type) {
		case string:
			if name != "AWS_LAMBDA_EXEC_WRAPPER" {
				env = append(env, name+"="+v)
			}
		case Intrinsic:
			ref, _ := v.Arg.(string)
			switch {
			case v.Fn == "Ref" && ref == TableID:
			case v.Fn == "Ref" && c.Template.Parameters[ref] != nil:
				env = append(env, name+"="+c.ParameterDefault(ref))
			default:
				t.Fatalf("%s: %s = %v: no local value for it", id, name, v)
			}
		}
	}
	return env
}

// TestExamplesThroughTheExtension runs the Python and Go examples on the
// Runtime Interface Emulator with the extension configured as the template
// configures it (memory store instead of DynamoDB): a retry of the same
// request (new request id) is answered with the first response byte for
// byte, another order runs the handler. Without the extension, every call
// runs the handler, which the execution ids show.
func TestExamplesThroughTheExtension(t *testing.T) {
	c := checker(t, nil)
	art, err := lambdatest.Build(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(t.TempDir(), "handler")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", goBin, "./examples/go")
	build.Dir, build.Env = c.Root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/go: %v\n%s", err, out)
	}
	python, err := art.PythonHandler()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, runtime string
		handler     []string
		dir         string
	}{
		{"PythonFunction", "python", []string{python[0], "-m", "awslambdaric", "app.lambda_handler"}, filepath.Join(c.Root, "examples", "python")},
		{"GoFunction", "go", []string{goBin}, ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			opts := lambdatest.Options{Artifacts: art, Handler: tc.handler, Dir: tc.dir, Extension: true, Env: templateEnv(t, c, tc.id)}
			emu := lambdatest.StartT(t, opts)
			first := lambdatest.InvokeT(t, emu, functionURLEvent(`{"orderId":"o-1"}`, "r-1"))
			retry := lambdatest.InvokeT(t, emu, functionURLEvent(`{"orderId":"o-1"}`, "r-2"))
			other := lambdatest.InvokeT(t, emu, functionURLEvent(`{"orderId":"o-2"}`, "r-3"))
			a := decodeExample(t, first.Body, tc.runtime, "o-1")
			if !bytes.Equal(retry.Body, first.Body) {
				t.Errorf("retry of the same order got %s, want the replay of %s", retry.Body, first.Body)
			}
			if b := decodeExample(t, other.Body, tc.runtime, "o-2"); b.ExecutionID == a.ExecutionID {
				t.Errorf("another order got execution %s again: the handler did not run", b.ExecutionID)
			}

			opts.Extension = false
			base := lambdatest.StartT(t, opts)
			x := decodeExample(t, lambdatest.InvokeT(t, base, functionURLEvent(`{"orderId":"o-1"}`, "r-1")).Body, tc.runtime, "o-1")
			y := decodeExample(t, lambdatest.InvokeT(t, base, functionURLEvent(`{"orderId":"o-1"}`, "r-2")).Body, tc.runtime, "o-1")
			if x.ExecutionID == y.ExecutionID {
				t.Errorf("without the extension, two executions gave the same id %s: a replay would not be visible", x.ExecutionID)
			}
		})
	}
}

// TestNodeExample runs the Node.js handler directly with node (there is no
// Node.js runtime client here): it answers a function URL request, and two
// executions give two execution ids.
func TestNodeExample(t *testing.T) {
	c := checker(t, nil)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the Node.js example test: %v", err)
	}
	script := `const { handler } = await import(process.argv[1]);
const ev = JSON.parse(process.argv[2]);
console.log(JSON.stringify([await handler(ev), await handler(ev)]));`
	cmd := exec.CommandContext(t.Context(), node, "--input-type=module", "-e", script,
		filepath.Join(c.Root, "examples", "nodejs", "index.mjs"), string(functionURLEvent(`{"orderId":"o-1"}`, "r-1")))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var results []json.RawMessage
	if err := json.Unmarshal(out, &results); err != nil || len(results) != 2 {
		t.Fatalf("node printed %s: %v", out, err)
	}
	a, b := decodeExample(t, results[0], "nodejs", "o-1"), decodeExample(t, results[1], "nodejs", "o-1")
	if a.ExecutionID == b.ExecutionID {
		t.Errorf("two executions gave the same id %s", a.ExecutionID)
	}
}

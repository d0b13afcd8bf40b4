package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestPowertoolsTypeScriptMigration is issue 9 item 8: a Node.js function
// moves from Powertools TypeScript to idemproxy on the same table. The real
// @aws-lambda-powertools/idempotency (bench/peers) runs an event first and
// records its result; the same event sent to the emulator with
// IDEMPOTENCY_KEY_FORMAT=powertools-typescript is then replayed from that
// record without running the handler; a new event runs once and is
// replayed.
func TestPowertoolsTypeScriptMigration(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	modules := filepath.Join(art.RepoRoot, "bench", "peers", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@aws-lambda-powertools", "idempotency", "package.json")); err != nil {
		t.Skip("@aws-lambda-powertools/idempotency not installed in bench/peers (make bench-deps)")
	}
	endpoint, _ := startDynamo(t)
	opts := withQuietProxyPort(t, flakyOptions(t))
	opts.Env = append(opts.Env, dynamoEnv(endpoint)...)
	opts.Env = append(opts.Env, "IDEMPOTENCY_KEY_FORMAT=powertools-typescript")
	dir := sharedDir(t)
	count := filepath.Join(dir, "runs")
	ev := flakyEvent{CountFile: count}
	ev.Data.Order = "migrated-ü"
	event := json.RawMessage(ev.JSON())
	// Powertools TypeScript's function answered before the migration.
	const result = `{"statusCode": 201, "body": "{\"order\":\"migrated-ü\"}", "nested": {"b": [1, 2.5, null], "a": true}}`

	in, err := json.Marshal(map[string]any{
		"table": "idem", "endpoint": endpoint, "event": event, "result": json.RawMessage(result),
		"eventKeyJmesPath": "data.order", "payloadValidationJmesPath": "data.amount",
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, filepath.Join(art.RepoRoot, "store", "dynamodb", "testdata", "powertools_ts_interop.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "POWERTOOLS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_NAME=test_function", "POWERTOOLS_TS_NODE_MODULES="+modules,
		"AWS_REGION="+testservers.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), `"runs":1`) {
		t.Fatalf("Powertools TypeScript: %s %v\n%s", out, err, stderr.Bytes())
	}

	emu := lambdatest.StartT(t, opts)
	res, err := emu.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	o := classify(res)
	var got, want any
	_ = json.Unmarshal([]byte(result), &want)
	if !o.ok() || json.Unmarshal(o.body, &got) != nil || !jsonEqual(got, want) {
		t.Fatalf("the migrated event: %s, want Powertools TypeScript's recorded result %s", o, result)
	}
	if r, _ := readRuns(count); len(r) != 0 {
		t.Fatalf("the handler ran %d times for an event Powertools TypeScript had answered", len(r))
	}

	// A new event: one run, then replays.
	ev.Data.Order = "new"
	var first []byte
	for i := range 2 {
		res, err := emu.Invoke(t.Context(), ev.JSON())
		o := classify(res)
		if err != nil || !o.ok() || (i > 0 && !bytes.Equal(o.body, first)) {
			t.Fatalf("new event, call %d: %s (%v)", i, o, err)
		}
		first = o.body
	}
	if r, _ := readRuns(count); len(r) != 1 {
		t.Fatalf("%d runs for the new event, want 1", len(r))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

package dynamodb

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
)

// powertoolsTS runs testdata/powertools_ts_interop.mjs: the real
// Powertools TypeScript runs a function returning result on event, against
// the table at endpoint, with the key prefix fn.
func powertoolsTS(t *testing.T, endpoint, table, fn string, event, result json.RawMessage) (returned json.RawMessage, runs int) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	modules := os.Getenv("POWERTOOLS_TS_NODE_MODULES")
	if modules == "" {
		root, err := testservers.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		modules = filepath.Join(root, "bench", "peers", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(modules, "@aws-lambda-powertools", "idempotency", "package.json")); err != nil {
		t.Skipf("@aws-lambda-powertools/idempotency not installed in %s (make bench-deps)", modules)
	}
	in, err := json.Marshal(map[string]any{
		"table": table, "endpoint": endpoint, "event": event, "result": result,
		"eventKeyJmesPath": "order_id", "payloadValidationJmesPath": "amount",
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "powertools_ts_interop.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "POWERTOOLS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_NAME="+fn, "POWERTOOLS_TS_NODE_MODULES="+modules,
		"AWS_REGION="+testservers.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("powertools_ts_interop.mjs: %v\n%s", err, stderr.Bytes())
	}
	var reply struct {
		Returned json.RawMessage `json:"returned"`
		Runs     int             `json:"runs"`
	}
	if err := json.Unmarshal(out, &reply); err != nil {
		t.Fatalf("powertools_ts_interop.mjs printed %q: %v", out, err)
	}
	return reply.Returned, reply.Runs
}

// TestPowertoolsTypeScriptInterop: a record the real Powertools TypeScript
// completes (its result marshalled as a DynamoDB map) is found under the key
// idemproxy derives in the powertools-typescript format, with the same
// payload hash, and is replayed as the result's JSON.
func TestPowertoolsTypeScriptInterop(t *testing.T) {
	t.Parallel()
	endpoint := dynalite.endpoint(t)
	const fn = "ts-interop-fn"
	opts := dynalite.newTable(t, DefaultOptions("", fn))
	s := newStore(t, endpoint, opts, nil)
	keyer, err := idempotency.NewKeyer(idempotency.KeyConfig{
		KeyPrefix: fn, EventKeyJMESPath: "order_id", PayloadValidationJMESPath: "amount", Format: idempotency.FormatTypeScript,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, result := range []string{
		`{"ok": true, "message": "héllo ☃", "n": 1, "f": 2.5, "list": [1, "two", null, {"x": false}], "nested": {"b": {}, "a": []}}`,
		`{"statusCode": 201, "headers": {"content-type": "application/json"}, "body": "{\"id\":42}"}`,
		`[1, 2, 3]`,
		`42`,
		`true`,
	} {
		event := json.RawMessage(`{"order_id": "o-` + rand.Text() + `", "amount": 42.5, "note": "héllo"}`)
		returned, runs := powertoolsTS(t, endpoint, opts.Table, fn, event, json.RawMessage(result))
		if runs != 1 || !sameJSON(t, returned, []byte(result)) {
			t.Fatalf("Powertools TypeScript ran %d times and returned %s, want 1 and %s", runs, returned, result)
		}
		// A second run on the same event is a replay on its side too.
		if _, runs := powertoolsTS(t, endpoint, opts.Table, fn, event, json.RawMessage(`"ran again"`)); runs != 0 {
			t.Fatalf("Powertools TypeScript ran its function again (%d)", runs)
		}

		d, err := keyer.Derive(event)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		got, err := s.Claim(t.Context(), withKey(claimRecord("idemproxy", now), d.Key), now)
		if !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("Claim of the key idemproxy derives (%s): err = %v, want ErrAlreadyExists (Powertools TypeScript's record)", d.Key, err)
		}
		if got.Status != store.StatusCompleted || got.PayloadHash != d.PayloadHash || got.Owner != "" {
			t.Errorf("record %+v, want COMPLETED with payload hash %q", got, d.PayloadHash)
		}
		if !json.Valid(got.Response) || !sameJSON(t, got.Response, []byte(result)) {
			t.Errorf("replayed response %s, want the JSON of %s", got.Response, result)
		}
	}
}

package dynamodb

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
)

// interopRequest is the input of testdata/powertools_interop.py.
type interopRequest struct {
	Mode                      string          `json:"mode"`
	Table                     string          `json:"table"`
	KeyAttr                   string          `json:"key_attr"`
	SortKeyAttr               *string         `json:"sort_key_attr"`
	StaticPKValue             *string         `json:"static_pk_value"`
	KeyPrefix                 string          `json:"key_prefix"`
	EventKeyJMESPath          string          `json:"event_key_jmespath"`
	PayloadValidationJMESPath string          `json:"payload_validation_jmespath"`
	Event                     json.RawMessage `json:"event"`
	Result                    json.RawMessage `json:"result,omitempty"`
	Counter                   string          `json:"counter,omitempty"`
}

// interopReply is its output.
type interopReply struct {
	Key         string          `json:"key"`
	PayloadHash string          `json:"payload_hash"`
	Returned    json.RawMessage `json:"returned"`
	Runs        int             `json:"runs"`
}

// powertools runs the Powertools side of the interop test against the
// DynamoDB server at endpoint.
func powertools(t *testing.T, endpoint string, req interopRequest) interopReply {
	t.Helper()
	reply, stderr, err := runPowertools(t, endpoint, req)
	if err != nil {
		t.Fatalf("powertools_interop.py %s: %v\n%s", req.Mode, err, stderr)
	}
	return reply
}

// runPowertools runs the Powertools side and returns its reply, its
// standard error, and how it failed (if it did).
func runPowertools(t *testing.T, endpoint string, req interopRequest) (interopReply, []byte, error) {
	t.Helper()
	root, err := testservers.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("Powertools interop needs the test virtualenv (%v): run `make deps`", err)
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), python, filepath.Join("testdata", "powertools_interop.py"))
	cmd.Stdin = bytes.NewReader(in)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "POWERTOOLS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL_DYNAMODB="+endpoint, "AWS_DEFAULT_REGION="+testservers.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return interopReply{}, stderr.Bytes(), err
	}
	var reply interopReply
	if err := json.Unmarshal(out, &reply); err != nil {
		t.Fatalf("powertools_interop.py %s printed %q: %v", req.Mode, out, err)
	}
	return reply, stderr.Bytes(), nil
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("not JSON: %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("not JSON: %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestPowertoolsInterop shares a table with the real Powertools for AWS
// Lambda (Python): a record Powertools completes is replayed by the store
// with Powertools' data string as the response, and a record the store
// completes is replayed by Powertools without running its function. Keys
// and payload hashes are computed on both sides and must agree.
func TestPowertoolsInterop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"simple key", DefaultOptions("", "interop-fn")},
		{"static pk and sort key", sortKeyOptions()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint := dynalite.endpoint(t)
			opts := dynalite.newTable(t, tc.opts)
			s := newStore(t, endpoint, opts, nil)
			const prefix = "orders"
			keyer, err := idempotency.NewKeyer(idempotency.KeyConfig{
				KeyPrefix: prefix, EventKeyJMESPath: "order_id", PayloadValidationJMESPath: "amount",
			})
			if err != nil {
				t.Fatal(err)
			}
			base := interopRequest{
				Table: opts.Table, KeyAttr: opts.KeyAttr, KeyPrefix: prefix,
				EventKeyJMESPath: "order_id", PayloadValidationJMESPath: "amount",
			}
			if opts.SortKeyAttr != "" {
				base.SortKeyAttr, base.StaticPKValue = &opts.SortKeyAttr, &opts.StaticPKValue
			}
			event := func() json.RawMessage {
				return json.RawMessage(`{"order_id": "o-` + rand.Text() + `", "amount": 42.5, "note": "héllo"}`)
			}
			checkKey := func(ev json.RawMessage, reply interopReply) {
				t.Helper()
				d, err := keyer.Derive(ev)
				if err != nil {
					t.Fatal(err)
				}
				if d.Key != reply.Key || d.PayloadHash != reply.PayloadHash {
					t.Errorf("Go derived key %q hash %q, Powertools %q hash %q",
						d.Key, d.PayloadHash, reply.Key, reply.PayloadHash)
				}
			}

			t.Run("Powertools writes, store replays", func(t *testing.T) {
				req := base
				req.Mode, req.Event, req.Counter = "run", event(), filepath.Join(t.TempDir(), "runs")
				req.Result = json.RawMessage(`{"ok": true, "message": "héllo", "n": 1, "list": [1, 2.5, null]}`)
				reply := powertools(t, endpoint, req)
				if reply.Runs != 1 || !sameJSON(t, reply.Returned, req.Result) {
					t.Fatalf("Powertools ran %d times and returned %s, want 1 and %s", reply.Runs, reply.Returned, req.Result)
				}
				checkKey(req.Event, reply)

				now := time.Now()
				got, err := s.Claim(t.Context(), withKey(claimRecord("idemproxy", now), reply.Key), now)
				if !errors.Is(err, store.ErrAlreadyExists) {
					t.Fatalf("Claim of Powertools' key: err = %v, want ErrAlreadyExists", err)
				}
				// json.dumps(result, sort_keys=True) with its default separators and ensure_ascii.
				const data = `{"list": [1, 2.5, null], "message": "h\u00e9llo", "n": 1, "ok": true}`
				if got.Status != store.StatusCompleted || string(got.Response) != data ||
					got.PayloadHash != reply.PayloadHash || got.Owner != "" || got.ContentType != "" {
					t.Errorf("Claim returned %+v (response %s), want Powertools' completed record with data %s",
						got, got.Response, data)
				}
			})

			t.Run("store writes, Powertools replays", func(t *testing.T) {
				req := base
				req.Mode, req.Event = "key", event()
				keyReply := powertools(t, endpoint, req)
				checkKey(req.Event, keyReply)

				now := time.Now()
				rec := withKey(claimRecord("idemproxy-owner", now), keyReply.Key)
				rec.PayloadHash = keyReply.PayloadHash
				if _, err := s.Claim(t.Context(), rec, now); err != nil {
					t.Fatalf("Claim: %v", err)
				}
				done := completedRecord(rec, `{"answer":42,"via":"idemproxy","nested":{"é":[true,null]}}`)
				if err := s.Complete(t.Context(), done); err != nil {
					t.Fatalf("Complete: %v", err)
				}

				req.Mode, req.Counter = "run", filepath.Join(t.TempDir(), "runs")
				req.Result = json.RawMessage(`{"ran": "the function, which it must not"}`)
				reply := powertools(t, endpoint, req)
				if reply.Runs != 0 {
					t.Errorf("Powertools ran its function %d times, want 0 (replay)", reply.Runs)
				}
				if !sameJSON(t, reply.Returned, done.Response) {
					t.Errorf("Powertools returned %s, want the stored response %s", reply.Returned, done.Response)
				}
				got, err := s.Claim(t.Context(), withKey(claimRecord("late", now), rec.Key), now)
				if !errors.Is(err, store.ErrAlreadyExists) || !sameRecord(got, done) {
					t.Errorf("after Powertools' replay, Claim = %+v, %v; want the unchanged record", got, err)
				}
			})
		})
	}
}

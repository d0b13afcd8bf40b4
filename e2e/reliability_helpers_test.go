package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// soakEnv, set to 1, makes the reliability tests run at soak scale (make
// soak); make test runs them at a scale that fits its time budget.
const soakEnv = "IDEMPOTENCY_SOAK"

func soak() bool { return os.Getenv(soakEnv) == "1" }

// Store kinds shared by several sandboxes.
const (
	dynamoBackend = "dynamodb"
	redisBackend  = "redis"
)

var backends = []string{dynamoBackend, redisBackend}

// backend is one store server shared by every sandbox of a test.
type backend struct {
	kind string
	addr string // host:port of the server itself
}

// startBackend starts a fresh dynalite (with the table "idem") or
// redis-server for t.
func startBackend(t *testing.T, kind string) backend {
	t.Helper()
	switch kind {
	case dynamoBackend:
		endpoint, _ := startDynamo(t)
		return backend{kind: kind, addr: strings.TrimPrefix(endpoint, "http://")}
	case redisBackend:
		return backend{kind: kind, addr: testservers.MustStartRedis(t).Addr}
	}
	t.Fatalf("unknown store %q", kind)
	return backend{}
}

// env configures the extension for the backend reached at addr (the server
// itself, or a fault proxy in front of it), keyed on data.order.
func (b backend) env(addr string) []string {
	common := []string{"IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order"}
	if b.kind == redisBackend {
		return append(common, "IDEMPOTENCY_REDIS_URL=redis://"+addr+"/0")
	}
	return append(common,
		"IDEMPOTENCY_TABLE_NAME=idem",
		"AWS_ENDPOINT_URL_DYNAMODB=http://"+addr,
		"AWS_REGION="+testservers.Region,
		"AWS_DEFAULT_REGION="+testservers.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
	)
}

// sharedDir returns an empty folder every sandbox's handler can write, also
// as uid 993 (Managed Instances mode).
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "idemproxy-reliability-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// countFile returns the count file of key in dir, created writable by any
// user so that handlers running as different users can all append to it.
func countFile(t *testing.T, dir, key string) string {
	t.Helper()
	path := filepath.Join(dir, "runs-"+key)
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return path
}

// runs returns the lines of a count file: one "<request id> <pid>" per
// execution of the handler.
func runs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", "/"))
}

// keyedEvent is an event with the idempotency key data.order = key.
func keyedEvent(action, key, count string, ms int) []byte {
	data, _ := json.Marshal(map[string]any{"order": key})
	return lambdatest.Event{Action: action, Ms: ms, CountFile: count, Data: data}.JSON()
}

// outcome is what a caller got, classified.
type outcome struct {
	status    int
	body      []byte
	errorType string // "" for a success
	took      time.Duration
	where     string // sandbox and request ID, for messages
}

func (o outcome) ok() bool {
	return o.status == 200 && o.errorType == "" && json.Valid(o.body) && !isTimeout(o.body)
}

func (o outcome) String() string {
	if o.ok() {
		return fmt.Sprintf("ok %.120s", o.body)
	}
	return fmt.Sprintf("%s: status %d errorType %q body %.2000q after %s", o.where, o.status, o.errorType, o.body, o.took)
}

func isTimeout(body []byte) bool { return bytes.HasPrefix(body, []byte("Task timed out")) }

// classify reads a result: a JSON object with an errorType is an error,
// the emulator's timeout text is the error type "timeout", any other JSON is
// a success.
func classify(res lambdatest.Result) outcome {
	o := outcome{status: res.Status, body: res.Body, took: res.Duration}
	var fe functionError
	switch {
	case isTimeout(res.Body):
		o.errorType = "timeout"
	case json.Unmarshal(res.Body, &fe) == nil && fe.ErrorType != "":
		o.errorType = fe.ErrorType
	case res.Status != 200 || !json.Valid(res.Body):
		o.errorType = "status " + strconv.Itoa(res.Status)
	}
	return o
}

// The emulator's Managed Instances mode sometimes answers an invocation
// that failed quickly with this body instead of the error body the runtime
// (here the proxy, which always posts a non-empty error body) posted: a race
// in its invoke handler (aws-lambda-rie/internal/app.go) between the
// runtime's error reply and its own "invoke failed" reply, seen only under
// heavy CPU contention. The reply is an error, so it cannot hide a double
// execution; it is counted separately.
const (
	lmiLostErrorBody = `{"errorType":"Runtime.Unknown"}`
	lmiLostError     = "emulator-lost-error-body"
)

// history collects the outcomes of concurrent invocations per key.
type history struct {
	mu   sync.Mutex
	outs map[string][]outcome
	errs []error
}

func newHistory() *history { return &history{outs: map[string][]outcome{}} }

func (h *history) add(key, where string, lmi bool, res lambdatest.Result, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.errs = append(h.errs, fmt.Errorf("key %s, %s: %w", key, where, err))
		return
	}
	o := classify(res)
	if lmi && o.errorType == "Runtime.Unknown" && string(o.body) == lmiLostErrorBody {
		o.errorType = lmiLostError
	}
	o.where = where
	h.outs[key] = append(h.outs[key], o)
}

// checkOnce checks the invariants of one key's duplicates: the handler ran
// exactly once (per the count file), every successful reply is the same
// bytes, and every other reply is IdempotencyAlreadyInProgressError. It
// returns the one response.
func checkOnce(t *testing.T, key string, outs []outcome, countFile string) []byte {
	t.Helper()
	var body []byte
	var successes, inProgress int
	for _, o := range outs {
		switch {
		case o.ok():
			successes++
			if body == nil {
				body = o.body
			} else if !bytes.Equal(body, o.body) {
				t.Errorf("key %s: two different successful replies:\n  %s\n  %s", key, body, o.body)
			}
		case o.errorType == "IdempotencyAlreadyInProgressError", o.errorType == lmiLostError:
			inProgress++
		default:
			t.Errorf("key %s: unexpected reply: %s", key, o)
		}
	}
	if r := runs(t, countFile); len(r) != 1 {
		t.Errorf("key %s: the handler ran %d times, want exactly once: %v", key, len(r), r)
	}
	if successes == 0 {
		t.Errorf("key %s: no successful reply among %d", key, len(outs))
	}
	t.Logf("key %s: %d duplicates: %d successful (identical), %d IdempotencyAlreadyInProgressError, %d executions",
		key, len(outs), successes, inProgress, len(runs(t, countFile)))
	return body
}

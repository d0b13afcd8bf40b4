package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// The settings beyond Powertools (IDEMPOTENCY_IN_PROGRESS,
// IDEMPOTENCY_REPLAY_HEADER, IDEMPOTENCY_SKIP_STATUS_CODES), end to end on
// the emulator with testdata/proxyfn, a Python function returning API
// Gateway proxy responses.

// proxyFnOptions returns emulator options running testdata/proxyfn (copied
// to a temporary task folder, so that Python's caches stay out of the
// repository).
func proxyFnOptions(t *testing.T) lambdatest.Options {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "proxyfn", "proxyfn.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "proxyfn.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	py, err := art.PythonHandler()
	if err != nil {
		t.Fatal(err)
	}
	return lambdatest.Options{Artifacts: art, Handler: []string{py[0], "-m", "awslambdaric", "proxyfn.handler"}, Dir: dir}
}

// proxyEvent is an event for proxyfn keyed on data.order.
type proxyEvent struct {
	Status    int                 `json:"status,omitempty"`
	Headers   map[string]string   `json:"headers,omitempty"`
	Multi     map[string][]string `json:"multi,omitempty"`
	Raw       bool                `json:"raw,omitempty"`
	SleepMs   int                 `json:"sleep_ms,omitempty"`
	CountFile string              `json:"count_file"`
	Data      struct {
		Order string `json:"order"`
	} `json:"data"`
}

func (e proxyEvent) JSON() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

// proxyReply is proxyfn's response, decoded.
type proxyReply struct {
	StatusCode int                 `json:"statusCode"`
	Headers    map[string]string   `json:"headers"`
	Multi      map[string][]string `json:"multiValueHeaders"`
	Body       string              `json:"body"`
}

func decodeProxy(t *testing.T, res lambdatest.Result) proxyReply {
	t.Helper()
	var r proxyReply
	if res.Status != 200 {
		t.Fatalf("invoke status %d: %.300q", res.Status, res.Body)
	}
	if err := json.Unmarshal(res.Body, &r); err != nil || r.StatusCode == 0 {
		t.Fatalf("not a proxy response (%v): %.300q", err, res.Body)
	}
	return r
}

// markers returns the headers named X-Idempotent-Replay in any case, in
// headers and multiValueHeaders.
func markers(r proxyReply) map[string]any {
	out := map[string]any{}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "X-Idempotent-Replay") {
			out["headers."+k] = v
		}
	}
	for k, v := range r.Multi {
		if strings.EqualFold(k, "X-Idempotent-Replay") {
			out["multiValueHeaders."+k] = v
		}
	}
	return out
}

func TestBeyondReplayHeaderAndSkipStatusCodes(t *testing.T) {
	t.Parallel()
	emu := startIdempotent(t, proxyFnOptions(t),
		"IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order",
		"IDEMPOTENCY_REPLAY_HEADER=X-Idempotent-Replay", "IDEMPOTENCY_SKIP_STATUS_CODES=5xx,429")
	dir := t.TempDir()
	call := func(e proxyEvent, key string) lambdatest.Result {
		e.Data.Order = key
		e.CountFile = filepath.Join(dir, key)
		return lambdatest.InvokeT(t, emu, e.JSON())
	}

	t.Run("replay header", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ev   proxyEvent
			want map[string]any
		}{
			{"no headers", proxyEvent{Status: 201}, map[string]any{"headers.X-Idempotent-Replay": "true"}},
			{"headers, with a stale marker", proxyEvent{Status: 200, Headers: map[string]string{"Content-Type": "application/json", "x-idempotent-replay": "stale"}},
				map[string]any{"headers.X-Idempotent-Replay": "true"}},
			{"multiValueHeaders", proxyEvent{Status: 200, Headers: map[string]string{"A": "b"}, Multi: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "X-IDEMPOTENT-REPLAY": {"x"}}},
				map[string]any{"multiValueHeaders.X-Idempotent-Replay": []string{"true"}}},
		} {
			key := "h-" + strings.ReplaceAll(tc.name, " ", "-")
			first := call(tc.ev, key)
			again := call(tc.ev, key)
			if n := executions(t, filepath.Join(dir, key)); n != 1 {
				t.Fatalf("%s: %d executions", tc.name, n)
			}
			f, r := decodeProxy(t, first), decodeProxy(t, again)
			wantFirst := map[string]any{}
			for k, v := range tc.ev.Headers {
				if strings.EqualFold(k, "X-Idempotent-Replay") {
					wantFirst["headers."+k] = v
				}
			}
			for k, v := range tc.ev.Multi {
				if strings.EqualFold(k, "X-Idempotent-Replay") {
					wantFirst["multiValueHeaders."+k] = v
				}
			}
			if got := markers(f); !reflect.DeepEqual(got, wantFirst) {
				t.Errorf("%s: the first response was marked: %v", tc.name, got)
			}
			if got := markers(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: replay markers %v, want %v (%s)", tc.name, got, tc.want, again.Body)
			}
			// Everything else is the first response.
			for k := range f.Headers {
				if strings.EqualFold(k, "X-Idempotent-Replay") {
					delete(f.Headers, k)
				}
			}
			for k := range f.Multi {
				if strings.EqualFold(k, "X-Idempotent-Replay") {
					delete(f.Multi, k)
				}
			}
			delete(r.Headers, "X-Idempotent-Replay")
			delete(r.Multi, "X-Idempotent-Replay")
			if len(f.Headers) == 0 && len(r.Headers) == 0 {
				f.Headers, r.Headers = nil, nil
			}
			if !reflect.DeepEqual(f, r) {
				t.Errorf("%s: replay differs beyond the marker:\n first %s\nreplay %s", tc.name, first.Body, again.Body)
			}
		}
		// Not a proxy response: replayed byte for byte.
		first := call(proxyEvent{Raw: true}, "h-raw")
		again := call(proxyEvent{Raw: true}, "h-raw")
		if string(first.Body) != string(again.Body) || executions(t, filepath.Join(dir, "h-raw")) != 1 {
			t.Errorf("a response that is not a proxy response changed on replay:\n%s\n%s", first.Body, again.Body)
		}
	})

	t.Run("skip status codes", func(t *testing.T) {
		for _, tc := range []struct {
			status int
			stored bool
		}{{503, false}, {500, false}, {429, false}, {404, true}, {200, true}} {
			key := "s-" + strconv.Itoa(tc.status)
			a := decodeProxy(t, call(proxyEvent{Status: tc.status}, key))
			b := decodeProxy(t, call(proxyEvent{Status: tc.status}, key))
			n := executions(t, filepath.Join(dir, key))
			if a.StatusCode != tc.status || b.StatusCode != tc.status {
				t.Fatalf("status %d: the caller got %d then %d", tc.status, a.StatusCode, b.StatusCode)
			}
			switch {
			case tc.stored && (n != 1 || a.Body != b.Body || len(markers(b)) != 1):
				t.Errorf("status %d: %d executions, bodies %q / %q, want one execution and a marked replay", tc.status, n, a.Body, b.Body)
			case !tc.stored && (n != 2 || a.Body == b.Body || len(markers(b)) != 0):
				t.Errorf("status %d: %d executions, bodies %q / %q, want two executions (not stored)", tc.status, n, a.Body, b.Body)
			}
		}
		if !hasLog(emu, "IDEMPOTENCY_SKIP_STATUS_CODES") {
			t.Error("no log line for a response not recorded because of its status code")
		}
	})
}

func TestBeyondInvalidVariablesFailInit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, env string }{
		{"IDEMPOTENCY_IN_PROGRESS", "IDEMPOTENCY_IN_PROGRESS=block"},
		{"IDEMPOTENCY_REPLAY_HEADER", "IDEMPOTENCY_REPLAY_HEADER=X Replayed"},
		{"IDEMPOTENCY_SKIP_STATUS_CODES", "IDEMPOTENCY_SKIP_STATUS_CODES=5xx,6xx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := startIdempotent(t, options(t, goRuntime), "IDEMPOTENCY_STORE=memory", tc.env)
			count := filepath.Join(t.TempDir(), "runs")
			res := lambdatest.InvokeT(t, emu, order("echo", "A", 1, count))
			if executions(t, count) > 0 {
				t.Fatalf("the function ran despite an invalid %s: %d %q", tc.name, res.Status, res.Body)
			}
			logs := emu.Logs()
			if !strings.Contains(logs, "Extension.ConfigInvalid") || !strings.Contains(logs, tc.name) {
				t.Fatalf("the emulator's output does not name %s:\n%s", tc.name, logs)
			}
		})
	}
}

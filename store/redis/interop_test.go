package redis_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redis"
)

// powertoolsOut is what testdata/powertools_interop.py prints.
type powertoolsOut struct {
	Key     string          `json:"key"`
	Outcome string          `json:"outcome"`
	Result  json.RawMessage `json:"result"`
	Data    string          `json:"data"`
}

// powertools runs the interop script (the real Powertools Redis persistence
// layer from the repository's virtualenv) against the server at addr.
func powertools(t *testing.T, addr, mode string, event any, result ...string) powertoolsOut {
	t.Helper()
	root, err := testservers.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s missing: run `make deps` to create the test virtualenv", python)
	}
	ev, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-W", "ignore", filepath.Join("testdata", "powertools_interop.py"),
		"redis://" + addr, mode, string(ev)}, result...)
	cmd := exec.CommandContext(t.Context(), python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("powertools_interop.py %s: %v\n%s\n(is the redis package in test/requirements.txt installed? run `make deps`)",
			mode, err, stderr.String())
	}
	var out powertoolsOut
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("powertools_interop.py %s printed %q: %v", mode, stdout, err)
	}
	return out
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestPowertoolsRecordReplays: a record Powertools completed is replayed by
// our Claim with its data bytes, and can be neither completed nor deleted.
func TestPowertoolsRecordReplays(t *testing.T) {
	t.Parallel()
	p := testservers.MustStartRedis(t)
	s := open(t, p.Addr, redis.Options{})
	event := map[string]string{"order": rand.Text()}
	before := time.Now()
	out := powertools(t, p.Addr, "write", event, `{"message": "h\u00e9llo <b>&", "n": 1, "items": [1, 2.5, null]}`)
	if out.Outcome != "executed" {
		t.Fatalf("Powertools outcome %q, want executed", out.Outcome)
	}

	now := time.Now()
	probe := store.Record{Key: out.Key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour), Owner: "us"}
	got, err := s.Claim(t.Context(), probe, now)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Claim over Powertools' record: err = %v, want ErrAlreadyExists", err)
	}
	if got.Status != store.StatusCompleted || string(got.Response) != out.Data {
		t.Errorf("got %s %q, want COMPLETED %q", got.Status, got.Response, out.Data)
	}
	// Powertools: expiration = int(now) + expires_after_seconds.
	lo, hi := before.Add(time.Hour).Unix(), now.Add(time.Hour).Unix()
	if e := got.Expiry.Unix(); e < lo || e > hi {
		t.Errorf("Expiry %d, want within [%d, %d]", e, lo, hi)
	}
	if got.Key != out.Key || got.Owner != "" || got.ContentType != "" || got.PayloadHash != "" ||
		!got.InProgressExpiry.IsZero() {
		t.Errorf("unexpected fields in %+v", got)
	}

	// Nobody owns it, so nobody may complete or delete it.
	done := probe
	done.Status = store.StatusCompleted
	if err := s.Complete(t.Context(), done); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Complete: err = %v, want ErrNotOwner", err)
	}
	if err := s.Delete(t.Context(), out.Key, ""); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Delete: err = %v, want ErrNotOwner", err)
	}
	if again := powertools(t, p.Addr, "replay", event); again.Outcome != "replayed" ||
		!sameJSON(t, again.Result, []byte(out.Data)) {
		t.Errorf("Powertools no longer replays its record: %+v", again)
	}
}

// TestOurRecordReplaysInPowertools: Powertools sees our in-progress record as
// in progress, and replays our completed JSON response without running its
// function.
func TestOurRecordReplaysInPowertools(t *testing.T) {
	t.Parallel()
	p := testservers.MustStartRedis(t)
	s := open(t, p.Addr, redis.Options{})
	event := map[string]string{"order": rand.Text()}
	key := powertools(t, p.Addr, "key", event).Key

	now := time.Now()
	rec := store.Record{Key: key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour),
		InProgressExpiry: now.Add(time.Minute), PayloadHash: "ours", Owner: "owner-1"}
	if _, err := s.Claim(t.Context(), rec, now); err != nil {
		t.Fatal(err)
	}
	if out := powertools(t, p.Addr, "replay", event); out.Outcome != "in_progress" {
		t.Fatalf("Powertools on our in-progress record: %+v, want outcome in_progress", out)
	}

	done := rec
	done.Status, done.ContentType = store.StatusCompleted, "application/json"
	done.Response = []byte(`{"statusCode":200,"body":"café ✓ <b>&</b>","n":[1,{"x":null}]}`)
	if err := s.Complete(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	out := powertools(t, p.Addr, "replay", event)
	if out.Outcome != "replayed" || !sameJSON(t, out.Result, done.Response) {
		t.Fatalf("Powertools on our completed record: outcome %q result %s, want replayed %s",
			out.Outcome, out.Result, done.Response)
	}
	// Replaying changed nothing.
	got, err := s.Claim(t.Context(), store.Record{Key: key, Status: store.StatusInProgress,
		Expiry: now.Add(time.Hour), Owner: "owner-2"}, now)
	if !errors.Is(err, store.ErrAlreadyExists) || !bytes.Equal(got.Response, done.Response) ||
		got.Owner != "owner-1" || got.ContentType != "application/json" || got.PayloadHash != "ours" {
		t.Fatalf("after Powertools' replay: %+v, %v", got, err)
	}
}

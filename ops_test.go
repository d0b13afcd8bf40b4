package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/extension"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
	"github.com/idemproxy/idemproxy/store/memory"
)

func TestCrashReasons(t *testing.T) {
	for reason, want := range map[string]bool{
		"failure": true, "FAILURE": true, "timeout": true, "Timeout": true, "ReleaseFail": true,
		"spindown": false, "SPINDOWN": false, "SandboxTerminated": false, "": false, "fail": false,
	} {
		if got := isCrash(reason); got != want {
			t.Errorf("isCrash(%q) = %v, want %v", reason, got, want)
		}
	}
}

// A SHUTDOWN for a crash or a timeout releases the records in progress,
// unless IDEMPOTENCY_RELEASE_ON_CRASH=false; other reasons never do.
func TestReleaseOnShutdown(t *testing.T) {
	for _, tc := range []struct {
		reason  string
		release bool
		want    int // records left
	}{
		{"failure", true, 0},
		{"Timeout", true, 0},
		{"ReleaseFail", true, 0},
		{"failure", false, 2},
		{"timeout", false, 2},
		{"spindown", true, 2},
		{"SandboxTerminated", true, 2},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			mem := memory.New()
			core, err := idempotency.New(idempotency.Config{Key: idempotency.KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "id"}, ExpiresAfter: time.Hour}, mem)
			if err != nil {
				t.Fatal(err)
			}
			ic := idempotent{core: core}
			for _, ev := range []string{`{"id":1}`, `{"id":2}`, `{"id":3}`} {
				inv := &runtimeproxy.Invocation{RequestID: "r", Event: []byte(ev), Deadline: time.Now().Add(time.Minute)}
				if d := ic.Invoke(context.Background(), inv); d.Action != runtimeproxy.Forward {
					t.Fatalf("decision %+v", d)
				}
				if ev == `{"id":3}` { // settled: its record is COMPLETED
					ic.Response(context.Background(), inv, &runtimeproxy.Result{Buffered: true, Body: []byte(`"ok"`)})
				}
			}
			var logs bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			releaseOnShutdown(ctx, Config{ReleaseOnCrash: tc.release}, ic, extension.Event{EventType: extension.Shutdown, ShutdownReason: tc.reason},
				slog.New(slog.NewJSONHandler(&logs, nil)))
			if got := mem.Len() - 1; got != tc.want {
				t.Errorf("%d records in progress left, want %d; logs: %s", got, tc.want, logs.String())
			}
			if !strings.Contains(logs.String(), tc.reason) {
				t.Errorf("logs do not name the reason: %s", logs.String())
			}
		})
	}
	// A pass-through holds nothing.
	releaseOnShutdown(context.Background(), Config{ReleaseOnCrash: true}, runtimeproxy.PassThrough{},
		extension.Event{ShutdownReason: "failure"}, slog.New(slog.DiscardHandler))
}

// With IDEMPOTENCY_METRICS_NAMESPACE the core reports to an EMF writer on
// stdout; without it, nothing is written there by the metrics.
func TestCoreOptionsWireMetrics(t *testing.T) {
	var out bytes.Buffer
	reg := extension.RegisterResponse{FunctionName: "orders"}
	opts, err := coreOptions(Config{MetricsNamespace: "Shop"}, reg, &out)
	if err != nil || len(opts) != 1 {
		t.Fatalf("options %v, %v", opts, err)
	}
	core, err := idempotency.New(idempotency.Config{Key: idempotency.KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour}, memory.New(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	o := core.Begin(context.Background(), []byte(`{"id":1}`), time.Now().Add(time.Minute), "req-1")
	core.Succeeded(context.Background(), o.Claim, []byte(`1`), "")
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if line["FunctionName"] != "orders" || line["IdempotencyMisses"] != 1.0 || line["requestId"] != "req-1" {
		t.Errorf("line %s", out.Bytes())
	}
	if opts, err := coreOptions(Config{}, reg, io.Discard); opts != nil || err != nil {
		t.Errorf("metrics on without a namespace: %v %v", opts, err)
	}
}

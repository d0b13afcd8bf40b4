package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEmulatorGoHandler runs the Go test handler on the emulator without the
// extension and checks the harness: invoke, request IDs, logs, processes and
// a clean stop.
func TestEmulatorGoHandler(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	art, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := Start(ctx, Options{Artifacts: art, Handler: []string{art.GoHandler}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.Logs())
		}
	}()
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("req-%d", i)
		res, err := e.Invoke(ctx, Event{Action: ActionInfo}.JSON(), WithRequestID(id))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Count     int    `json:"count"`
			PID       int    `json:"pid"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 {
			t.Fatalf("invoke %d: status %d body %q: %v", i, res.Status, res.Body, err)
		}
		if got.Count != i || got.RequestID != id || got.PID <= 1 {
			t.Fatalf("invoke %d: got %+v", i, got)
		}
	}
	procs, err := e.Processes()
	if err != nil {
		t.Fatal(err)
	}
	if !hasProcess(procs, "gohandler") || !hasProcess(procs, "aws-lambda-rie") {
		t.Errorf("processes = %v, want the emulator and the handler", procs)
	}
	if !strings.Contains(e.Logs(), "gohandler: started pid=") {
		t.Errorf("logs do not show the handler's start")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if left, err := art.Leftovers(); err != nil || len(left) > 0 {
		t.Fatalf("leftover processes after Close: %v (%v)", left, err)
	}
	if _, err := os.Stat(e.tmp); !os.IsNotExist(err) {
		t.Errorf("temporary folder %s not removed: %v", e.tmp, err)
	}
}

func hasProcess(procs []Process, name string) bool {
	for _, p := range procs {
		if p.Name == name {
			return true
		}
	}
	return false
}

package main

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/idempotency"
)

func TestBeyondPowertoolsDefaults(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory"}))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Idempotency
	if ic.InProgress != idempotency.InProgressFail || ic.ReplayHeader != "" || !ic.SkipStatusCodes.Empty() {
		t.Errorf("defaults: in progress %s, replay header %q, skip %q", ic.InProgress, ic.ReplayHeader, ic.SkipStatusCodes)
	}
}

func TestBeyondPowertoolsVariablesAreRead(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{
		"IDEMPOTENCY_STORE":             "memory",
		"IDEMPOTENCY_IN_PROGRESS":       " Wait ",
		"IDEMPOTENCY_REPLAY_HEADER":     "X-Idempotent-Replay",
		"IDEMPOTENCY_SKIP_STATUS_CODES": "5xx, 429",
	}))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Idempotency
	if ic.InProgress != idempotency.InProgressWait || ic.ReplayHeader != "X-Idempotent-Replay" ||
		!ic.SkipStatusCodes.Contains(503) || !ic.SkipStatusCodes.Contains(429) || ic.SkipStatusCodes.Contains(404) {
		t.Errorf("config: in progress %s, replay header %q, skip %q", ic.InProgress, ic.ReplayHeader, ic.SkipStatusCodes)
	}
	c, err = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_IN_PROGRESS": "fail"}))
	if err != nil || c.Idempotency.InProgress != idempotency.InProgressFail {
		t.Errorf("fail: %v %s", err, c.Idempotency.InProgress)
	}
}

func TestBadBeyondPowertoolsVariablesFailInit(t *testing.T) {
	for name, values := range map[string][]string{
		"IDEMPOTENCY_IN_PROGRESS":       {"block", "true", "waiting"},
		"IDEMPOTENCY_REPLAY_HEADER":     {"X Replayed", "X-Replayed:", "Répété", "a,b"},
		"IDEMPOTENCY_SKIP_STATUS_CODES": {"5xx,", "6xx", "500-599", "5XX;429", "abc", "42"},
	} {
		for _, v := range values {
			_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", name: v}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v does not name the variable", name, v, err)
			}
		}
	}
	// Every bad value is reported at once.
	_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory",
		"IDEMPOTENCY_IN_PROGRESS": "x", "IDEMPOTENCY_REPLAY_HEADER": "a b", "IDEMPOTENCY_SKIP_STATUS_CODES": "x"}))
	for _, name := range []string{"IDEMPOTENCY_IN_PROGRESS", "IDEMPOTENCY_REPLAY_HEADER", "IDEMPOTENCY_SKIP_STATUS_CODES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("joined error %v does not name %s", err, name)
		}
	}
}

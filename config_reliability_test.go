package main

import (
	"strings"
	"testing"
	"time"
)

func TestClockSettings(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Idempotency.ClockSkewTolerance != 0 || c.TestClockOffset != 0 {
		t.Errorf("defaults: tolerance %s, offset %s; want 0 (Powertools' behaviour)", c.Idempotency.ClockSkewTolerance, c.TestClockOffset)
	}
	c, err = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory",
		"IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS": "2000", "IDEMPOTENCY_TEST_CLOCK_OFFSET_MS": "-1500"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Idempotency.ClockSkewTolerance != 2*time.Second || c.TestClockOffset != -1500*time.Millisecond {
		t.Errorf("tolerance %s, offset %s", c.Idempotency.ClockSkewTolerance, c.TestClockOffset)
	}
}

// TestInvalidOrContradictoryConfiguration: every problem is reported at
// once, each naming its variable.
func TestInvalidOrContradictoryConfiguration(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"IDEMPOTENCY_TABLE_NAME": "idem", "IDEMPOTENCY_REDIS_URL": "redis://127.0.0.1:6379/0"},
			[]string{"IDEMPOTENCY_TABLE_NAME", "IDEMPOTENCY_REDIS_URL", "IDEMPOTENCY_STORE"}},
		{map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS": "-1", "IDEMPOTENCY_TEST_CLOCK_OFFSET_MS": "soon"},
			[]string{"IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS", "IDEMPOTENCY_TEST_CLOCK_OFFSET_MS"}},
		{map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS": "3600001"},
			[]string{"IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS"}},
		{map[string]string{"IDEMPOTENCY_STORE": "redis"}, []string{"IDEMPOTENCY_REDIS_URL"}},
		{map[string]string{"IDEMPOTENCY_STORE": "dynamodb"}, []string{"IDEMPOTENCY_TABLE_NAME"}},
		{map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_HASH_FUNCTION": "crc32", "IDEMPOTENCY_EXPIRES_AFTER_SECONDS": "0"},
			[]string{"IDEMPOTENCY_HASH_FUNCTION", "IDEMPOTENCY_EXPIRES_AFTER_SECONDS"}},
	} {
		_, err := LoadConfig(base(tc.env))
		if err == nil {
			t.Errorf("%v: accepted", tc.env)
			continue
		}
		for _, name := range tc.want {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%v: the error does not name %s: %v", tc.env, name, err)
			}
		}
	}
	// An explicit store wins over the other store's variables.
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "redis", "IDEMPOTENCY_TABLE_NAME": "idem",
		"IDEMPOTENCY_REDIS_URL": "redis://127.0.0.1:6379/0"}))
	if err != nil || c.Store != StoreRedis {
		t.Errorf("IDEMPOTENCY_STORE=redis with both: store %q, %v", c.Store, err)
	}
}

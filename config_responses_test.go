package main

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

func TestResponseSettingsDefaults(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_TABLE_NAME": "idem"}))
	if err != nil {
		t.Fatal(err)
	}
	want := ResponseConfig{CompressAboveBytes: store.DefaultCompressAboveBytes, Streaming: StreamingPassthrough,
		StreamingMaxBytes: DefaultStreamingMaxBytes}
	if c.Responses != want || c.DynamoDB.CompressAboveBytes != store.DefaultCompressAboveBytes {
		t.Errorf("defaults %+v (DynamoDB threshold %d), want %+v", c.Responses, c.DynamoDB.CompressAboveBytes, want)
	}
}

func TestResponseSettings(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want ResponseConfig
	}{
		{map[string]string{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "1024", "IDEMPOTENCY_STREAMING": "Capture",
			"IDEMPOTENCY_STREAMING_MAX_BYTES": "1048576"}, ResponseConfig{1024, StreamingCapture, 1 << 20}},
		{map[string]string{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "OFF", "IDEMPOTENCY_STREAMING": "passthrough"},
			ResponseConfig{-1, StreamingPassthrough, DefaultStreamingMaxBytes}},
		{map[string]string{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "1", "IDEMPOTENCY_STREAMING_MAX_BYTES": "209715200"},
			ResponseConfig{1, StreamingPassthrough, 200 << 20}},
	} {
		for _, st := range []string{"redis", "dynamodb"} {
			env := map[string]string{"IDEMPOTENCY_STORE": st, "IDEMPOTENCY_TABLE_NAME": "idem", "IDEMPOTENCY_REDIS_URL": "redis://127.0.0.1:6379/0"}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadConfig(base(env))
			if err != nil {
				t.Fatalf("%v: %v", tc.env, err)
			}
			if c.Responses != tc.want {
				t.Errorf("%v: %+v, want %+v", tc.env, c.Responses, tc.want)
			}
			if c.DynamoDB.CompressAboveBytes != tc.want.CompressAboveBytes && st == "dynamodb" ||
				c.Redis.CompressAboveBytes != tc.want.CompressAboveBytes && st == "redis" {
				t.Errorf("%v: the %s store did not get the threshold", tc.env, st)
			}
		}
	}
}

func TestBadResponseSettingsNameTheirVariables(t *testing.T) {
	for _, bad := range []map[string]string{
		{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "0"},
		{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "-1"},
		{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "64k"},
		{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "209715201"},
		{"IDEMPOTENCY_STREAMING": "buffer"},
		{"IDEMPOTENCY_STREAMING_MAX_BYTES": "0"},
		{"IDEMPOTENCY_STREAMING_MAX_BYTES": "6MB"},
		{"IDEMPOTENCY_STREAMING_MAX_BYTES": "209715201"},
	} {
		env := map[string]string{"IDEMPOTENCY_STORE": "memory"}
		var name string
		for k, v := range bad {
			env[k], name = v, k
		}
		_, err := LoadConfig(base(env))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want one naming %s", bad, err, name)
		}
	}
	// All at once: every variable is named.
	_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_COMPRESS_ABOVE_BYTES": "x",
		"IDEMPOTENCY_STREAMING": "y", "IDEMPOTENCY_STREAMING_MAX_BYTES": "z"}))
	for _, name := range []string{"IDEMPOTENCY_COMPRESS_ABOVE_BYTES", "IDEMPOTENCY_STREAMING=", "IDEMPOTENCY_STREAMING_MAX_BYTES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("err = %v, want one naming %s", err, name)
		}
	}
}

package main

import (
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/store"
)

// Streaming modes (IDEMPOTENCY_STREAMING).
const (
	// StreamingPassthrough forwards streamed responses without recording
	// them: the claim is released, so a retry runs the handler again.
	StreamingPassthrough = "passthrough"
	// StreamingCapture records a copy of a streamed response (up to
	// ResponseConfig.StreamingMaxBytes) while it passes through, and replays
	// it as a stream.
	StreamingCapture = "capture"
)

// DefaultStreamingMaxBytes is the default cap on a captured stream: 6 MiB,
// Lambda's buffered response limit.
const DefaultStreamingMaxBytes = 6 << 20

// maxStreamingBytes is Lambda's limit on a streamed response: 200 MiB.
const maxStreamingBytes = 200 << 20

// ResponseConfig says how responses are stored, beyond Powertools.
type ResponseConfig struct {
	// CompressAboveBytes is IDEMPOTENCY_COMPRESS_ABOVE_BYTES: responses
	// longer than this are stored gzip-compressed when that makes them
	// smaller (default store.DefaultCompressAboveBytes); -1 ("off") never.
	CompressAboveBytes int
	// Streaming is IDEMPOTENCY_STREAMING: StreamingPassthrough (default)
	// or StreamingCapture.
	Streaming string
	// StreamingMaxBytes is IDEMPOTENCY_STREAMING_MAX_BYTES: the largest
	// stream captured (default DefaultStreamingMaxBytes); a longer one
	// passes through unrecorded.
	StreamingMaxBytes int
}

// loadResponses reads the ResponseConfig and hands the compression
// threshold to the store options.
func (c *Config) loadResponses(env func(string) string, bad func(name, value, want string)) {
	r := ResponseConfig{
		CompressAboveBytes: store.DefaultCompressAboveBytes,
		Streaming:          StreamingPassthrough,
		StreamingMaxBytes:  DefaultStreamingMaxBytes,
	}
	if v := env("IDEMPOTENCY_COMPRESS_ABOVE_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case strings.EqualFold(v, "off"):
			r.CompressAboveBytes = -1
		case err != nil || n < 1 || n > maxStreamingBytes:
			bad("IDEMPOTENCY_COMPRESS_ABOVE_BYTES", v, "want a whole number of bytes from 1 to 209715200, or off")
		default:
			r.CompressAboveBytes = n
		}
	}
	if v := env("IDEMPOTENCY_STREAMING"); v != "" {
		switch m := strings.ToLower(v); m {
		case StreamingPassthrough, StreamingCapture:
			r.Streaming = m
		default:
			bad("IDEMPOTENCY_STREAMING", v, "want passthrough or capture")
		}
	}
	if v := env("IDEMPOTENCY_STREAMING_MAX_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxStreamingBytes {
			bad("IDEMPOTENCY_STREAMING_MAX_BYTES", v, "want a whole number of bytes from 1 to 209715200")
		} else {
			r.StreamingMaxBytes = n
		}
	}
	c.Responses = r
	c.DynamoDB.CompressAboveBytes = r.CompressAboveBytes
	c.Redis.CompressAboveBytes = r.CompressAboveBytes
}

package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func compressCases() []testCase {
	return []testCase{
		{"responses around the compression threshold round-trip byte-identical", testCompressedRoundTrip},
		{"compressible response beyond the item limit is stored", testCompressibleFits},
		{"streamed marker round-trips and is replaced by a plain completion", testStreamedRoundTrip},
	}
}

// threshold is the backend's compression threshold.
func (f *fixture) threshold() int {
	if f.h.CompressAboveBytes > 0 {
		return f.h.CompressAboveBytes
	}
	return store.DefaultCompressAboveBytes
}

// jsonResponse returns a compressible JSON text of exactly n bytes (n >= 12).
func jsonResponse(n int) []byte {
	const head, tail = `{"items":"`, `"}`
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < n-len(tail); i++ {
		fmt.Fprintf(&b, "item-%d,", i%1000)
	}
	return []byte(b.String()[:n-len(tail)] + tail)
}

// compressibleBinary returns n bytes that are not UTF-8 but compress well.
func compressibleBinary(n int) []byte {
	b := make([]byte, 0, n+len(binaryResponse()))
	for i := 0; len(b) < n; i++ {
		b = append(b, binaryResponse()...)
		b = append(b, byte(i%7))
	}
	return b[:n]
}

func (f *fixture) roundTrip(response []byte, contentType string, streamed bool) {
	f.t.Helper()
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	done := completed(rec, response, contentType)
	done.Streamed = streamed
	f.complete(done)
	f.wantHeld(rec.Key, f.at(time.Minute), done)
}

func testCompressedRoundTrip(f *fixture) {
	limit := f.threshold()
	incompressible := min(2*limit, f.maxResponse())
	for _, tc := range []struct {
		name        string
		response    []byte
		contentType string
	}{
		{"json one byte below the threshold", jsonResponse(limit - 1), "application/json"},
		{"json exactly at the threshold", jsonResponse(limit), "application/json"},
		{"json one byte above the threshold", jsonResponse(limit + 1), "application/json"},
		{"binary above the threshold", compressibleBinary(2*limit + 3), "application/octet-stream"},
		{"incompressible above the threshold", randomBytes(incompressible, 7), "application/octet-stream"},
	} {
		if len(tc.response) > f.maxResponse() {
			continue
		}
		f.t.Run(tc.name, func(t *testing.T) { f.sub(t).roundTrip(tc.response, tc.contentType, false) })
	}
}

func testCompressibleFits(f *fixture) {
	if f.h.CompressibleFits == 0 {
		f.t.Skip("Harness.CompressibleFits is 0: the backend stores no more than MaxResponseBytes")
	}
	f.roundTrip(jsonResponse(f.h.CompressibleFits), "application/json", false)
}

func testStreamedRoundTrip(f *fixture) {
	prelude := append([]byte(`{"statusCode":201,"headers":{"x":"y"}}`), make([]byte, 8)...)
	for _, tc := range []struct {
		name     string
		response []byte
	}{
		{"small", append(prelude, "body"...)},
		{"large", append(prelude, jsonResponse(min(f.threshold()+100, f.maxResponse()-len(prelude)))...)},
		{"empty", nil},
	} {
		f.t.Run(tc.name, func(t *testing.T) {
			f.sub(t).roundTrip(tc.response, "application/vnd.awslambda.http-integration-response", true)
		})
	}
	// A claim after expiry replaces a streamed record entirely.
	g := f
	rec := inProgress(g.key(), "owner-a", g.now)
	g.claim(rec, g.now)
	done := completed(rec, prelude, "application/vnd.awslambda.http-integration-response")
	done.Streamed = true
	g.complete(done)
	later := g.at(2 * time.Hour)
	next := inProgress(rec.Key, "owner-b", later)
	g.claim(next, later)
	plain := completed(next, []byte(`"plain"`), "application/json")
	g.complete(plain)
	g.wantHeld(rec.Key, later.Add(time.Minute), plain)
}

package redis

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func completedRecord(response []byte, streamed bool) store.Record {
	return store.Record{
		Key: "k", Status: store.StatusCompleted, Expiry: time.Unix(1700003600, 0).UTC(),
		Response: response, ContentType: "application/json", Streamed: streamed, Owner: "o",
	}
}

// fields decodes a stored value into its raw JSON fields.
func fields(t *testing.T, value []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(value, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEncodeCompressesAboveTheThreshold(t *testing.T) {
	a := defaultAttrs()
	a.compress = store.NewCompressor(100)
	json100 := []byte(`{"d":"` + strings.Repeat("x", 92) + `"}`)
	random := make([]byte, 1000)
	_, _ = rand.NewChaCha8([32]byte{9}).Read(random)
	for _, tc := range []struct {
		name     string
		response []byte
		encoding any // nil: no encoding field
	}{
		{"exactly at the threshold: verbatim, as Powertools", json100, nil},
		{"one byte above: gzip", append([]byte(" "), json100...), "gzip"},
		{"incompressible binary: base64", random, "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			value := encodeRecord(completedRecord(tc.response, false), a)
			m := fields(t, value)
			if m[encodingField] != tc.encoding {
				t.Fatalf("%s = %v, want %v", encodingField, m[encodingField], tc.encoding)
			}
			if tc.encoding == nil && m["data"] != string(tc.response) {
				t.Errorf("data = %q, want the response verbatim", m["data"])
			}
			if tc.encoding == "gzip" {
				z, err := base64.StdEncoding.DecodeString(m["data"].(string))
				if err != nil || len(z) < 2 || z[0] != 0x1f || z[1] != 0x8b {
					t.Errorf("data is not the base64 of a gzip stream: %v", err)
				}
			}
			got, err := decodeRecord("k", value, a)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameRecord(got, completedRecord(tc.response, false)); d != "" {
				t.Errorf("round trip differs in %s", d)
			}
		})
	}
	a.compress = store.NewCompressor(-1)
	if m := fields(t, encodeRecord(completedRecord([]byte(strings.Repeat("y", 5000)), false), a)); m[encodingField] != nil {
		t.Errorf("compression off: %s = %v", encodingField, m[encodingField])
	}
}

func TestEncodeStreamedMarker(t *testing.T) {
	a := defaultAttrs()
	rec := completedRecord([]byte("{}\x00\x00\x00\x00\x00\x00\x00\x00body"), true)
	value := encodeRecord(rec, a)
	if m := fields(t, value); m[responseModeField] != "streaming" {
		t.Fatalf("%s = %v, want streaming", responseModeField, m[responseModeField])
	}
	got, err := decodeRecord("k", value, a)
	if err != nil || !got.Streamed {
		t.Fatalf("decoded Streamed = %v, err %v", got.Streamed, err)
	}
	if m := fields(t, encodeRecord(completedRecord([]byte("{}"), false), a)); m[responseModeField] != nil {
		t.Errorf("unstreamed record carries %s", responseModeField)
	}
}

func TestDecodeRejectsBadCompressedOrModeFields(t *testing.T) {
	a := defaultAttrs()
	for name, value := range map[string]string{
		"gzip that is not base64": `{"data":"!!!","status":"COMPLETED","expiration":1,"idemproxy_encoding":"gzip"}`,
		"base64 that is not gzip": `{"data":"aGVsbG8=","status":"COMPLETED","expiration":1,"idemproxy_encoding":"gzip"}`,
		"unknown response mode":   `{"data":"x","status":"COMPLETED","expiration":1,"idemproxy_response_mode":"chunky"}`,
	} {
		if _, err := decodeRecord("k", []byte(value), a); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%s: err = %v, want ErrCorruptRecord", name, err)
		}
	}
}

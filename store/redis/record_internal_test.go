package redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
)

func defaultAttrs() attrs { return Options{}.withDefaults().attrs() }

// sameRecord reports the first field where a and b differ at persisted
// precision, or "".
func sameRecord(a, b store.Record) string {
	switch {
	case a.Key != b.Key:
		return "Key"
	case a.Status != b.Status:
		return "Status"
	case store.EpochSeconds(a.Expiry) != store.EpochSeconds(b.Expiry):
		return "Expiry"
	case a.InProgressExpiry.IsZero() != b.InProgressExpiry.IsZero(),
		store.EpochMillis(a.InProgressExpiry) != store.EpochMillis(b.InProgressExpiry):
		return "InProgressExpiry"
	case a.PayloadHash != b.PayloadHash:
		return "PayloadHash"
	case !bytes.Equal(a.Response, b.Response):
		return "Response"
	case a.ContentType != b.ContentType:
		return "ContentType"
	case a.Owner != b.Owner:
		return "Owner"
	case a.Streamed != b.Streamed:
		return "Streamed"
	}
	return ""
}

func TestDecodeForeignRecords(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        store.Record
	}{
		{"Powertools Python completed",
			`{"data": "{\"a\": \"h\\u00e9\"}", "status": "COMPLETED", "expiration": 1700003600}`,
			store.Record{Status: store.StatusCompleted, Expiry: time.Unix(1700003600, 0), Response: []byte(`{"a": "h\u00e9"}`)}},
		{"Powertools Python in progress",
			`{"status": "INPROGRESS", "expiration": 1700003600, "in_progress_expiration": 1700000060123, "validation": "abc"}`,
			store.Record{Status: store.StatusInProgress, Expiry: time.Unix(1700003600, 0),
				InProgressExpiry: time.UnixMilli(1700000060123), PayloadHash: "abc"}},
		{"Powertools TypeScript native JSON data",
			`{"status":"COMPLETED","expiration":1700003600,"data":{"statusCode":200,"body":"ok"}}`,
			store.Record{Status: store.StatusCompleted, Expiry: time.Unix(1700003600, 0),
				Response: []byte(`{"statusCode":200,"body":"ok"}`)}},
		{"nulls are absent",
			`{"status":"COMPLETED","expiration":1700003600,"data":null,"validation":null,"in_progress_expiration":null}`,
			store.Record{Status: store.StatusCompleted, Expiry: time.Unix(1700003600, 0)}},
		{"fractional times are floored",
			`{"status":"INPROGRESS","expiration":1700003600.9,"in_progress_expiration":1.7000000601239e12}`,
			store.Record{Status: store.StatusInProgress, Expiry: time.Unix(1700003600, 0),
				InProgressExpiry: time.UnixMilli(1700000060123)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeRecord("k", []byte(tc.value), defaultAttrs())
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Key = "k"
			if f := sameRecord(got, tc.want); f != "" {
				t.Errorf("%s differs: got %+v, want %+v", f, got, tc.want)
			}
		})
	}
	for _, bad := range []string{
		`[]`, `"x"`, `{"status": 1}`, `{"expiration": "1700003600"}`, `{"expiration": 1e300}`,
		`{"in_progress_expiration": -62135596800000}`, `{"data": "%%%", "idemproxy_encoding": "base64"}`,
		`{"data": "x", "idemproxy_encoding": "gzip"}`, `{"data": 1, "idemproxy_encoding": "base64"}`,
		`{"idemproxy_owner": ["o"]}`,
	} {
		if _, err := decodeRecord("k", []byte(bad), defaultAttrs()); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("decode %s: err = %v, want ErrCorruptRecord", bad, err)
		}
	}
}

// TestScriptLivenessMatchesRecordLive stores raw values, including odd but
// decodable ones, and checks that the claim script's decision is exactly
// store.Record.Live of what decodeRecord makes of the value.
func TestScriptLivenessMatchesRecordLive(t *testing.T) {
	p := testservers.MustStartRedis(t)
	s := newTestStore(t, Options{URL: "redis://" + p.Addr})
	raw := goredis.NewClient(&goredis.Options{Addr: p.Addr})
	t.Cleanup(func() { raw.Close() })
	now := time.UnixMilli(time.Now().UnixMilli()).Add(400 * time.Microsecond)
	sec, ms := now.Unix(), now.UnixMilli()

	var values []string
	for _, exp := range []string{"", "null", `"x"`, "0", fmt.Sprint(sec - 1), fmt.Sprint(sec), fmt.Sprint(sec) + ".99",
		fmt.Sprint(sec-1) + ".5", fmt.Sprint(sec + 1), "-1.5"} {
		for _, ipe := range []string{"", "null", "0", "0.5", "-0.5", "-1", fmt.Sprint(ms - 1), fmt.Sprint(ms),
			fmt.Sprint(ms) + ".7", fmt.Sprint(ms-1) + ".9", fmt.Sprint(ms + 1)} {
			for _, status := range []string{`"INPROGRESS"`, `"COMPLETED"`, `"EXPIRED"`, "null", ""} {
				var fields []string
				add := func(name, v string) {
					if v != "" {
						fields = append(fields, fmt.Sprintf("%q:%s", name, v))
					}
				}
				add("status", status)
				add("expiration", exp)
				add("in_progress_expiration", ipe)
				add("idemproxy_owner", `"old"`)
				rand.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
				values = append(values, "{"+strings.Join(fields, ",")+"}")
			}
		}
	}
	checked := 0
	for i, value := range values {
		key := fmt.Sprint("parity-", i)
		if err := raw.Set(t.Context(), key, value, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		dec, derr := decodeRecord(key, []byte(value), defaultAttrs())
		got, err := s.Claim(t.Context(), inProgress(key, "new", now), now)
		switch {
		case derr != nil:
			// Not decodable here: the script must either take it over or
			// report it as corrupt, never return it as a record.
			if err != nil && !errors.Is(err, ErrCorruptRecord) {
				t.Errorf("%s: undecodable value, Claim err = %v", value, err)
			}
		case dec.Live(now):
			checked++
			if !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("%s is live at %d ms but Claim err = %v", value, ms, err)
			} else if f := sameRecord(got, dec); f != "" {
				t.Errorf("%s: returned record differs in %s", value, f)
			}
		default:
			checked++
			if err != nil {
				t.Errorf("%s is not live at %d ms but Claim err = %v", value, ms, err)
			}
		}
	}
	if checked < len(values)/2 {
		t.Errorf("only %d of %d values were decodable", checked, len(values))
	}
}

// encodingSeeds are stored values the fuzzers start from.
func encodingSeeds() [][]byte {
	now := time.Unix(1_700_000_000, 123_000_000)
	ip := inProgress("k", "owner", now)
	done := ip
	done.Status, done.Response, done.ContentType = store.StatusCompleted, []byte(`{"a":"<é>"}`), "application/json"
	bin := done
	bin.Response, bin.InProgressExpiry, bin.PayloadHash = []byte{0xff, 0, 0xc3, 0x28}, time.Time{}, ""
	return [][]byte{
		encodeRecord(ip, defaultAttrs()), encodeRecord(done, defaultAttrs()), encodeRecord(bin, defaultAttrs()),
		[]byte(`{"data": "{\"a\": 1}", "status": "COMPLETED", "expiration": 1700003600}`),
		[]byte(`{"status":"COMPLETED","expiration":1.7e9,"data":[1,{"b":null}]}`),
		[]byte(`{"status":"INPROGRESS","expiration":-1,"in_progress_expiration":0.5}`),
		[]byte(`{"data":"AAEC","idemproxy_encoding":"base64","status":"COMPLETED"}`),
		[]byte(`{"status":"INPROGRESS","expiration":`), []byte(`null`), []byte(`{"expiration":1e400}`),
	}
}

// FuzzDecodeRecord checks that decoding any value never panics and that a
// decoded record re-encodes to valid JSON that decodes to the same record.
func FuzzDecodeRecord(f *testing.F) {
	for _, seed := range encodingSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		rec, err := decodeRecord("k", value, defaultAttrs())
		if err != nil {
			if !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("error %v does not wrap ErrCorruptRecord", err)
			}
			return
		}
		if !utf8.ValidString(rec.Owner) || !utf8.ValidString(rec.PayloadHash) || !utf8.ValidString(rec.ContentType) {
			t.Fatalf("decoded invalid UTF-8 text from %q", value)
		}
		if rec.Status != store.StatusCompleted {
			rec.Response, rec.ContentType = nil, "" // only completed records carry them
		}
		enc := encodeRecord(rec, defaultAttrs())
		if !json.Valid(enc) {
			t.Fatalf("encoding of %+v is not JSON: %s", rec, enc)
		}
		again, err := decodeRecord("k", enc, defaultAttrs())
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if f := sameRecord(again, rec); f != "" {
			t.Fatalf("%s changed on re-encoding: %+v -> %s -> %+v", f, rec, enc, again)
		}
	})
}

// FuzzEncodeRoundTrip checks that every record the store accepts decodes
// back exactly from its encoding, with default and renamed fields.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add(true, int64(1_700_003_600_500), int64(1_700_000_060_123), "hash", "owner", "text/plain", []byte("ok"), false)
	f.Add(true, int64(1_700_003_600_000), int64(0), "", "o", "", []byte{0xff, 0, '"', '\\'}, true)
	f.Add(false, int64(1_700_003_600_999), int64(1), "h\u2028<>&", "ø", "", []byte(nil), false)
	f.Fuzz(func(t *testing.T, completed bool, expiryMs, ipeMs int64, hash, owner, ctype string, resp []byte, renamedAttrs bool) {
		if expiryMs <= 0 || expiryMs > maxExactNumber || ipeMs < 0 || ipeMs > maxExactNumber ||
			!utf8.ValidString(hash) || !utf8.ValidString(owner) || !utf8.ValidString(ctype) {
			return // outside what Claim and Complete accept
		}
		rec := store.Record{Key: "k", Status: store.StatusInProgress, Expiry: time.UnixMilli(expiryMs),
			PayloadHash: hash, Owner: owner}
		if ipeMs > 0 {
			rec.InProgressExpiry = time.UnixMilli(ipeMs)
		}
		if completed {
			rec.Status, rec.Response, rec.ContentType = store.StatusCompleted, resp, ctype
		}
		a := defaultAttrs()
		if renamedAttrs {
			a = attrs{expiry: "e", inProgressExpiry: "i", status: "s", data: "d", validation: "v",
				compress: store.NewCompressor(1)} // compresses all it can
		}
		enc := encodeRecord(rec, a)
		got, err := decodeRecord("k", enc, a)
		if err != nil {
			t.Fatalf("decoding %s: %v", enc, err)
		}
		if f := sameRecord(got, rec.Persisted()); f != "" {
			t.Fatalf("%s differs: %+v -> %s -> %+v", f, rec, enc, got)
		}
	})
}

package redis

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
)

// stringCases are texts on the edges of the JSON string encoder and decoder.
var stringCases = []string{
	"", "a", `"\`, "\b\f\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029", "caf\u00e9 \U0001F600", "\xff\xfe",
	"abc\xe2\x80", "\xed\xa0\x80", strings.Repeat("x", 17) + "\"" + strings.Repeat("\u00e9", 9),
}

// encodingJSON is what encoding/json writes for s without HTML escaping.
func encodingJSON(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// checkString checks appendJSONString against encoding/json, and
// unquoteJSON against json.Unmarshal on s's encoding and on s itself taken
// as a literal.
func checkString(t *testing.T, s string) {
	t.Helper()
	want := encodingJSON(t, s)
	got := appendJSONString([]byte("x"), s)
	if !bytes.Equal(got[1:], want) {
		t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got[1:], want)
	}
	for _, lit := range [][]byte{want, []byte(`"` + s + `"`)} {
		var ref string
		refErr := json.Unmarshal(lit, &ref)
		dec, ok := unquoteJSON(lit)
		if refErr != nil {
			continue // unquoteJSON only sees validated text
		}
		if !ok || string(dec) != ref {
			t.Fatalf("unquoteJSON(%s) = %q, %v; json.Unmarshal gives %q", lit, dec, ok, ref)
		}
		if utf8.Valid(lit) && cap(dec) != len(dec) {
			t.Fatalf("unquoteJSON(%s) allocated %d bytes for %d", lit, cap(dec), len(dec))
		}
	}
}

func TestJSONString(t *testing.T) {
	for _, c := range stringCases {
		checkString(t, c)
		checkString(t, "12345678"+c+"12345678")
	}
	for _, lit := range []string{`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d x"`, `"\u00E9\/\'"`, `"\ud83d\u0041"`} {
		checkString(t, lit[1:len(lit)-1])
	}
}

func FuzzJSONString(f *testing.F) {
	for _, c := range stringCases {
		f.Add(c)
	}
	f.Fuzz(checkString)
}

// TestChunksJoin checks that a response encoded chunk by chunk, with cuts
// anywhere in multi-byte characters, is the response encoded whole.
func TestChunksJoin(t *testing.T) {
	text := []byte(strings.Repeat("a\u00e9\u2028\U0001F600\"\n\u20ac", 50))
	for _, data := range [][]byte{text, append([]byte{0xff}, text...)} {
		p := recordParts{data: data, base64: !utf8.Valid(data)}
		whole := p.chunks(len(data))
		var want []byte
		for c := range whole {
			want = c.appendTo(want)
		}
		if p.base64 {
			if got := base64.StdEncoding.EncodeToString(data); string(want) != got {
				t.Fatalf("base64 whole = %s, want %s", want, got)
			}
		} else if got := appendJSONContent(nil, data); !bytes.Equal(want, got) {
			t.Fatalf("whole = %s, want %s", want, got)
		}
		for size := 6; size < 40; size += 3 {
			var got []byte
			var scratch []byte
			for c := range p.chunks(size) {
				c.scratch = &scratch
				b, err := c.MarshalBinary()
				if err != nil || len(c.src) == 0 || len(c.src) > size {
					t.Fatalf("chunk of %d bytes (size %d): %v", len(c.src), size, err)
				}
				got = append(got, b...)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("size %d: chunks join to %s, want %s", size, got, want)
			}
		}
	}
}

// TestCompleteLargeResponse stores responses of several chunks (text with
// characters across chunk boundaries, and binary) and reads them back, and
// checks the stored value is encodeRecord's.
func TestCompleteLargeResponse(t *testing.T) {
	p := testservers.MustStartRedis(t)
	s, err := New(Options{URL: "redis://" + p.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	text := []byte(`{"d":"` + strings.Repeat("x\u00e9\"\U0001F600\u2028", 3*dataChunkSize/12) + `"}`)
	bin := append(bytes.Repeat([]byte{0xff, 0, 1}, dataChunkSize), 7)
	for i, resp := range [][]byte{text, bin, text[:dataChunkSize+1], text[:dataChunkSize-1]} {
		now := time.Now()
		rec := store.Record{Key: "large-" + string(rune('a'+i)), Status: store.StatusInProgress,
			Expiry: now.Add(time.Hour), Owner: "o"}
		if _, err := s.Claim(ctx, rec, now); err != nil {
			t.Fatal(err)
		}
		rec.Status, rec.Response, rec.ContentType = store.StatusCompleted, resp, "application/json"
		if err := s.Complete(ctx, rec); err != nil {
			t.Fatal(err)
		}
		stored, err := s.client.Get(ctx, rec.Key).Bytes()
		if err != nil || !bytes.Equal(stored, encodeRecord(rec, s.attrs)) {
			t.Fatalf("record %d: stored value (%d bytes, %v) is not encodeRecord's", i, len(stored), err)
		}
		claim := rec
		claim.Status, claim.Response, claim.ContentType = store.StatusInProgress, nil, ""
		got, err := s.Claim(ctx, claim, now)
		if !bytes.Equal(got.Response, resp) {
			t.Fatalf("record %d: response read back differs (%d bytes, want %d): %v", i, len(got.Response), len(resp), err)
		}
	}
}

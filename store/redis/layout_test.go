package redis_test

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redis"
)

// rawClient returns a plain go-redis client of addr, closed when t ends.
func rawClient(t *testing.T, addr string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// field is one JSON member as stored: its name and its decoded value
// (json.Number for numbers).
type field struct {
	name  string
	value any
}

// storedFields returns the members of the JSON object stored under key, in
// order.
func storedFields(t *testing.T, c *goredis.Client, key string) []field {
	t.Helper()
	raw, err := c.Get(t.Context(), key).Bytes()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("stored value is not a JSON object: %s", raw)
	}
	var fields []field
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatalf("%v in %s", err, raw)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v in %s", err, raw)
		}
		fields = append(fields, field{name.(string), v})
	}
	return fields
}

func num(n int64) json.Number { return json.Number(fmt.Sprint(n)) }

// wantFields compares the stored members with want, name, JSON type and
// value, in order.
func wantFields(t *testing.T, what string, got, want []field) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s stored as\n\t%v\nwant\n\t%v", what, got, want)
	}
}

// wantTTL checks that key's TTL ends close to expiry: the expiry has one
// second precision and the check runs a little after the write.
func wantTTL(t *testing.T, c *goredis.Client, key string, expiry time.Time) {
	t.Helper()
	pttl, err := c.PTTL(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Until(expiry); pttl < want-2*time.Second || pttl > want+time.Second {
		t.Errorf("PTTL %s = %v, want within 2s before or 1s after %v (seconds precision and scheduling)", key, pttl, want)
	}
}

func TestStoredLayout(t *testing.T) {
	p := testservers.MustStartRedis(t)
	raw := rawClient(t, p.Addr)
	for _, tc := range []struct {
		name string
		opts redis.Options
	}{
		{"default field names", redis.Options{}},
		{"renamed fields", renamed()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, p.Addr, tc.opts)
			n := cmp.Or[string]
			status, exp := n(tc.opts.StatusAttr, "status"), n(tc.opts.ExpiryAttr, "expiration")
			ipe, data := n(tc.opts.InProgressExpiryAttr, "in_progress_expiration"), n(tc.opts.DataAttr, "data")
			val := n(tc.opts.ValidationAttr, "validation")

			now := time.Now()
			rec := store.Record{Key: "layout-" + t.Name(), Status: store.StatusInProgress,
				Expiry: now.Add(time.Hour), InProgressExpiry: now.Add(time.Minute),
				PayloadHash: "hash", Owner: "owner-1"}
			if _, err := s.Claim(t.Context(), rec, now); err != nil {
				t.Fatal(err)
			}
			wantFields(t, "claimed record", storedFields(t, raw, rec.Key), []field{
				{status, "INPROGRESS"}, {exp, num(rec.Expiry.Unix())},
				{ipe, num(rec.InProgressExpiry.UnixMilli())}, {val, "hash"}, {"idemproxy_owner", "owner-1"},
			})
			wantTTL(t, raw, rec.Key, rec.Expiry)

			done := rec
			done.Status, done.Expiry = store.StatusCompleted, now.Add(2*time.Hour)
			done.Response, done.ContentType = []byte(`{"body":"caf\u00e9 <b>&amp;</b> ✓"}`), "application/json"
			if err := s.Complete(t.Context(), done); err != nil {
				t.Fatal(err)
			}
			wantFields(t, "completed record", storedFields(t, raw, rec.Key), []field{
				{data, string(done.Response)}, {status, "COMPLETED"}, {exp, num(done.Expiry.Unix())},
				{ipe, num(rec.InProgressExpiry.UnixMilli())}, {val, "hash"}, {"idemproxy_owner", "owner-1"},
				{"idemproxy_content_type", "application/json"},
			})
			wantTTL(t, raw, rec.Key, done.Expiry)

			// Binary response, no hash, no in-progress expiry, no content type.
			bin := store.Record{Key: rec.Key + "-bin", Status: store.StatusInProgress,
				Expiry: now.Add(time.Hour), Owner: "owner-2"}
			if _, err := s.Claim(t.Context(), bin, now); err != nil {
				t.Fatal(err)
			}
			wantFields(t, "claimed record without options", storedFields(t, raw, bin.Key), []field{
				{status, "INPROGRESS"}, {exp, num(bin.Expiry.Unix())}, {"idemproxy_owner", "owner-2"},
			})
			bin.Status, bin.Response = store.StatusCompleted, []byte{0xff, 0x00, 'a', 0xc3, 0x28}
			if err := s.Complete(t.Context(), bin); err != nil {
				t.Fatal(err)
			}
			wantFields(t, "binary record", storedFields(t, raw, bin.Key), []field{
				{data, base64.StdEncoding.EncodeToString(bin.Response)}, {status, "COMPLETED"},
				{exp, num(bin.Expiry.Unix())}, {"idemproxy_owner", "owner-2"}, {"idemproxy_encoding", "base64"},
			})
		})
	}
}

// TestTTLFloor checks that a record completed after its expiry still gets a
// TTL (of at least a second) rather than vanishing at once or never.
func TestTTLFloor(t *testing.T) {
	p := testservers.MustStartRedis(t)
	raw := rawClient(t, p.Addr)
	s := open(t, p.Addr, redis.Options{})
	now := time.Now()
	rec := store.Record{Key: "ttl-floor", Status: store.StatusInProgress, Expiry: now.Add(2 * time.Second), Owner: "o"}
	if _, err := s.Claim(t.Context(), rec, now); err != nil {
		t.Fatal(err)
	}
	rec.Status, rec.Expiry = store.StatusCompleted, now.Add(-time.Hour)
	if err := s.Complete(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	pttl, err := raw.PTTL(t.Context(), rec.Key).Result()
	if err != nil || pttl <= 0 || pttl > time.Second {
		t.Fatalf("PTTL = %v, %v; want in (0, 1s]", pttl, err)
	}
	// The record is there but not live: a claim takes it over.
	next := store.Record{Key: rec.Key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour), Owner: "o2"}
	if got, err := s.Claim(t.Context(), next, now); err != nil {
		t.Fatalf("Claim over an expired record: %v (got %+v)", err, got)
	}
}

// TestRejectsNonUTF8Text checks that text fields JSON cannot hold verbatim
// are refused rather than altered.
func TestRejectsNonUTF8Text(t *testing.T) {
	p := testservers.MustStartRedis(t)
	s := open(t, p.Addr, redis.Options{})
	now := time.Now()
	rec := store.Record{Key: "utf8", Status: store.StatusInProgress, Expiry: now.Add(time.Hour),
		Owner: "o\xff", PayloadHash: "h"}
	if _, err := s.Claim(t.Context(), rec, now); !errors.Is(err, store.ErrInvalidRecord) {
		t.Fatalf("Claim with non-UTF-8 owner: err = %v, want ErrInvalidRecord", err)
	}
	rec.Owner = "o"
	if _, err := s.Claim(t.Context(), rec, now); err != nil {
		t.Fatal(err)
	}
	done := rec
	done.Status, done.ContentType = store.StatusCompleted, "text/plain; charset=\xc3\x28"
	if err := s.Complete(t.Context(), done); !errors.Is(err, store.ErrInvalidRecord) {
		t.Fatalf("Complete with non-UTF-8 content type: err = %v, want ErrInvalidRecord", err)
	}
}

package store_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// base is a fixed instant with sub-second digits: 2023-11-14T22:13:20.123456789Z.
var base = time.Unix(1_700_000_000, 123_456_789)

func TestLive(t *testing.T) {
	sec := func(s int64, ns int) time.Time { return time.Unix(s, int64(ns)) }
	ms := func(m int64, us int) time.Time { return time.UnixMilli(m).Add(time.Duration(us) * time.Microsecond) }
	const s0, m0 = 1_700_000_000, 1_700_000_000_000
	for _, tc := range []struct {
		name string
		rec  store.Record
		now  time.Time
		want bool
	}{
		{"expiry in the future", store.Record{Status: store.StatusInProgress, Expiry: sec(s0+1, 0)}, sec(s0, 0), true},
		{"expiry earlier in the same second", store.Record{Status: store.StatusCompleted, Expiry: sec(s0, 1)}, sec(s0, 999_999_999), true},
		{"expiry in the previous second", store.Record{Status: store.StatusCompleted, Expiry: sec(s0-1, 999_999_999)}, sec(s0, 0), false},
		{"zero expiry", store.Record{Status: store.StatusCompleted}, sec(s0, 0), false},
		{"in-progress expiry earlier in the same ms", store.Record{
			Status: store.StatusInProgress, Expiry: sec(s0+60, 0), InProgressExpiry: ms(m0, 1),
		}, ms(m0, 999), true},
		{"in-progress expiry in the previous ms", store.Record{
			Status: store.StatusInProgress, Expiry: sec(s0+60, 0), InProgressExpiry: ms(m0-1, 999),
		}, ms(m0, 0), false},
		{"no in-progress expiry", store.Record{Status: store.StatusInProgress, Expiry: sec(s0+60, 0)}, ms(m0+59_000, 0), true},
		{"completed ignores in-progress expiry", store.Record{
			Status: store.StatusCompleted, Expiry: sec(s0+60, 0), InProgressExpiry: ms(m0-1000, 0),
		}, ms(m0, 0), true},
		{"unknown status ignores in-progress expiry", store.Record{
			Status: "EXPIRED", Expiry: sec(s0+60, 0), InProgressExpiry: ms(m0-1000, 0),
		}, ms(m0, 0), true},
		{"expired record with future in-progress expiry", store.Record{
			Status: store.StatusInProgress, Expiry: sec(s0-1, 0), InProgressExpiry: ms(m0+1000, 0),
		}, ms(m0, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rec.Live(tc.now); got != tc.want {
				t.Errorf("Live(%s) = %v, want %v", tc.now.UTC().Format(time.RFC3339Nano), got, tc.want)
			}
		})
	}
}

func valid() store.Record {
	return store.Record{
		Key:              "k",
		Status:           store.StatusInProgress,
		Expiry:           base.Add(time.Hour),
		InProgressExpiry: base.Add(time.Minute),
		PayloadHash:      "h",
		Owner:            "o",
	}
}

func TestValidateClaim(t *testing.T) {
	if err := valid().ValidateClaim(base); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	noDeadline := valid()
	noDeadline.InProgressExpiry = time.Time{}
	if err := noDeadline.ValidateClaim(base); err != nil {
		t.Fatalf("record without in-progress expiry: %v", err)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*store.Record)
		problem string
	}{
		{"empty key", func(r *store.Record) { r.Key = "" }, "empty key"},
		{"empty owner", func(r *store.Record) { r.Owner = "" }, "empty owner"},
		{"completed", func(r *store.Record) { r.Status = store.StatusCompleted }, "status"},
		{"response", func(r *store.Record) { r.Response = []byte{0} }, "carries a response"},
		{"content type", func(r *store.Record) { r.ContentType = "a/b" }, "carries a response"},
		{"expiry in now's second", func(r *store.Record) { r.Expiry = base.Add(500 * time.Millisecond) }, "not after now"},
		{"zero expiry", func(r *store.Record) { r.Expiry = time.Time{} }, "not after now"},
		{"in-progress expiry at the epoch", func(r *store.Record) { r.InProgressExpiry = time.Unix(0, 0) }, "in-progress expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := valid()
			tc.mutate(&rec)
			wantInvalid(t, rec.ValidateClaim(base), tc.problem)
		})
	}
	t.Run("all problems reported", func(t *testing.T) {
		err := store.Record{}.ValidateClaim(base)
		for _, p := range []string{"empty key", "empty owner", "status", "not after now"} {
			wantInvalid(t, err, p)
		}
	})
}

func TestValidateComplete(t *testing.T) {
	done := valid()
	done.Status, done.Response, done.ContentType = store.StatusCompleted, []byte("r"), "text/plain"
	if err := done.ValidateComplete(); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*store.Record)
		problem string
	}{
		{"empty key", func(r *store.Record) { r.Key = "" }, "empty key"},
		{"empty owner", func(r *store.Record) { r.Owner = "" }, "empty owner"},
		{"in progress", func(r *store.Record) { r.Status = store.StatusInProgress }, "status"},
		{"zero expiry", func(r *store.Record) { r.Expiry = time.Time{} }, "expiry unset"},
		{"in-progress expiry before the epoch", func(r *store.Record) { r.InProgressExpiry = time.UnixMilli(-1) }, "in-progress expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := done
			tc.mutate(&rec)
			wantInvalid(t, rec.ValidateComplete(), tc.problem)
		})
	}
}

func wantInvalid(t *testing.T, err error, problem string) {
	t.Helper()
	if !errors.Is(err, store.ErrInvalidRecord) {
		t.Fatalf("err = %v, want an error wrapping ErrInvalidRecord", err)
	}
	if !strings.Contains(err.Error(), problem) {
		t.Errorf("err = %q, want it to mention %q", err, problem)
	}
}

func TestPersisted(t *testing.T) {
	rec := valid()
	rec.Response = []byte("r")
	got := rec.Persisted()
	if want := time.Unix(1_700_003_600, 0).UTC(); got.Expiry != want {
		t.Errorf("Expiry = %#v, want %#v", got.Expiry, want)
	}
	if want := time.UnixMilli(1_700_000_060_123).UTC(); got.InProgressExpiry != want {
		t.Errorf("InProgressExpiry = %#v, want %#v", got.InProgressExpiry, want)
	}
	if got.Key != rec.Key || got.Owner != rec.Owner || string(got.Response) != "r" {
		t.Errorf("Persisted changed other fields: %+v", got)
	}
	rec.InProgressExpiry = time.Time{}
	if got := rec.Persisted(); !got.InProgressExpiry.IsZero() {
		t.Errorf("zero InProgressExpiry became %v", got.InProgressExpiry)
	}
	// time.Now carries a monotonic reading; Persisted must drop it.
	rec.Expiry = time.Now()
	if s := rec.Persisted().Expiry.String(); strings.Contains(s, "m=") {
		t.Errorf("Persisted kept the monotonic reading: %s", s)
	}
}

func TestEpochConversions(t *testing.T) {
	if store.EpochSeconds(time.Time{}) != 0 || store.EpochMillis(time.Time{}) != 0 {
		t.Error("zero Time does not map to 0")
	}
	if !store.FromEpochSeconds(0).IsZero() || !store.FromEpochMillis(0).IsZero() {
		t.Error("0 does not map to the zero Time")
	}
	if got := store.EpochSeconds(base); got != 1_700_000_000 {
		t.Errorf("EpochSeconds = %d", got)
	}
	if got := store.EpochMillis(base); got != 1_700_000_000_123 {
		t.Errorf("EpochMillis = %d", got)
	}
	if got := store.FromEpochSeconds(1_700_000_000); !got.Equal(time.Unix(1_700_000_000, 0)) || got.Location() != time.UTC {
		t.Errorf("FromEpochSeconds = %v", got)
	}
	if got := store.FromEpochMillis(1_700_000_000_123); !got.Equal(time.UnixMilli(1_700_000_000_123)) || got.Location() != time.UTC {
		t.Errorf("FromEpochMillis = %v", got)
	}
}

// FuzzLive checks that liveness is decided at persisted precision (a record
// read back from a backend is exactly as live as the one written) and that
// time only ever ends liveness.
func FuzzLive(f *testing.F) {
	f.Add(int64(1_700_000_000_000_000_000), int64(0), int64(60_000_000_000), true, int64(0))
	f.Add(int64(1_700_000_000_900_000_000), int64(0), int64(0), false, int64(99_999_999))
	f.Add(int64(1_700_000_000_000_500_000), int64(60_000_000_000), int64(-3_600_000_000_000), true, int64(400_000))
	f.Add(int64(1_700_000_000_000_000_000), int64(-1), int64(1), true, int64(1))
	f.Fuzz(func(t *testing.T, nowNs, expiryOff, ipeOff int64, inProgress bool, step int64) {
		now := time.Unix(0, nowNs)
		rec := store.Record{Status: store.StatusCompleted, Expiry: now.Add(time.Duration(expiryOff))}
		if inProgress {
			rec.Status = store.StatusInProgress
		}
		if ipeOff != 0 {
			rec.InProgressExpiry = now.Add(time.Duration(ipeOff))
		}
		if rec.Expiry.Unix() <= 0 || (!rec.InProgressExpiry.IsZero() && rec.InProgressExpiry.UnixMilli() <= 0) {
			return // outside what validation admits
		}
		live := rec.Live(now)
		if p := rec.Persisted(); p.Live(now) != live {
			t.Fatalf("Live = %v but Persisted().Live = %v for %+v at %v", live, !live, rec, now)
		}
		step &= math.MaxInt64 // only move forward
		if later := now.Add(time.Duration(step)); !live && rec.Live(later) {
			t.Fatalf("record not live at %v but live again at %v: %+v", now, later, rec)
		}
	})
}

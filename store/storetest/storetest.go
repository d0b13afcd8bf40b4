package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// defaultMaxResponseBytes is assumed when Harness.MaxResponseBytes is 0: the
// Lambda synchronous response payload limit.
const defaultMaxResponseBytes = 6 << 20

// largeResponseCap bounds the "large" response the suite round-trips, to keep
// runs short.
const largeResponseCap = 1 << 20

// maxClients is the number of clients the concurrency cases create with
// Harness.NewClient.
const maxClients = 8

// Harness describes the store under test.
type Harness struct {
	// New returns the store under test. It is called once per subtest. The
	// stores it returns may share one backend (table, database): every
	// subtest uses its own random keys. Register any cleanup with t.Cleanup.
	New func(t *testing.T) store.Store

	// MaxResponseBytes is the largest Response the backend stores in a
	// record whose other fields are of ordinary size (key, owner and hash of
	// a few dozen bytes). A larger Response must make Complete fail with
	// store.ErrRecordTooLarge. 0 means 6 MiB (the Lambda payload limit); the
	// suite then skips the too-large case.
	MaxResponseBytes int

	// NewClient, if not nil, returns another client of the same backend
	// instance the store from New in the same subtest talks to (for example
	// a second connection pool). The concurrency cases spread their callers
	// over up to 8 such clients. If nil, they share the store from New.
	NewClient func(t *testing.T) store.Store

	// CompressAboveBytes is the response size above which the backend
	// compresses what it stores (0: store.DefaultCompressAboveBytes, or a
	// backend that does not compress). The compression cases round-trip
	// responses at and around it.
	CompressAboveBytes int

	// CompressibleFits, if not 0, is the size of a highly compressible
	// response the backend must store even though it exceeds
	// MaxResponseBytes, because it compresses it (DynamoDB: a 6 MiB JSON
	// response in a 400 KB item).
	CompressibleFits int
}

// Run runs every conformance case against h as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	if h.MaxResponseBytes < 0 {
		t.Fatalf("storetest: Harness.MaxResponseBytes = %d, want >= 0", h.MaxResponseBytes)
	}
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			c.run(&fixture{t: t, h: h, s: h.New(t), now: time.Now()})
		})
	}
}

type testCase struct {
	name string
	run  func(f *fixture)
}

func cases() []testCase {
	var all []testCase
	all = append(all, claimCases()...)
	all = append(all, completeCases()...)
	all = append(all, deleteCases()...)
	all = append(all, concurrencyCases()...)
	all = append(all, limitCases()...)
	all = append(all, compressCases()...)
	return all
}

// fixture is the state of one subtest.
type fixture struct {
	t   *testing.T
	h   Harness
	s   store.Store
	now time.Time // base time; every other time is an offset from it
}

func (f *fixture) ctx() context.Context { return f.t.Context() }

// at returns the base time plus d.
func (f *fixture) at(d time.Duration) time.Time { return f.now.Add(d) }

// key returns a fresh random key.
func (f *fixture) key() string { return "storetest-" + rand.Text() }

// maxResponse is the largest response the backend stores.
func (f *fixture) maxResponse() int {
	if f.h.MaxResponseBytes == 0 {
		return defaultMaxResponseBytes
	}
	return f.h.MaxResponseBytes
}

// inProgress returns a claimable record for key and owner, written at at:
// it expires an hour later and its claim lapses five minutes later.
func inProgress(key, owner string, at time.Time) store.Record {
	return store.Record{
		Key:              key,
		Status:           store.StatusInProgress,
		Expiry:           at.Add(time.Hour),
		InProgressExpiry: at.Add(5 * time.Minute),
		PayloadHash:      "hash-" + owner,
		Owner:            owner,
	}
}

// completed returns rec completed with response and contentType.
func completed(rec store.Record, response []byte, contentType string) store.Record {
	rec.Status = store.StatusCompleted
	rec.Response = response
	rec.ContentType = contentType
	rec.PayloadHash = "done-" + rec.PayloadHash
	return rec
}

// claim claims rec at now and fails the test unless it wins.
func (f *fixture) claim(rec store.Record, now time.Time) {
	f.t.Helper()
	got, err := f.s.Claim(f.ctx(), rec, now)
	if err != nil {
		f.t.Fatalf("Claim(%s, owner %q) at %s: %v", rec.Key, rec.Owner, stamp(now), err)
	}
	if !isZero(got) {
		f.t.Errorf("Claim(%s) succeeded but returned a non-zero record: %s", rec.Key, describe(got))
	}
}

// complete completes rec and fails the test on error.
func (f *fixture) complete(rec store.Record) {
	f.t.Helper()
	if err := f.s.Complete(f.ctx(), rec); err != nil {
		f.t.Fatalf("Complete(%s, owner %q): %v", rec.Key, rec.Owner, err)
	}
}

// wantHeld checks that key holds a record live at now equal to want, by
// attempting a claim that must fail with store.ErrAlreadyExists.
func (f *fixture) wantHeld(key string, now time.Time, want store.Record) {
	f.t.Helper()
	probe := inProgress(key, "probe-owner", now)
	got, err := f.s.Claim(f.ctx(), probe, now)
	if !errors.Is(err, store.ErrAlreadyExists) {
		f.t.Fatalf("Claim(%s) at %s: err = %v, want ErrAlreadyExists with %s",
			key, stamp(now), err, describe(want))
	}
	checkRecord(f.t, "record returned with ErrAlreadyExists", got, want)
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want an error wrapping %q", op, err, target)
	}
}

// checkRecord reports every field of got that differs from want at persisted
// precision.
func checkRecord(t *testing.T, what string, got, want store.Record) {
	t.Helper()
	var diffs []string
	add := func(field string, g, w any) {
		diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
	}
	if got.Key != want.Key {
		add("Key", got.Key, want.Key)
	}
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if g, w := store.EpochSeconds(got.Expiry), store.EpochSeconds(want.Expiry); g != w {
		add("Expiry (epoch s)", g, w)
	}
	if got.InProgressExpiry.IsZero() != want.InProgressExpiry.IsZero() ||
		store.EpochMillis(got.InProgressExpiry) != store.EpochMillis(want.InProgressExpiry) {
		add("InProgressExpiry (epoch ms, 0 = none)",
			store.EpochMillis(got.InProgressExpiry), store.EpochMillis(want.InProgressExpiry))
	}
	if got.PayloadHash != want.PayloadHash {
		add("PayloadHash", fmt.Sprintf("%q", got.PayloadHash), fmt.Sprintf("%q", want.PayloadHash))
	}
	if !bytes.Equal(got.Response, want.Response) {
		add("Response", summarize(got.Response), summarize(want.Response)+firstDiff(got.Response, want.Response))
	}
	if got.ContentType != want.ContentType {
		add("ContentType", fmt.Sprintf("%q", got.ContentType), fmt.Sprintf("%q", want.ContentType))
	}
	if got.Streamed != want.Streamed {
		add("Streamed", got.Streamed, want.Streamed)
	}
	if got.Owner != want.Owner {
		add("Owner", fmt.Sprintf("%q", got.Owner), fmt.Sprintf("%q", want.Owner))
	}
	if len(diffs) > 0 {
		t.Errorf("%s differs:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

func isZero(r store.Record) bool {
	return r.Key == "" && r.Status == "" && r.Expiry.IsZero() && r.InProgressExpiry.IsZero() &&
		r.PayloadHash == "" && len(r.Response) == 0 && r.ContentType == "" && r.Owner == "" && !r.Streamed
}

func describe(r store.Record) string {
	return fmt.Sprintf("{%s %s owner=%q expiry=%d inProgressExpiry=%d hash=%q response=%s type=%q streamed=%v}",
		r.Key, r.Status, r.Owner, store.EpochSeconds(r.Expiry), store.EpochMillis(r.InProgressExpiry),
		r.PayloadHash, summarize(r.Response), r.ContentType, r.Streamed)
}

func summarize(b []byte) string {
	if len(b) <= 32 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes starting %q", len(b), b[:16])
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf(" (first difference at byte %d)", i)
		}
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// sub returns a fixture for a nested subtest t sharing f's store and base time.
func (f *fixture) sub(t *testing.T) *fixture {
	return &fixture{t: t, h: f.h, s: f.s, now: f.now}
}

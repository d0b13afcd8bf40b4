package storetest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func completeCases() []testCase {
	return []testCase{
		{"complete by owner stores the response byte-identical", testCompleteRoundTrip},
		{"stored response is isolated from caller buffers", testCompleteIsolation},
		{"complete by non-owner fails and leaves the record unchanged", testCompleteNonOwner},
		{"complete of missing record fails", testCompleteMissing},
		{"complete of completed record fails", testCompleteTwice},
		{"complete and delete by previous owner after takeover fail", testCompleteAfterTakeover},
		{"complete rejects invalid records", testCompleteInvalid},
	}
}

// binaryResponse returns bytes holding NUL, 0xff, invalid UTF-8 (0xc3 0x28),
// a quote and a backslash.
func binaryResponse() []byte {
	return []byte{0x00, 0xff, 0xfe, 'a', 0x00, 0xc3, 0x28, '\n', '"', '\\', 0x80, 0x00}
}

// randomBytes returns n incompressible bytes, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 's', 't', 'o', 'r', 'e'})
	_, _ = r.Read(b)
	return b
}

func testCompleteRoundTrip(f *fixture) {
	large := min(f.maxResponse(), largeResponseCap)
	for _, tc := range []struct {
		name        string
		response    []byte
		contentType string
	}{
		{"json", []byte(`{"statusCode":200,"body":"ok"}`), "application/json"},
		{"empty", []byte{}, "application/json"},
		{"nil without content type", nil, ""},
		{"binary", binaryResponse(), "application/octet-stream"},
		{"large", randomBytes(large, 1), "application/octet-stream"},
	} {
		f.t.Run(tc.name, func(t *testing.T) {
			g := f.sub(t)
			rec := inProgress(g.key(), "owner-a", g.now)
			g.claim(rec, g.now)
			done := completed(rec, tc.response, tc.contentType)
			done.Expiry = g.at(2 * time.Hour)
			g.complete(done)
			g.wantHeld(rec.Key, g.at(time.Minute), done)
			// A completed record stays held after its in-progress expiry.
			g.wantHeld(rec.Key, g.at(90*time.Minute), done)
		})
	}
}

func testCompleteIsolation(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	buf := []byte("original response")
	done := completed(rec, buf, "text/plain")
	f.complete(done)
	want := done
	want.Response = []byte("original response")
	buf[0] = 'X' // the caller reuses its buffer
	got, err := f.s.Claim(f.ctx(), inProgress(rec.Key, "owner-b", f.now), f.now)
	wantErr(f.t, "Claim", err, store.ErrAlreadyExists)
	checkRecord(f.t, "record after the caller changed its buffer", got, want)
	if len(got.Response) > 0 {
		got.Response[0] = 'Y' // a reader scribbles on what it got
	}
	f.wantHeld(rec.Key, f.now, want)
}

func testCompleteNonOwner(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	intruder := completed(rec, []byte("intruder"), "text/plain")
	intruder.Owner = "owner-b"
	wantErr(f.t, "Complete by non-owner", f.s.Complete(f.ctx(), intruder), store.ErrNotOwner)
	f.wantHeld(rec.Key, f.now, rec)
	done := completed(rec, []byte("owner"), "text/plain")
	f.complete(done) // the owner's claim is still intact
	f.wantHeld(rec.Key, f.now, done)
}

func testCompleteMissing(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	err := f.s.Complete(f.ctx(), completed(rec, []byte("x"), "text/plain"))
	wantErr(f.t, "Complete of missing record", err, store.ErrNotOwner)
	f.claim(rec, f.now) // nothing was created
}

func testCompleteTwice(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	first := completed(rec, []byte("first"), "text/plain")
	f.complete(first)
	second := completed(rec, []byte("second"), "application/json")
	second.Expiry = f.at(3 * time.Hour)
	wantErr(f.t, "second Complete", f.s.Complete(f.ctx(), second), store.ErrNotOwner)
	f.wantHeld(rec.Key, f.now, first)
}

func testCompleteAfterTakeover(f *fixture) {
	old := inProgress(f.key(), "owner-a", f.now)
	old.InProgressExpiry = f.at(time.Minute)
	f.claim(old, f.now)
	later := f.at(2 * time.Minute)
	rec := inProgress(old.Key, "owner-b", later)
	f.claim(rec, later)
	err := f.s.Complete(f.ctx(), completed(old, []byte("stale"), "text/plain"))
	wantErr(f.t, "Complete by previous owner", err, store.ErrNotOwner)
	wantErr(f.t, "Delete by previous owner", f.s.Delete(f.ctx(), old.Key, old.Owner), store.ErrNotOwner)
	f.wantHeld(rec.Key, later, rec)
}

func testCompleteInvalid(f *fixture) {
	for _, tc := range []struct {
		name   string
		mutate func(*store.Record)
	}{
		{"empty owner", func(r *store.Record) { r.Owner = "" }},
		{"in-progress status", func(r *store.Record) { r.Status = store.StatusInProgress }},
		{"unknown status", func(r *store.Record) { r.Status = "EXPIRED" }},
		{"zero expiry", func(r *store.Record) { r.Expiry = time.Time{} }},
	} {
		f.t.Run(tc.name, func(t *testing.T) {
			g := f.sub(t)
			rec := inProgress(g.key(), "owner-a", g.now)
			g.claim(rec, g.now)
			done := completed(rec, []byte("x"), "text/plain")
			tc.mutate(&done)
			wantErr(t, "Complete", g.s.Complete(g.ctx(), done), store.ErrInvalidRecord)
			g.wantHeld(rec.Key, g.now, rec)
		})
	}
	f.t.Run("empty key", func(t *testing.T) {
		g := f.sub(t)
		done := completed(inProgress("", "owner-a", g.now), nil, "")
		wantErr(t, "Complete", g.s.Complete(g.ctx(), done), store.ErrInvalidRecord)
	})
}

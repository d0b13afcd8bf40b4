package storetest

import (
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func claimCases() []testCase {
	return []testCase{
		{"claim on empty key wins", testClaimEmpty},
		{"duplicate claim returns the live record intact", testClaimDuplicate},
		{"in-progress record without in-progress expiry is held until expiry", testClaimNoInProgressExpiry},
		{"takeover after expiry", testTakeoverAfterExpiry},
		{"takeover after in-progress expiry", testTakeoverAfterInProgressExpiry},
		{"no takeover of completed record after its in-progress expiry", testNoTakeoverCompleted},
		{"expiry equal to now in whole seconds is still live", testExpiryBoundary},
		{"in-progress expiry equal to now in whole ms is still live", testInProgressExpiryBoundary},
		{"claim rejects invalid records", testClaimInvalid},
	}
}

func testClaimEmpty(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	f.wantHeld(rec.Key, f.now, rec)
}

func testClaimDuplicate(f *fixture) {
	withDeadline := inProgress(f.key(), "owner-a", f.now)
	withoutDeadline := inProgress(f.key(), "owner-a", f.now)
	withoutDeadline.InProgressExpiry = time.Time{}
	withoutDeadline.PayloadHash = ""
	for _, tc := range []struct {
		name string
		rec  store.Record
	}{
		{"with in-progress expiry and hash", withDeadline},
		{"without in-progress expiry or hash", withoutDeadline},
	} {
		f.t.Run(tc.name, func(t *testing.T) {
			g := f.sub(t)
			g.claim(tc.rec, g.now)
			later := g.at(time.Second)
			got, err := g.s.Claim(g.ctx(), inProgress(tc.rec.Key, "owner-b", later), later)
			wantErr(t, "second Claim", err, store.ErrAlreadyExists)
			checkRecord(t, "record returned with ErrAlreadyExists", got, tc.rec)
			g.wantHeld(tc.rec.Key, g.at(time.Minute), tc.rec) // the loser changed nothing
		})
	}
}

func testClaimNoInProgressExpiry(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	rec.InProgressExpiry = time.Time{}
	f.claim(rec, f.now)
	f.wantHeld(rec.Key, f.at(59*time.Minute), rec)
}

func testTakeoverAfterExpiry(f *fixture) {
	for _, status := range []store.Status{store.StatusInProgress, store.StatusCompleted} {
		f.t.Run(string(status), func(t *testing.T) {
			g := f.sub(t)
			old := inProgress(g.key(), "owner-a", g.now)
			old.InProgressExpiry = time.Time{} // only the record expiry can release it
			g.claim(old, g.now)
			if status == store.StatusCompleted {
				g.complete(completed(old, []byte(`{"old":true}`), "application/json"))
			}
			later := g.at(2 * time.Hour)
			rec := inProgress(old.Key, "owner-b", later)
			g.claim(rec, later)
			g.wantHeld(rec.Key, later, rec) // replaced entirely: no old response left
		})
	}
}

func testTakeoverAfterInProgressExpiry(f *fixture) {
	old := inProgress(f.key(), "owner-a", f.now)
	old.InProgressExpiry = f.at(time.Minute)
	f.claim(old, f.now)
	later := f.at(2 * time.Minute) // old.Expiry is still an hour away
	rec := inProgress(old.Key, "owner-b", later)
	f.claim(rec, later)
	f.wantHeld(rec.Key, later, rec)
}

func testNoTakeoverCompleted(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	rec.InProgressExpiry = f.at(time.Minute)
	f.claim(rec, f.now)
	done := completed(rec, []byte("done"), "text/plain")
	f.complete(done)
	f.wantHeld(rec.Key, f.at(2*time.Minute), done)
}

func testExpiryBoundary(f *fixture) {
	sec := f.at(time.Hour).Unix()
	rec := inProgress(f.key(), "owner-a", f.now)
	rec.InProgressExpiry = time.Time{}
	rec.Expiry = time.Unix(sec, 900*int64(time.Millisecond)) // persisted as sec
	f.claim(rec, f.now)
	// Later than rec.Expiry by 99.99 ms, but the same whole second.
	f.wantHeld(rec.Key, time.Unix(sec, int64(time.Second-1)), rec)
	next := time.Unix(sec+1, 0)
	f.claim(inProgress(rec.Key, "owner-b", next), next)
}

func testInProgressExpiryBoundary(f *fixture) {
	ms := f.at(time.Minute).UnixMilli()
	rec := inProgress(f.key(), "owner-a", f.now)
	rec.InProgressExpiry = time.UnixMilli(ms).Add(500 * time.Microsecond) // persisted as ms
	f.claim(rec, f.now)
	// Later than rec.InProgressExpiry by 0.499 ms, but the same whole millisecond.
	f.wantHeld(rec.Key, time.UnixMilli(ms).Add(999*time.Microsecond), rec)
	next := time.UnixMilli(ms + 1)
	f.claim(inProgress(rec.Key, "owner-b", next), next)
}

func testClaimInvalid(f *fixture) {
	for _, tc := range []struct {
		name   string
		mutate func(*store.Record)
	}{
		{"empty owner", func(r *store.Record) { r.Owner = "" }},
		{"completed status", func(r *store.Record) { r.Status = store.StatusCompleted }},
		{"unknown status", func(r *store.Record) { r.Status = "EXPIRED" }},
		{"with response", func(r *store.Record) { r.Response = []byte("x") }},
		{"with content type", func(r *store.Record) { r.ContentType = "text/plain" }},
		{"zero expiry", func(r *store.Record) { r.Expiry = time.Time{} }},
		{"expiry in the past", func(r *store.Record) { r.Expiry = f.at(-time.Hour) }},
		{"expiry in the current second", func(r *store.Record) {
			r.Expiry = time.Unix(f.now.Unix(), int64(time.Second-1))
		}},
		{"in-progress expiry before the epoch", func(r *store.Record) { r.InProgressExpiry = time.UnixMilli(-1) }},
	} {
		f.t.Run(tc.name, func(t *testing.T) {
			g := f.sub(t)
			rec := inProgress(g.key(), "owner-a", g.now)
			tc.mutate(&rec)
			got, err := g.s.Claim(g.ctx(), rec, g.now)
			wantErr(t, "Claim", err, store.ErrInvalidRecord)
			if !isZero(got) {
				t.Errorf("Claim returned %s with ErrInvalidRecord, want the zero record", describe(got))
			}
			g.claim(inProgress(rec.Key, "owner-b", g.now), g.now) // nothing was written
		})
	}
	f.t.Run("empty key", func(t *testing.T) {
		g := f.sub(t)
		_, err := g.s.Claim(g.ctx(), inProgress("", "owner-a", g.now), g.now)
		wantErr(t, "Claim", err, store.ErrInvalidRecord)
	})
}

package storetest

import (
	"github.com/idemproxy/idemproxy/store"
)

func deleteCases() []testCase {
	return []testCase{
		{"delete by owner frees the key", testDeleteOwner},
		{"delete by non-owner fails and leaves the record intact", testDeleteNonOwner},
		{"delete of missing record fails", testDeleteMissing},
		{"delete of completed record fails", testDeleteCompleted},
		{"keys are independent", testKeysIndependent},
	}
}

func testDeleteOwner(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	if err := f.s.Delete(f.ctx(), rec.Key, rec.Owner); err != nil {
		f.t.Fatalf("Delete by owner: %v", err)
	}
	next := inProgress(rec.Key, "owner-b", f.now)
	f.claim(next, f.now) // the record is gone, not merely expired
	f.wantHeld(rec.Key, f.now, next)
}

func testDeleteNonOwner(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	wantErr(f.t, "Delete by non-owner", f.s.Delete(f.ctx(), rec.Key, "owner-b"), store.ErrNotOwner)
	wantErr(f.t, "Delete with empty owner", f.s.Delete(f.ctx(), rec.Key, ""), store.ErrNotOwner)
	f.wantHeld(rec.Key, f.now, rec)
}

func testDeleteMissing(f *fixture) {
	wantErr(f.t, "Delete of missing record", f.s.Delete(f.ctx(), f.key(), "owner-a"), store.ErrNotOwner)
}

func testDeleteCompleted(f *fixture) {
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	done := completed(rec, []byte("done"), "text/plain")
	f.complete(done)
	wantErr(f.t, "Delete of completed record", f.s.Delete(f.ctx(), rec.Key, rec.Owner), store.ErrNotOwner)
	f.wantHeld(rec.Key, f.now, done)
}

func testKeysIndependent(f *fixture) {
	// The same owner on both keys: ownership is per key, not per owner.
	a := inProgress(f.key(), "owner-a", f.now)
	b := inProgress(f.key(), "owner-a", f.now)
	f.claim(a, f.now)
	f.claim(b, f.now)
	doneA := completed(a, []byte("a"), "text/plain")
	f.complete(doneA)
	f.wantHeld(b.Key, f.now, b)
	if err := f.s.Delete(f.ctx(), b.Key, b.Owner); err != nil {
		f.t.Fatalf("Delete(b): %v", err)
	}
	f.wantHeld(a.Key, f.now, doneA)
	f.claim(inProgress(b.Key, "owner-c", f.now), f.now)
}

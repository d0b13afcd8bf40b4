package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

func limitCases() []testCase {
	return []testCase{
		{"cancelled context fails every method and changes nothing", testCancelled},
		{"response larger than MaxResponseBytes is rejected", testTooLarge},
	}
}

func testCancelled(f *fixture) {
	ctx, cancel := context.WithCancel(f.ctx())
	cancel()
	wantCanceled := func(t *testing.T, op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s with cancelled context: err = %v, want an error wrapping context.Canceled", op, err)
		}
		for _, sentinel := range []error{store.ErrAlreadyExists, store.ErrNotOwner, store.ErrRecordTooLarge} {
			if errors.Is(err, sentinel) {
				t.Fatalf("%s with cancelled context: err = %v also wraps %q", op, err, sentinel)
			}
		}
	}

	rec := inProgress(f.key(), "owner-a", f.now)
	_, err := f.s.Claim(ctx, rec, f.now)
	wantCanceled(f.t, "Claim of free key", err)
	f.claim(rec, f.now) // nothing was written

	_, err = f.s.Claim(ctx, inProgress(rec.Key, "owner-b", f.now), f.now)
	wantCanceled(f.t, "Claim of held key", err)
	err = f.s.Complete(ctx, completed(rec, []byte("x"), "text/plain"))
	wantCanceled(f.t, "Complete by owner", err)
	err = f.s.Delete(ctx, rec.Key, rec.Owner)
	wantCanceled(f.t, "Delete by owner", err)
	f.wantHeld(rec.Key, f.now, rec)

	// The owner can still finish normally.
	done := completed(rec, []byte("x"), "text/plain")
	f.complete(done)
	f.wantHeld(rec.Key, f.now, done)
}

func testTooLarge(f *fixture) {
	limit := f.h.MaxResponseBytes
	if limit == 0 {
		f.t.Skip("Harness.MaxResponseBytes is 0: the backend stores responses up to 6 MiB, no limit to exceed")
	}
	rec := inProgress(f.key(), "owner-a", f.now)
	f.claim(rec, f.now)
	big := completed(rec, randomBytes(limit+1, 2), "application/octet-stream")
	err := f.s.Complete(f.ctx(), big)
	wantErr(f.t, fmt.Sprintf("Complete with %d-byte response", limit+1), err, store.ErrRecordTooLarge)
	f.wantHeld(rec.Key, f.now, rec)
	if err := f.s.Delete(f.ctx(), rec.Key, rec.Owner); err != nil {
		f.t.Fatalf("Delete by owner after ErrRecordTooLarge: %v", err)
	}

	// A response of exactly the limit fits.
	next := inProgress(rec.Key, "owner-b", f.at(time.Second))
	f.claim(next, f.at(time.Second))
	fits := completed(next, randomBytes(limit, 3), "application/octet-stream")
	f.complete(fits)
	f.wantHeld(rec.Key, f.at(time.Minute), fits)
}

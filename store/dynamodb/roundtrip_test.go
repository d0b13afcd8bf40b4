package dynamodb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// claimRecord returns a claimable record for a fresh key, written at now.
func claimRecord(owner string, now time.Time) store.Record {
	return store.Record{
		Key:              "test#" + rand.Text(),
		Status:           store.StatusInProgress,
		Expiry:           now.Add(time.Hour),
		InProgressExpiry: now.Add(time.Minute),
		PayloadHash:      "hash",
		Owner:            owner,
	}
}

func completedRecord(rec store.Record, response string) store.Record {
	rec.Status = store.StatusCompleted
	rec.Response = []byte(response)
	rec.ContentType = "application/json"
	return rec
}

// TestRoundTrips counts the HTTP requests of each store flow: a fresh
// claim and complete, a replay, a duplicate of an in-progress claim, and a
// claim released after a handler error. A duplicate costs one request
// where the server returns the old item (moto) and two where it does not
// (dynalite).
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	for _, srv := range []*server{dynalite, moto} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			opts := srv.newTable(t, DefaultOptions("", "roundtrip-fn"))
			counter := &requestCounter{}
			s := newStore(t, srv.endpoint(t), opts, counter)
			if n := counter.n.Load(); n != 0 {
				t.Fatalf("NewClient and New sent %d requests, want 0", n)
			}
			duplicate := int64(2)
			if srv.allOld {
				duplicate = 1
			}
			requests := func(what string, want int64, f func()) {
				t.Helper()
				before := counter.n.Load()
				f()
				if got := counter.n.Load() - before; got != want {
					t.Errorf("%s: %d requests, want %d", what, got, want)
				}
			}
			now := time.Now()
			rec := claimRecord("owner-a", now)
			done := completedRecord(rec, `{"ok":true}`)
			requests("fresh claim + complete", 2, func() {
				if _, err := s.Claim(t.Context(), rec, now); err != nil {
					t.Fatalf("Claim: %v", err)
				}
				if err := s.Complete(t.Context(), done); err != nil {
					t.Fatalf("Complete: %v", err)
				}
			})
			requests("replay of a completed record", duplicate, func() {
				got, err := s.Claim(t.Context(), withKey(claimRecord("owner-b", now), rec.Key), now)
				if !errors.Is(err, store.ErrAlreadyExists) {
					t.Fatalf("replay Claim: err = %v, want ErrAlreadyExists", err)
				}
				if got.Status != store.StatusCompleted || string(got.Response) != `{"ok":true}` || got.Owner != "owner-a" {
					t.Errorf("replay Claim returned %+v, want owner-a's completed record", got)
				}
			})
			held := claimRecord("owner-c", now)
			if _, err := s.Claim(t.Context(), held, now); err != nil {
				t.Fatalf("Claim: %v", err)
			}
			requests("duplicate of an in-progress claim", duplicate, func() {
				got, err := s.Claim(t.Context(), withKey(claimRecord("owner-d", now), held.Key), now)
				if !errors.Is(err, store.ErrAlreadyExists) || got.Owner != "owner-c" {
					t.Fatalf("duplicate Claim = %+v, %v; want owner-c's record and ErrAlreadyExists", got, err)
				}
			})
			requests("claim + delete after a handler error", 2, func() {
				r := claimRecord("owner-e", now)
				if _, err := s.Claim(t.Context(), r, now); err != nil {
					t.Fatalf("Claim: %v", err)
				}
				if err := s.Delete(t.Context(), r.Key, r.Owner); err != nil {
					t.Fatalf("Delete: %v", err)
				}
			})
		})
	}
}

func withKey(r store.Record, key string) store.Record {
	r.Key = key
	return r
}

// wantNoSentinel fails the test if err wraps one of the store's sentinels.
func wantNoSentinel(t *testing.T, what string, err error) {
	t.Helper()
	for _, sentinel := range []error{store.ErrAlreadyExists, store.ErrNotOwner, store.ErrRecordTooLarge, store.ErrInvalidRecord} {
		if errors.Is(err, sentinel) {
			t.Errorf("%s: err = %v wraps %q", what, err, sentinel)
		}
	}
}

// TestClientRetriesBriefly checks NewClient's settings against an endpoint
// that refuses connections: building the client sends nothing, and a call
// is tried 3 times within the short backoff budget, then fails with an
// error that is no store sentinel.
func TestClientRetriesBriefly(t *testing.T) {
	t.Parallel()
	// Port 1 (tcpmux), where nothing listens, refuses connections. A
	// port freed by closing a listener could be taken by a listener of a
	// test running beside this one.
	counter := &requestCounter{}
	s := newStore(t, "http://127.0.0.1:1", DefaultOptions("table", "fn"), counter)
	if n := counter.n.Load(); n != 0 {
		t.Fatalf("NewClient and New sent %d requests, want 0", n)
	}
	now := time.Now()
	start := time.Now()
	_, err := s.Claim(t.Context(), claimRecord("owner", now), now)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Claim against a closed port succeeded")
	}
	wantNoSentinel(t, "Claim against a closed port", err)
	if n := counter.n.Load(); n != maxAttempts {
		t.Errorf("Claim sent %d requests, want %d (one call, two retries)", n, maxAttempts)
	}
	if budget := 2 * time.Second; elapsed > budget {
		t.Errorf("Claim took %v to fail, want well under %v (backoff at most %v)", elapsed, budget, maxBackoff)
	}
}

// TestContextEndsCallInFlight checks that a call to a server that never
// answers ends with the context and reports its cause.
func TestContextEndsCallInFlight(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // read nothing, answer nothing
		}
	})
	s := newStore(t, "http://"+ln.Addr().String(), DefaultOptions("table", "fn"), nil)
	now := time.Now()
	rec := claimRecord("owner", now)
	calls := map[string]func(context.Context) error{
		"Claim": func(ctx context.Context) error { _, err := s.Claim(ctx, rec, now); return err },
		"Complete": func(ctx context.Context) error {
			return s.Complete(ctx, completedRecord(rec, "{}"))
		},
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, rec.Key, rec.Owner) },
	}
	for name, call := range calls {
		for _, want := range []error{context.DeadlineExceeded, context.Canceled} {
			t.Run(fmt.Sprintf("%s/%v", name, want), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
				if want == context.Canceled {
					// No deadline here: on a loaded machine the timer that
					// cancels can fire after a deadline would have.
					cancel()
					ctx, cancel = context.WithCancel(t.Context())
					time.AfterFunc(50*time.Millisecond, cancel)
				}
				defer cancel()
				err := call(ctx)
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want an error wrapping %v", err, want)
				}
				wantNoSentinel(t, name, err)
			})
		}
	}
}

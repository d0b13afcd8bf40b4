package dynamodb

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// interleaving is an API on a real server that runs beforeGet just before
// and afterGet just after each GetItem (when set), to force what a
// concurrent client could do around a failed claim's fallback read, and
// counts the calls.
type interleaving struct {
	API
	beforeGet, afterGet func(ctx context.Context)
	puts, gets          atomic.Int32
}

func (a *interleaving) PutItem(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
	a.puts.Add(1)
	return a.API.PutItem(ctx, in, o...)
}

func (a *interleaving) GetItem(ctx context.Context, in *ddb.GetItemInput, o ...func(*ddb.Options)) (*ddb.GetItemOutput, error) {
	a.gets.Add(1)
	a.beforeGet(ctx)
	out, err := a.API.GetItem(ctx, in, o...)
	if a.afterGet != nil {
		a.afterGet(ctx)
	}
	return out, err
}

// TestClaimWhenBlockingRecordVanishes covers the fallback read finding
// nothing on dynalite (which sends no ALL_OLD item): the record that failed
// the claim was deleted in between. Claim tries once more and wins if the
// key is now free; if the same happens again it gives up with an error
// that is none of the store sentinels.
func TestClaimWhenBlockingRecordVanishes(t *testing.T) {
	t.Parallel()
	endpoint := dynalite.endpoint(t)
	opts := dynalite.newTable(t, DefaultOptions("", "vanish-fn"))
	other := newStore(t, endpoint, opts, nil) // the concurrent client
	now := time.Now()

	t.Run("retry wins", func(t *testing.T) {
		held := claimRecord("owner-a", now)
		if _, err := other.Claim(t.Context(), held, now); err != nil {
			t.Fatal(err)
		}
		api := &interleaving{API: sdkClient(t, endpoint, nil), beforeGet: func(ctx context.Context) {
			if err := other.Delete(ctx, held.Key, held.Owner); err != nil {
				t.Errorf("Delete: %v", err)
			}
		}}
		s, err := New(api, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(t.Context(), withKey(claimRecord("owner-b", now), held.Key), now); err != nil {
			t.Fatalf("Claim after the blocking record vanished: %v", err)
		}
		if p, g := api.puts.Load(), api.gets.Load(); p != 2 || g != 1 {
			t.Errorf("Claim made %d puts and %d gets, want 2 and 1", p, g)
		}
	})

	t.Run("gives up after two vanishings", func(t *testing.T) {
		held := claimRecord("owner-a", now)
		if _, err := other.Claim(t.Context(), held, now); err != nil {
			t.Fatal(err)
		}
		api := &interleaving{
			API: sdkClient(t, endpoint, nil),
			beforeGet: func(ctx context.Context) {
				if err := other.Delete(ctx, held.Key, held.Owner); err != nil {
					t.Errorf("Delete: %v", err)
				}
			},
			afterGet: func(ctx context.Context) { // back before the retry
				if _, err := other.Claim(ctx, held, now); err != nil {
					t.Errorf("Claim: %v", err)
				}
			},
		}
		s, err := New(api, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Claim(t.Context(), withKey(claimRecord("owner-b", now), held.Key), now)
		if err == nil {
			t.Fatal("Claim won against a record that was always back")
		}
		wantNoSentinel(t, "Claim", err)
		if p, g := api.puts.Load(), api.gets.Load(); p != 2 || g != 2 {
			t.Errorf("Claim made %d puts and %d gets, want 2 and 2", p, g)
		}
	})
}

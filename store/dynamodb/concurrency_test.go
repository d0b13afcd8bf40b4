package dynamodb

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// contenders is the number of store clients racing for one key.
const contenders = 64

// TestConcurrentClaimsAcrossClients races 64 claims of one key, each from
// its own Store on its own SDK client (own HTTP client and connections), as 64 execution
// environments would: exactly one wins and every other one gets
// ErrAlreadyExists with the winner's record.
func TestConcurrentClaimsAcrossClients(t *testing.T) {
	t.Parallel()
	for _, srv := range []*server{dynalite, moto} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			opts := srv.newTable(t, sortKeyOptions())
			endpoint := srv.endpoint(t)
			base := sdkClient(t, endpoint, nil)
			stores := make([]*Store, contenders)
			for i := range stores {
				s, err := New(cloneClient(t, base), opts)
				if err != nil {
					t.Fatal(err)
				}
				stores[i] = s
			}
			now := time.Now()
			key := claimRecord("", now).Key
			recs := make([]store.Record, contenders)
			for i := range recs {
				recs[i] = withKey(claimRecord(fmt.Sprintf("owner-%02d", i), now), key)
			}
			type result struct {
				got store.Record
				err error
			}
			results := make([]result, contenders)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range stores {
				wg.Go(func() {
					<-start
					got, err := stores[i].Claim(t.Context(), recs[i], now)
					results[i] = result{got, err}
				})
			}
			close(start)
			wg.Wait()

			winner := -1
			for i, r := range results {
				switch {
				case r.err == nil:
					if winner >= 0 {
						t.Errorf("both %s and %s won", recs[winner].Owner, recs[i].Owner)
					}
					winner = i
				case !errors.Is(r.err, store.ErrAlreadyExists):
					t.Errorf("%s: err = %v, want nil or ErrAlreadyExists", recs[i].Owner, r.err)
				}
			}
			if winner < 0 {
				t.Fatalf("none of %d claims won", contenders)
			}
			want := recs[winner].Persisted()
			for i, r := range results {
				if r.err != nil && !sameRecord(r.got, want) {
					t.Errorf("%s lost but got %+v, want the winner's %+v", recs[i].Owner, r.got, want)
				}
			}
		})
	}
}

// sameRecord compares records at persisted precision.
func sameRecord(a, b store.Record) bool {
	a, b = a.Persisted(), b.Persisted()
	return a.Key == b.Key && a.Status == b.Status && a.Expiry.Equal(b.Expiry) &&
		a.InProgressExpiry.Equal(b.InProgressExpiry) && a.PayloadHash == b.PayloadHash &&
		string(a.Response) == string(b.Response) && a.ContentType == b.ContentType && a.Owner == b.Owner
}

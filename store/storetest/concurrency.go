package storetest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// racers is the number of concurrent claims of one key.
const racers = 32

// racingKeys is the number of keys on which a writer races a takeover.
const racingKeys = 16

func concurrencyCases() []testCase {
	return []testCase{
		{"concurrent claims of one key have exactly one winner", testConcurrentClaims},
		{"concurrent takeovers of an expired record have exactly one winner", testConcurrentTakeovers},
		{"complete racing a takeover: exactly one succeeds", testCompleteRacesTakeover},
		{"delete racing a takeover never removes the new owner's record", testDeleteRacesTakeover},
	}
}

// clients returns the stores concurrent callers spread over: the fixture's
// store plus, if the harness can make them, further clients of its backend.
func (f *fixture) clients() []store.Store {
	cs := []store.Store{f.s}
	for f.h.NewClient != nil && len(cs) < maxClients {
		cs = append(cs, f.h.NewClient(f.t))
	}
	return cs
}

type claimResult struct {
	got store.Record
	err error
}

// racingRecords returns racers distinguishable records for key at now.
func racingRecords(key string, now time.Time) []store.Record {
	recs := make([]store.Record, racers)
	for i := range recs {
		recs[i] = inProgress(key, fmt.Sprintf("owner-%02d", i), now)
		recs[i].InProgressExpiry = now.Add(5*time.Minute + time.Duration(i)*time.Millisecond)
	}
	return recs
}

// race claims every record at now at the same moment.
func (f *fixture) race(recs []store.Record, now time.Time) []claimResult {
	clients := f.clients()
	results := make([]claimResult, len(recs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, rec := range recs {
		c := clients[i%len(clients)]
		wg.Go(func() {
			<-start
			got, err := c.Claim(f.ctx(), rec, now)
			results[i] = claimResult{got, err}
		})
	}
	close(start)
	wg.Wait()
	return results
}

// wantOneWinner checks that exactly one claim won and that every other one
// failed with ErrAlreadyExists and the winner's record. It returns the
// winner's record.
func (f *fixture) wantOneWinner(recs []store.Record, results []claimResult) store.Record {
	f.t.Helper()
	winner := -1
	for i, r := range results {
		switch {
		case r.err == nil:
			if winner >= 0 {
				f.t.Errorf("claims by %q and %q both won", recs[winner].Owner, recs[i].Owner)
			}
			winner = i
		case !errors.Is(r.err, store.ErrAlreadyExists):
			f.t.Errorf("claim by %q: err = %v, want nil or ErrAlreadyExists", recs[i].Owner, r.err)
		}
	}
	if winner < 0 {
		f.t.Fatalf("none of %d concurrent claims won", len(recs))
	}
	for i, r := range results {
		if errors.Is(r.err, store.ErrAlreadyExists) {
			checkRecord(f.t, fmt.Sprintf("record returned to losing claim by %q", recs[i].Owner),
				r.got, recs[winner])
		}
	}
	return recs[winner]
}

func testConcurrentClaims(f *fixture) {
	recs := racingRecords(f.key(), f.now)
	won := f.wantOneWinner(recs, f.race(recs, f.now))
	f.wantHeld(won.Key, f.now, won)
}

func testConcurrentTakeovers(f *fixture) {
	old := inProgress(f.key(), "owner-old", f.now)
	old.InProgressExpiry = time.Time{}
	f.claim(old, f.now)
	later := f.at(2 * time.Hour) // past old.Expiry
	recs := racingRecords(old.Key, later)
	won := f.wantOneWinner(recs, f.race(recs, later))
	f.wantHeld(won.Key, later, won)
}

// racePairs runs write(i) and a takeover claim of takeovers[i] at later for
// every i, all released at the same moment, and returns the write errors
// and claim results.
func (f *fixture) racePairs(write func(c store.Store, i int) error, takeovers []store.Record,
	later time.Time) ([]error, []claimResult) {
	clients := f.clients()
	writeErrs := make([]error, len(takeovers))
	claims := make([]claimResult, len(takeovers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, rec := range takeovers {
		wc, cc := clients[(2*i)%len(clients)], clients[(2*i+1)%len(clients)]
		wg.Go(func() {
			<-start
			writeErrs[i] = write(wc, i)
		})
		wg.Go(func() {
			<-start
			got, err := cc.Claim(f.ctx(), rec, later)
			claims[i] = claimResult{got, err}
		})
	}
	close(start)
	wg.Wait()
	return writeErrs, claims
}

// lapsedClaims claims racingKeys fresh keys at the base time with claims that
// lapse after a minute, and returns them with takeover records for later.
func (f *fixture) lapsedClaims(later time.Time) (olds, takeovers []store.Record) {
	for range racingKeys {
		old := inProgress(f.key(), "owner-old", f.now)
		old.InProgressExpiry = f.at(time.Minute)
		f.claim(old, f.now)
		olds = append(olds, old)
		takeovers = append(takeovers, inProgress(old.Key, "owner-new", later))
	}
	return olds, takeovers
}

func testCompleteRacesTakeover(f *fixture) {
	later := f.at(2 * time.Minute)
	olds, takeovers := f.lapsedClaims(later)
	dones := make([]store.Record, len(olds))
	for i, old := range olds {
		dones[i] = completed(old, []byte("done"), "text/plain")
	}
	completeErrs, claims := f.racePairs(func(c store.Store, i int) error {
		return c.Complete(f.ctx(), dones[i])
	}, takeovers, later)
	for i := range olds {
		switch cerr, claim := completeErrs[i], claims[i]; {
		case cerr == nil && errors.Is(claim.err, store.ErrAlreadyExists):
			checkRecord(f.t, "record returned to the takeover after Complete won", claim.got, dones[i])
			f.wantHeld(olds[i].Key, later, dones[i])
		case errors.Is(cerr, store.ErrNotOwner) && claim.err == nil:
			f.wantHeld(olds[i].Key, later, takeovers[i])
		default:
			f.t.Errorf("key %d: Complete err = %v, takeover Claim err = %v; want exactly one to succeed",
				i, cerr, claim.err)
		}
	}
}

func testDeleteRacesTakeover(f *fixture) {
	later := f.at(2 * time.Minute)
	olds, takeovers := f.lapsedClaims(later)
	deleteErrs, claims := f.racePairs(func(c store.Store, i int) error {
		return c.Delete(f.ctx(), olds[i].Key, olds[i].Owner)
	}, takeovers, later)
	for i := range olds {
		if claims[i].err != nil {
			f.t.Errorf("key %d: takeover Claim err = %v, want nil (the old claim had lapsed)", i, claims[i].err)
		}
		if err := deleteErrs[i]; err != nil && !errors.Is(err, store.ErrNotOwner) {
			f.t.Errorf("key %d: Delete err = %v, want nil or ErrNotOwner", i, err)
		}
		f.wantHeld(olds[i].Key, later, takeovers[i])
	}
}

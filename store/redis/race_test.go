package redis_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redis"
)

// contenders is the number of concurrent claims of one key, each through its
// own client (its own connection).
const contenders = 64

// rounds is how many keys each race is repeated on.
const rounds = 8

// raceClaims claims key at now from every store at the same moment and
// checks that exactly one claim wins and every loser gets ErrAlreadyExists
// with the winner's record.
func raceClaims(t *testing.T, stores []*redis.Store, key string, now time.Time) {
	t.Helper()
	type result struct {
		got store.Record
		err error
	}
	results := make([]result, len(stores))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range stores {
		rec := store.Record{Key: key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour),
			InProgressExpiry: now.Add(time.Minute), Owner: fmt.Sprintf("owner-%02d", i)}
		wg.Go(func() {
			<-start
			got, err := s.Claim(t.Context(), rec, now)
			results[i] = result{got, err}
		})
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, r := range results {
		switch {
		case r.err == nil:
			if winner != "" {
				t.Errorf("key %s: owner-%02d and %s both won", key, i, winner)
			}
			winner = fmt.Sprintf("owner-%02d", i)
		case !errors.Is(r.err, store.ErrAlreadyExists):
			t.Errorf("key %s: claim %d: %v", key, i, r.err)
		}
	}
	if winner == "" {
		t.Fatalf("key %s: no claim won", key)
	}
	for i, r := range results {
		if r.err != nil && (r.got.Owner != winner || r.got.Status != store.StatusInProgress) {
			t.Errorf("key %s: loser %d got %s %q, want INPROGRESS by %s", key, i, r.got.Status, r.got.Owner, winner)
		}
	}
}

func racers(t *testing.T, addr string) []*redis.Store {
	stores := make([]*redis.Store, contenders)
	for i := range stores {
		stores[i] = open(t, addr, redis.Options{})
	}
	return stores
}

func TestConcurrentClaimsOneWinner(t *testing.T) {
	p := testservers.MustStartRedis(t)
	stores := racers(t, p.Addr)
	now := time.Now()
	for range rounds {
		raceClaims(t, stores, "race-"+rand.Text(), now)
	}
}

// TestConcurrentTakeoversOneWinner races claims over records that are no
// longer live in each way a record can lapse, including Powertools' own
// records (which no one owns). The old records are still in Redis: only the
// caller's time says they lapsed.
func TestConcurrentTakeoversOneWinner(t *testing.T) {
	p := testservers.MustStartRedis(t)
	stores := racers(t, p.Addr)
	raw := rawClient(t, p.Addr)
	now := time.Now()
	for _, tc := range []struct {
		name  string
		value string // stored JSON; %[1]d is the expiry in epoch s, %[2]d the in-progress expiry in epoch ms
		later time.Duration
		valid bool // the record was live a while before now
	}{
		{"expired completed record", `{"data":"x","status":"COMPLETED","expiration":%[1]d,"idemproxy_owner":"old"}`, 2 * time.Hour, true},
		{"expired in-progress record", `{"status":"INPROGRESS","expiration":%[1]d,"idemproxy_owner":"old"}`, 2 * time.Hour, true},
		{"lapsed in-progress claim", `{"status":"INPROGRESS","expiration":%[1]d,"in_progress_expiration":%[2]d,"idemproxy_owner":"old"}`, 0, true},
		{"expired Powertools record", `{"data":"{\"a\": 1}","status":"COMPLETED","expiration":%[1]d}`, 2 * time.Hour, true},
		{"lapsed Powertools claim", `{"status":"INPROGRESS","expiration":%[1]d,"in_progress_expiration":%[2]d}`, 0, true},
		{"orphan that is not JSON", `{"status":"INPROGRESS","expiration":%[1]d,"in_progress_expiration":`, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range rounds {
				key := "takeover-" + rand.Text()
				// Expiry an hour after now, in-progress expiry a second before now.
				value := fmt.Sprintf(tc.value, now.Add(time.Hour).Unix(), now.Add(-time.Second).UnixMilli())
				if strings.Contains(value, "%!") {
					t.Fatalf("bad format: %s", value)
				}
				if err := raw.Set(t.Context(), key, value, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				if tc.valid { // so the race below is a takeover, not a claim of garbage
					before := now.Add(-2 * time.Second)
					probe := store.Record{Key: key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour), Owner: "p"}
					if _, err := stores[0].Claim(t.Context(), probe, before); !errors.Is(err, store.ErrAlreadyExists) {
						t.Fatalf("record %s not live 2s before now: %v", value, err)
					}
				}
				raceClaims(t, stores, key, now.Add(tc.later))
			}
		})
	}
}

// TestLiveRecordWithoutInProgressExpiryIsNeverAnOrphan is the scenario of
// Powertools Python #8386 and TypeScript #5678: an in-progress record
// without in_progress_expiration (as Powertools writes without a Lambda
// context) must hold until its expiry, however many callers race for it.
func TestLiveRecordWithoutInProgressExpiryIsNeverAnOrphan(t *testing.T) {
	p := testservers.MustStartRedis(t)
	stores := racers(t, p.Addr)
	raw := rawClient(t, p.Addr)
	now := time.Now()
	key := "no-ipe-" + rand.Text()
	value := fmt.Sprintf(`{"status": "INPROGRESS", "expiration": %d}`, now.Add(time.Hour).Unix())
	if err := raw.Set(t.Context(), key, value, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, s := range stores {
		rec := store.Record{Key: key, Status: store.StatusInProgress, Expiry: now.Add(2 * time.Hour),
			Owner: fmt.Sprint("owner-", i)}
		wg.Go(func() {
			// Spread over the rest of the record's life, in the callers' time.
			at := now.Add(time.Duration(i) * time.Minute * 59 / contenders)
			if _, err := s.Claim(t.Context(), rec, at); !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("claim %d at +%v: err = %v, want ErrAlreadyExists", i, at.Sub(now), err)
			}
		})
	}
	wg.Wait()
	if got, err := raw.Get(t.Context(), key).Result(); err != nil || got != value {
		t.Fatalf("record changed: %q, %v", got, err)
	}
}

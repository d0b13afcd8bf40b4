package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

// lostReplyStore writes each claim, loses the reply, and claims again, as
// the DynamoDB client does when a connection is reset after the server
// wrote the item: the retry finds the caller's own record.
type lostReplyStore struct {
	store.Store
}

func (s lostReplyStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	if _, err := s.Store.Claim(ctx, rec, now); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return store.Record{}, err
	}
	return s.Store.Claim(ctx, rec, now)
}

func TestOwnClaimFoundByARetryProceeds(t *testing.T) {
	mem := memory.New()
	now := time.Now()
	c, err := New(Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour}, lostReplyStore{mem},
		WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Begin(context.Background(), []byte(`{"id":1}`), now.Add(time.Minute), "req-1")
	wantVerdict(t, o, Proceed, "")
	if o.Claim == nil {
		t.Fatal("no claim: the retry's own record was taken for another invocation's")
	}
	// Someone else's record is still someone else's.
	other := c.Begin(context.Background(), []byte(`{"id":1}`), now.Add(time.Minute), "req-2")
	wantVerdict(t, other, Reject, ErrorTypeAlreadyInProgress)
	c.Succeeded(context.Background(), o.Claim, []byte("done"), "text/plain")
	replay := c.Begin(context.Background(), []byte(`{"id":1}`), now.Add(time.Minute), "req-3")
	wantVerdict(t, replay, Replay, "")
	if string(replay.Response) != "done" {
		t.Fatalf("replayed %q", replay.Response)
	}
}

// stallingStore blocks every call until its context ends, and records the
// deadline it was given.
type stallingStore struct {
	deadlines chan time.Time
}

func (s stallingStore) wait(ctx context.Context) error {
	d, _ := ctx.Deadline()
	s.deadlines <- d
	<-ctx.Done()
	return ctx.Err()
}

func (s stallingStore) Claim(ctx context.Context, _ store.Record, _ time.Time) (store.Record, error) {
	return store.Record{}, s.wait(ctx)
}
func (s stallingStore) Complete(ctx context.Context, _ store.Record) error { return s.wait(ctx) }
func (s stallingStore) Delete(ctx context.Context, _, _ string) error      { return s.wait(ctx) }

func TestStoreCallsEndBeforeTheInvocationDeadline(t *testing.T) {
	st := stallingStore{deadlines: make(chan time.Time, 3)}
	c, err := New(Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour}, st)
	if err != nil {
		t.Fatal(err)
	}
	// Long enough that a loaded machine's scheduling delays stay well inside
	// the reserve (a tenth of the time left, at most 500 ms).
	const budget = 2 * time.Second
	for _, step := range []string{"claim", "complete", "delete"} {
		deadline := time.Now().Add(budget)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		start := time.Now()
		switch step {
		case "claim":
			o := c.Begin(ctx, []byte(`{"id":1}`), deadline, "req")
			wantVerdict(t, o, Reject, ErrorTypePersistence)
		case "complete":
			c.Succeeded(ctx, &Claim{rec: store.Record{Key: "k", Owner: "o"}}, []byte("x"), "")
		case "delete":
			c.Failed(ctx, &Claim{rec: store.Record{Key: "k", Owner: "o"}})
		}
		took := time.Since(start)
		cancel()
		given := <-st.deadlines
		reserve := deadline.Sub(given)
		if reserve < minAnswerReserve {
			t.Errorf("%s: the store call may run until %s before the deadline, want at least %s kept back",
				step, reserve, minAnswerReserve)
		}
		if took >= budget-reserve/2 {
			t.Errorf("%s: a stalled store held the invocation %s of its %s", step, took, budget)
		}
	}
}

func TestClockSkewTolerance(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	deadline := t0.Add(10 * time.Second)
	event := []byte(`{"id":"skew"}`)
	for _, tc := range []struct {
		name      string
		tolerance time.Duration
		at        time.Duration // the second sandbox's clock, after t0
		want      Verdict
		errType   string
	}{
		{"no tolerance, before the deadline", 0, 9 * time.Second, Reject, ErrorTypeAlreadyInProgress},
		{"no tolerance, just after the deadline", 0, 10*time.Second + time.Millisecond, Proceed, ""},
		{"2 s tolerance, 1.9 s after the deadline", 2 * time.Second, 11900 * time.Millisecond, Reject, ErrorTypeAlreadyInProgress},
		{"2 s tolerance, 2 s after the deadline", 2 * time.Second, 12 * time.Second, Reject, ErrorTypeAlreadyInProgress},
		{"2 s tolerance, 2.001 s after the deadline", 2 * time.Second, 12*time.Second + time.Millisecond, Proceed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.New()
			cfg := Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour, ClockSkewTolerance: tc.tolerance}
			a, err := New(cfg, mem, WithClock(func() time.Time { return t0 }))
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(cfg, mem, WithClock(func() time.Time { return t0.Add(tc.at) }))
			if err != nil {
				t.Fatal(err)
			}
			wantVerdict(t, a.Begin(context.Background(), event, deadline, "a"), Proceed, "")
			wantVerdict(t, b.Begin(context.Background(), event, deadline.Add(time.Minute), "b"), tc.want, tc.errType)
		})
	}
	// A completed record stays replayed for the tolerance past its expiry.
	mem := memory.New()
	cfg := Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: 10 * time.Second, ClockSkewTolerance: 2 * time.Second}
	a, _ := New(cfg, mem, WithClock(func() time.Time { return t0 }))
	o := a.Begin(context.Background(), event, deadline, "a")
	a.Succeeded(context.Background(), o.Claim, []byte("r"), "")
	for _, tc := range []struct {
		at   time.Duration
		want Verdict
	}{{11 * time.Second, Replay}, {12 * time.Second, Replay}, {13 * time.Second, Proceed}} {
		b, _ := New(cfg, mem, WithClock(func() time.Time { return t0.Add(tc.at) }))
		if got := b.Begin(context.Background(), event, t0.Add(tc.at+time.Minute), "b"); got.Verdict != tc.want {
			t.Errorf("completed record, expiry t0+10 s, tolerance 2 s, read at t0+%s: verdict %d, want %d", tc.at, got.Verdict, tc.want)
		}
	}
	if _, err := New(Config{Key: KeyConfig{KeyPrefix: "p"}, ExpiresAfter: time.Hour, ClockSkewTolerance: -time.Second}, mem); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative tolerance: %v, want ErrInvalidConfig", err)
	}
}

// TestEventBytesAreNotLoggedAtInfo: the reason an event cannot be keyed may
// quote the event (a parser's "unparsed tail"), so it is logged at DEBUG
// only; at the default level the log says that and how many bytes.
func TestEventBytesAreNotLoggedAtInfo(t *testing.T) {
	const secret = "s3cr3t-card-4111"
	keyCfg := KeyConfig{KeyPrefix: "p", EventKeyJMESPath: "powertools_json(body).id"}
	keyer, err := NewKeyer(keyCfg)
	if err != nil {
		t.Fatal(err)
	}
	events := []string{
		`{"body": "` + secret + `", "x": [1, 2`, // malformed JSON
		`{"body": "` + secret + `"}`,            // body is not JSON
		`[[[[` + secret,                         // malformed, nested
	}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelDebug} {
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: level}))
		c, err := New(Config{Key: keyCfg, ExpiresAfter: time.Hour}, memory.New(), WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			_, deriveErr := keyer.Derive([]byte(ev))
			if deriveErr == nil {
				t.Fatalf("%q: keyed", ev)
			}
			logs.Reset()
			o := c.Begin(context.Background(), []byte(ev), time.Now().Add(time.Minute), "req")
			wantVerdict(t, o, Reject, ErrorTypeKey)
			reason, _ := json.Marshal(deriveErr.Error()) // as the JSON handler writes it
			reason = reason[1 : len(reason)-1]
			switch logged := logs.Bytes(); {
			case !bytes.Contains(logged, []byte("cannot derive the idempotency key")):
				t.Errorf("level %s, %q: the rejection is not logged:\n%s", level, ev, logged)
			case level > slog.LevelDebug && (bytes.Contains(logged, []byte(secret)) || bytes.Contains(logged, reason)):
				t.Errorf("level %s, %q: the reason (which may quote the event) is logged above DEBUG:\n%s", level, ev, logged)
			case level == slog.LevelDebug && !bytes.Contains(logged, reason):
				t.Errorf("at DEBUG the reason %s is not logged:\n%s", reason, logged)
			}
		}
	}
}

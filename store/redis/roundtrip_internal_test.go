package redis

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
)

// commandLog is a go-redis hook recording every command sent and every
// connection dialled.
type commandLog struct {
	mu    sync.Mutex
	cmds  []string
	dials int
}

func (l *commandLog) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.mu.Lock()
		l.dials++
		l.mu.Unlock()
		return next(ctx, network, addr)
	}
}

func (l *commandLog) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if name := cmd.Name(); name != "hello" { // connection setup, counted by dials
			l.mu.Lock()
			l.cmds = append(l.cmds, name)
			l.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (l *commandLog) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		l.mu.Lock()
		l.cmds = append(l.cmds, "pipeline")
		l.mu.Unlock()
		return next(ctx, cmds)
	}
}

// take returns and clears what was logged.
func (l *commandLog) take() (cmds []string, dials int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cmds, dials = l.cmds, l.dials
	l.cmds, l.dials = nil, 0
	return cmds, dials
}

func newTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func inProgress(key, owner string, now time.Time) store.Record {
	return store.Record{Key: key, Status: store.StatusInProgress, Expiry: now.Add(time.Hour),
		InProgressExpiry: now.Add(time.Minute), PayloadHash: "h", Owner: owner}
}

// TestRoundTrips checks that every operation, a replay included, is one
// command (one round trip) on a warm connection, and that a server seeing a
// script for the first time costs exactly one extra EVAL.
func TestRoundTrips(t *testing.T) {
	p := testservers.MustStartRedis(t)
	s := newTestStore(t, Options{URL: "redis://" + p.Addr})
	log := &commandLog{}
	s.client.AddHook(log)
	ctx, now := t.Context(), time.Now()

	step := func(name string, want []string, op func() error) {
		t.Helper()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cmds, dials := log.take()
		if !slices.Equal(cmds, want) {
			t.Errorf("%s sent %v, want %v", name, cmds, want)
		}
		if dials > 1 {
			t.Errorf("%s dialled %d connections", name, dials)
		}
	}
	claim := func(rec store.Record) func() error {
		return func() error { _, err := s.Claim(ctx, rec, now); return err }
	}
	completed := func(rec store.Record) store.Record {
		rec.Status, rec.Response = store.StatusCompleted, []byte(`{"ok":true}`)
		return rec
	}

	// Cold: the server has no script cached yet.
	a, b := inProgress("rt-a", "owner-a", now), inProgress("rt-b", "owner-b", now)
	step("first claim", []string{"evalsha", "eval"}, claim(a))
	step("first complete", []string{"evalsha", "eval"}, func() error { return s.Complete(ctx, completed(a)) })
	step("claim", []string{"evalsha"}, claim(b))
	step("first delete", []string{"evalsha", "eval"}, func() error { return s.Delete(ctx, b.Key, b.Owner) })

	// Warm.
	c, d := inProgress("rt-c", "owner-c", now), inProgress("rt-d", "owner-d", now)
	step("claim", []string{"evalsha"}, claim(c))
	step("complete", []string{"evalsha"}, func() error { return s.Complete(ctx, completed(c)) })
	step("replay", []string{"evalsha"}, func() error {
		got, err := s.Claim(ctx, inProgress(c.Key, "other", now), now)
		if !errors.Is(err, store.ErrAlreadyExists) || string(got.Response) != `{"ok":true}` {
			return errors.Join(errors.New("not a replay"), err)
		}
		return nil
	})
	step("claim", []string{"evalsha"}, claim(d))
	step("delete", []string{"evalsha"}, func() error { return s.Delete(ctx, d.Key, d.Owner) })
	step("rejected complete", []string{"evalsha"}, func() error {
		if err := s.Complete(ctx, completed(d)); !errors.Is(err, store.ErrNotOwner) {
			return errors.Join(errors.New("want ErrNotOwner"), err)
		}
		return nil
	})
	if _, dials := log.take(); dials != 0 {
		t.Errorf("warm operations dialled %d connections", dials)
	}
}

// TestNoNetworkAtNew checks that New does not contact the server: a store for
// an address nothing listens on is created, and fails only when used.
func TestNoNetworkAtNew(t *testing.T) {
	// Port 1 (tcpmux), where nothing listens, refuses connections; a free
	// port picked now could be taken by a test running beside this one.
	s := newTestStore(t, Options{URL: "redis://127.0.0.1:1"})
	log := &commandLog{}
	s.client.AddHook(log)
	if _, dials := log.take(); dials != 0 {
		t.Fatalf("New dialled %d connections", dials)
	}
	now := time.Now()
	_, err := s.Claim(t.Context(), inProgress("k", "o", now), now)
	if err == nil || errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Claim against a closed port: err = %v, want a connection error", err)
	}
	if cmds, dials := log.take(); dials != defaultDialAttempts || len(cmds) != 1 {
		t.Errorf("Claim sent %v and dialled %d times, want 1 command and %d dial attempts",
			cmds, dials, defaultDialAttempts)
	}
}

// TestDeadlineHonoured checks that a server that never answers costs no more
// than the ctx deadline and yields an error wrapping
// context.DeadlineExceeded, with no retry.
func TestDeadlineHonoured(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns sync.WaitGroup
	accepted := make(chan net.Conn, 16)
	conns.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // read nothing, answer nothing
		}
	})
	t.Cleanup(func() {
		ln.Close()
		conns.Wait()
		close(accepted)
		for c := range accepted {
			c.Close()
		}
	})

	s := newTestStore(t, Options{URL: "redis://" + ln.Addr().String()})
	log := &commandLog{}
	s.client.AddHook(log)
	for _, op := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"claim", func(ctx context.Context) error {
			_, err := s.Claim(ctx, inProgress("k", "o", time.Now()), time.Now())
			return err
		}},
		{"complete", func(ctx context.Context) error {
			rec := inProgress("k", "o", time.Now())
			rec.Status = store.StatusCompleted
			return s.Complete(ctx, rec)
		}},
		{"delete", func(ctx context.Context) error { return s.Delete(ctx, "k", "o") }},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		start := time.Now()
		err := op.run(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want an error wrapping context.DeadlineExceeded", op.name, err)
		}
		for _, sentinel := range []error{store.ErrAlreadyExists, store.ErrNotOwner, store.ErrRecordTooLarge} {
			if errors.Is(err, sentinel) {
				t.Errorf("%s: err = %v also wraps %v", op.name, err, sentinel)
			}
		}
		if took > time.Second {
			t.Errorf("%s took %v with a 150ms deadline", op.name, took)
		}
	}
	if cmds, _ := log.take(); len(cmds) != 3 {
		t.Errorf("sent %v, want one command per operation (no retries)", cmds)
	}
}

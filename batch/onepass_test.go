package batch_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/batch"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

// barrierStore makes every Claim wait until n claims are in flight at once
// (or fail after a timeout): a sequential claimer cannot pass it.
type barrierStore struct {
	*memory.Store
	n                int32
	arrived          atomic.Int32
	once             sync.Once
	all              chan struct{}
	claims, complete atomic.Int32
}

var errSequential = errors.New("claims are not concurrent")

func (b *barrierStore) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	b.claims.Add(1)
	if b.arrived.Add(1) == b.n {
		b.once.Do(func() { close(b.all) })
	}
	select {
	case <-b.all:
	case <-time.After(2 * time.Second):
		return store.Record{}, errSequential
	}
	return b.Store.Claim(ctx, rec, now)
}

func (b *barrierStore) Complete(ctx context.Context, rec store.Record) error {
	b.complete.Add(1)
	return b.Store.Complete(ctx, rec)
}

// TestOnePass: the 10 claims of a batch of 10 are in flight together (one
// round trip of latency), and a batch costs one claim and one complete per
// record.
func TestOnePass(t *testing.T) {
	bs := &barrierStore{Store: memory.New(), n: 10, all: make(chan struct{})}
	f := newFixture(t, batch.SQS, bs)
	f.st = bs.Store
	inv, d := f.invoke(sqsEvent(queue, ids("m", 1, 10)...))
	if got := f.handed(inv, d); len(got) != 10 {
		t.Fatalf("handler got %d records (claims failed: not in one pass)", len(got))
	}
	if out := f.respond(inv, ""); out != failures() {
		t.Fatalf("answer %s", out)
	}
	if bs.claims.Load() != 10 || bs.complete.Load() != 10 {
		t.Fatalf("%d claims and %d completes for 10 records", bs.claims.Load(), bs.complete.Load())
	}
}

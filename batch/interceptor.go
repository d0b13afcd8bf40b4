package batch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// completedResponse is what a record's COMPLETED entry stores: the record
// was processed; there is no per-record result to replay.
var completedResponse = []byte("null")

// parallelism bounds the store calls of one batch in flight at once.
const parallelism = 32

// Options configure an Interceptor.
type Options struct {
	// Core claims the records; its key expression is the record key
	// (IDEMPOTENCY_RECORD_KEY_JMESPATH, applied to each record). Required.
	Core *idempotency.Core
	// Source is the event source. Required.
	Source Source
	// RaiseOnNoIdempotencyKey fails invocations whose event is not a batch
	// instead of passing them through.
	RaiseOnNoIdempotencyKey bool
	// ClockOffset shifts deadlines as the core's clock is shifted
	// (IDEMPOTENCY_TEST_CLOCK_OFFSET_MS, tests only).
	ClockOffset time.Duration
	// Logger receives diagnostics (never bodies); nil discards.
	Logger *slog.Logger
}

// Interceptor is the batch mode's runtimeproxy.Interceptor.
type Interceptor struct {
	opts Options
	log  *slog.Logger
}

var _ runtimeproxy.Interceptor = (*Interceptor)(nil)

// New returns an Interceptor.
func New(opts Options) (*Interceptor, error) {
	if opts.Core == nil {
		return nil, errors.New("batch: no idempotency core")
	}
	if _, err := ParseSource(string(opts.Source)); err != nil {
		return nil, err
	}
	ic := &Interceptor{opts: opts, log: opts.Logger}
	if ic.log == nil {
		ic.log = slog.New(slog.DiscardHandler)
	}
	return ic, nil
}

// Core returns the idempotency core (shared with the local API).
func (ic *Interceptor) Core() *idempotency.Core { return ic.opts.Core }

// record is one record of a batch in flight.
type record struct {
	id    string
	claim *idempotency.Claim // set while this invocation holds its claim
	run   bool               // handed to the handler
	fail  bool               // reported by the proxy (in progress elsewhere, invalid, store failure)
}

// state is the Invocation.State of a batch handed to the handler.
type state struct {
	records []record
	ordered bool
}

// Invoke claims every record and decides what the handler gets.
func (ic *Interceptor) Invoke(ctx context.Context, inv *runtimeproxy.Invocation) runtimeproxy.Decision {
	ev, err := parseEvent(inv.Event)
	if err != nil {
		if ic.opts.RaiseOnNoIdempotencyKey {
			return runtimeproxy.Decision{Action: runtimeproxy.Fail, ErrorType: idempotency.ErrorTypeKey,
				ErrorMessage: "IDEMPOTENCY_BATCH=" + string(ic.opts.Source) + ": the event has no Records array"}
		}
		ic.log.Warn("batch mode: the event has no Records array; passed through without idempotency",
			"requestId", inv.RequestID, "eventBytes", len(inv.Event))
		return runtimeproxy.Decision{Action: runtimeproxy.Forward}
	}
	if len(ev.records) == 0 {
		return runtimeproxy.Decision{Action: runtimeproxy.Forward}
	}
	deadline := inv.Deadline
	if !deadline.IsZero() {
		deadline = deadline.Add(ic.opts.ClockOffset)
	}
	st := &state{records: make([]record, len(ev.records)), ordered: ic.opts.Source != SQS}
	outcomes := make([]idempotency.Outcome, len(ev.records))
	forEach(len(ev.records), func(i int) {
		outcomes[i] = ic.opts.Core.Begin(ctx, ev.records[i], deadline, inv.RequestID)
	})
	var completed, inProgress, failed int
	for i, rec := range ev.records {
		r := &st.records[i]
		r.id = ic.opts.Source.identifier(rec)
		if ic.opts.Source == SQS && fifo(rec) {
			st.ordered = true
		}
		switch o := outcomes[i]; o.Verdict {
		case idempotency.Proceed:
			r.claim, r.run = o.Claim, true
		case idempotency.Replay:
			completed++
		default:
			r.fail = true
			failed++
			if o.ErrorType == idempotency.ErrorTypeAlreadyInProgress {
				inProgress++
			}
		}
	}
	from := -1
	if st.ordered {
		// Nothing runs from the first failure on: release those claims.
		if from = st.firstProxyFailure(); from >= 0 {
			ic.releaseFrom(ctx, st, from)
		}
	}
	var keep []int
	for i, r := range st.records {
		if r.run {
			keep = append(keep, i)
		}
	}
	log := ic.log.With("requestId", inv.RequestID)
	level := slog.LevelDebug
	if failed > 0 {
		level = slog.LevelInfo // records reported for a retry: worth a line
	}
	log.Log(ctx, level, "batch claimed", "records", len(ev.records), "toHandler", len(keep), "completedBefore", completed,
		"inProgressElsewhere", inProgress, "failedByProxy", failed)
	if len(keep) == 0 {
		return runtimeproxy.Decision{Action: runtimeproxy.Respond, ContentType: "application/json",
			Body: render(nil, st.failures(from, nil))}
	}
	inv.State = st
	d := runtimeproxy.Decision{Action: runtimeproxy.Forward, Observe: true}
	if len(keep) < len(ev.records) {
		d.Event = ev.with(keep)
	}
	return d
}

// firstProxyFailure returns the position of the first record the proxy
// failed, or -1.
func (st *state) firstProxyFailure() int {
	for i, r := range st.records {
		if r.fail {
			return i
		}
	}
	return -1
}

// releaseFrom releases the claims of the records at positions >= from and
// keeps them from the handler.
func (ic *Interceptor) releaseFrom(ctx context.Context, st *state, from int) {
	var claims []*idempotency.Claim
	for i := from; i < len(st.records); i++ {
		r := &st.records[i]
		if r.claim != nil {
			claims = append(claims, r.claim)
		}
		r.claim, r.run = nil, false
	}
	forEach(len(claims), func(i int) { ic.opts.Core.Failed(ctx, claims[i]) })
}

// failures lists the itemIdentifiers to report, in batch order, without
// duplicates: the records the proxy failed, those of the handler's
// identifiers it ran, every record from position from on when from >= 0,
// then the handler's identifiers that name no record of the batch, in the
// handler's order.
func (st *state) failures(from int, handler []string) []string {
	listed := make(map[string]bool, len(handler))
	for _, id := range handler {
		listed[id] = true
	}
	seen := make(map[string]bool)
	var out []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	known := make(map[string]bool, len(st.records))
	for i, r := range st.records {
		known[r.id] = true
		if r.fail || listed[r.id] && r.run || from >= 0 && i >= from {
			add(r.id)
		}
	}
	for _, id := range handler {
		if !known[id] {
			add(id)
		}
	}
	return out
}

// forEach runs f(0..n-1) concurrently, at most parallelism at a time.
func forEach(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

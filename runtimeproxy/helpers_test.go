package runtimeproxy

import (
	"context"
	"sync"
	"testing"
)

// recordingInterceptor returns a fixed decision and records what it saw.
type recordingInterceptor struct {
	decision Decision
	decide   func(inv *Invocation) Decision // overrides decision when set

	mu       sync.Mutex
	invokes  []*Invocation
	results  []*Result
	nErrors  int
	resultOf map[string]*Result
}

func (r *recordingInterceptor) Invoke(_ context.Context, inv *Invocation) Decision {
	r.mu.Lock()
	r.invokes = append(r.invokes, inv)
	r.mu.Unlock()
	if r.decide != nil {
		return r.decide(inv)
	}
	return r.decision
}

func (r *recordingInterceptor) Response(_ context.Context, inv *Invocation, res *Result) {
	r.record(inv, res, false)
}

func (r *recordingInterceptor) Error(_ context.Context, inv *Invocation, res *Result) {
	r.record(inv, res, true)
}

func (r *recordingInterceptor) record(inv *Invocation, res *Result, isErr bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
	if isErr {
		r.nErrors++
	}
	if r.resultOf == nil {
		r.resultOf = map[string]*Result{}
	}
	r.resultOf[inv.RequestID] = res
}

func (r *recordingInterceptor) errors() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nErrors
}

func (r *recordingInterceptor) lastResult() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) == 0 {
		return nil
	}
	return r.results[len(r.results)-1]
}

func (r *recordingInterceptor) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invokes, r.results, r.nErrors, r.resultOf = nil, nil, 0, nil
}

// observing forwards everything as PassThrough does, but is not
// PassThrough; startProxy keeps a proxy with it off the byte relay, so that
// it serves every request the usual way.
type observing struct{ PassThrough }

// forwarding forwards everything as PassThrough does, but is not
// PassThrough: the byte relay shows it every event and result, as it does
// an idempotency Interceptor.
type forwarding struct{ PassThrough }

// bothPaths runs test against a proxy on the byte relay (PassThrough, and
// an Interceptor that forwards everything) and one on the usual path.
func bothPaths(t *testing.T, test func(t *testing.T, ic Interceptor)) {
	t.Run("byte relay", func(t *testing.T) { test(t, nil) })
	t.Run("byte relay, intercepting", func(t *testing.T) { test(t, forwarding{}) })
	t.Run("usual path", func(t *testing.T) { test(t, observing{}) })
}

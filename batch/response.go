package batch

import (
	"context"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// Response completes the records the handler processed, releases the ones
// it reported, and merges the proxy's failures into its answer.
func (ic *Interceptor) Response(ctx context.Context, inv *runtimeproxy.Invocation, res *runtimeproxy.Result) {
	st, _ := inv.State.(*state)
	if st == nil {
		return
	}
	log := ic.log.With("requestId", inv.RequestID)
	if !res.Buffered {
		// Cannot happen for a partial batch response (Lambda refuses one
		// over 6 MB and the invocation fails): keep nothing.
		log.Error("batch mode: handler response not buffered (streamed or over the limit): every claim released")
		ic.finish(ctx, st, 0)
		return
	}
	hr, err := parseResponse(res.Body)
	if err != nil {
		// Lambda would retry the whole batch; make sure it does by
		// reporting every record, and keep none of them.
		log.Warn("batch mode: handler response is not a partial batch response: every record reported as failed",
			"responseBytes", len(res.Body))
		ic.finish(ctx, st, 0)
		res.Replace = render(nil, st.failures(0, nil))
		return
	}
	from := -1 // ordered sources: nothing is kept from here on
	if st.ordered {
		from = st.firstFailure(hr.failures)
	}
	ic.finish(ctx, st, from, hr.failures...)
	res.Replace = render(hr.fields, st.failures(from, hr.failures))
}

// firstFailure returns the batch position of the first record the proxy
// failed or the handler reported, or -1.
func (st *state) firstFailure(handler []string) int {
	listed := make(map[string]bool, len(handler))
	for _, id := range handler {
		listed[id] = true
	}
	for i, r := range st.records {
		if r.fail || r.run && listed[r.id] {
			return i
		}
	}
	return -1
}

// finish completes every claim before position from (all when from < 0)
// whose record the handler did not report, and releases the others.
func (ic *Interceptor) finish(ctx context.Context, st *state, from int, reported ...string) {
	listed := make(map[string]bool, len(reported))
	for _, id := range reported {
		listed[id] = true
	}
	type step struct {
		claim *idempotency.Claim
		keep  bool
	}
	var steps []step
	for i := range st.records {
		r := &st.records[i]
		if r.claim == nil {
			continue
		}
		keep := !listed[r.id] && (from < 0 || i < from)
		steps = append(steps, step{r.claim, keep})
		r.claim = nil
	}
	forEach(len(steps), func(i int) {
		if steps[i].keep {
			ic.opts.Core.Succeeded(ctx, steps[i].claim, completedResponse, "application/json")
		} else {
			ic.opts.Core.Failed(ctx, steps[i].claim)
		}
	})
}

// Error releases every claim: the whole batch failed and is retried.
func (ic *Interceptor) Error(ctx context.Context, inv *runtimeproxy.Invocation, _ *runtimeproxy.Result) {
	if st, _ := inv.State.(*state); st != nil {
		ic.finish(ctx, st, 0)
	}
}

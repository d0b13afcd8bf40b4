package main

import (
	"log/slog"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/localapi"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// newLocalAPI builds the local idempotency API over the core behind ic (none
// when idempotency is disabled: claims then answer SKIPPED). inFlight lists
// the proxy's invocations in flight; it is called only while serving.
func newLocalAPI(cfg Config, ic runtimeproxy.Interceptor, log *slog.Logger, inFlight func() []runtimeproxy.InFlight) (*localapi.Handler, error) {
	var core *idempotency.Core
	switch c := ic.(type) {
	case interface{ idempotencyCore() *idempotency.Core }:
		core = c.idempotencyCore()
	case interface{ Core() *idempotency.Core }:
		core = c.Core()
	}
	return localapi.New(localapi.Options{
		Core:         core,
		FunctionName: cfg.FunctionName,
		ClockOffset:  cfg.TestClockOffset,
		Logger:       log,
		InFlight: func() []localapi.Invocation {
			all := inFlight()
			out := make([]localapi.Invocation, len(all))
			for i, inv := range all {
				out[i] = localapi.Invocation{RequestID: inv.RequestID, Deadline: inv.Deadline}
			}
			return out
		},
	})
}

// idempotencyCore exposes the core to the local API.
func (i idempotent) idempotencyCore() *idempotency.Core { return i.core }

package main

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/idemproxy/idemproxy/extension"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/metrics"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// isCrash reports whether a SHUTDOWN reason says the claims still held
// belong to invocations that will never finish: Lambda's "failure" and
// "timeout", and "ReleaseFail", the emulator's spelling of a failure
// (runtime exit). Compared case-insensitively.
func isCrash(reason string) bool {
	return strings.EqualFold(reason, extension.ReasonFailure) || strings.EqualFold(reason, extension.ReasonTimeout) ||
		strings.EqualFold(reason, "releasefail")
}

// releaseOnShutdown releases the claims the core still holds when a
// SHUTDOWN reports a crash or a timeout and IDEMPOTENCY_RELEASE_ON_CRASH
// allows it, within ctx (the SHUTDOWN deadline). Otherwise the records stay
// INPROGRESS until their invocation's deadline.
func releaseOnShutdown(ctx context.Context, cfg Config, ic runtimeproxy.Interceptor, ev extension.Event, log *slog.Logger) {
	idem, ok := ic.(idempotent)
	if !ok {
		return
	}
	held := idem.core.Held()
	if held == 0 {
		return
	}
	switch {
	case !isCrash(ev.ShutdownReason):
		log.Warn("shutdown with idempotency records in progress: left to expire", "reason", ev.ShutdownReason, "held", held)
		return
	case !cfg.ReleaseOnCrash:
		log.Warn("runtime crashed or timed out: idempotency records left in progress until their deadline (IDEMPOTENCY_RELEASE_ON_CRASH=false)",
			"reason", ev.ShutdownReason, "held", held)
		return
	}
	n, err := idem.core.ReleaseHeld(ctx)
	if err != nil {
		log.Error("runtime crashed or timed out: releasing the idempotency records in progress failed; they block retries until their deadline",
			"reason", ev.ShutdownReason, "held", held, "released", n, "error", err)
		return
	}
	log.Info("runtime crashed or timed out: idempotency records in progress released, a retry runs the handler again",
		"reason", ev.ShutdownReason, "released", n)
}

// coreOptions returns the core's options for metrics: an EMF writer on
// stdout when IDEMPOTENCY_METRICS_NAMESPACE is set.
func coreOptions(cfg Config, reg extension.RegisterResponse, stdout io.Writer) ([]idempotency.Option, error) {
	if cfg.MetricsNamespace == "" {
		return nil, nil
	}
	emf, err := metrics.New(stdout, cfg.MetricsNamespace, cmp.Or(reg.FunctionName, cfg.FunctionName))
	if err != nil {
		return nil, err
	}
	return []idempotency.Option{idempotency.WithObserver(emf)}, nil
}

// syncWriter serialises the writes of the logger and the metrics, so that
// their lines never interleave.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

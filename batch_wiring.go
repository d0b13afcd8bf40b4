package main

import (
	"log/slog"

	"github.com/idemproxy/idemproxy/batch"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// interceptorFor returns the interceptor over core: per-record batch mode
// when IDEMPOTENCY_BATCH is set, otherwise per invocation.
func interceptorFor(cfg Config, core *idempotency.Core, log *slog.Logger) (runtimeproxy.Interceptor, error) {
	if cfg.Batch.Source == "" {
		return idempotent{core: core, clockOffset: cfg.TestClockOffset, streaming: cfg.Responses}, nil
	}
	log.Info("batch mode", "source", cfg.Batch.Source, "recordKeyJmespath", cfg.Batch.RecordKeyJMESPath)
	return batch.New(batch.Options{
		Core: core, Source: cfg.Batch.Source, RaiseOnNoIdempotencyKey: cfg.Idempotency.RaiseOnNoIdempotencyKey,
		ClockOffset: cfg.TestClockOffset, Logger: log,
	})
}

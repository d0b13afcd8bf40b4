package main

import (
	"log/slog"
	"strings"

	"github.com/idemproxy/idemproxy/idempotency"
)

// loadBeyondPowertools reads the settings that go beyond Powertools into
// ic: IDEMPOTENCY_IN_PROGRESS, IDEMPOTENCY_REPLAY_HEADER and
// IDEMPOTENCY_SKIP_STATUS_CODES. Each bad value is reported through bad.
func loadBeyondPowertools(env func(string) string, ic *idempotency.Config, bad func(name, value, want string)) {
	if v := env("IDEMPOTENCY_IN_PROGRESS"); v != "" {
		m, err := idempotency.ParseInProgressMode(v)
		if err != nil {
			bad("IDEMPOTENCY_IN_PROGRESS", v, "want fail (the default: IdempotencyAlreadyInProgressError at once) or wait")
		}
		ic.InProgress = m
	}
	if v := env("IDEMPOTENCY_REPLAY_HEADER"); v != "" {
		if !idempotency.ValidHeaderName(v) {
			bad("IDEMPOTENCY_REPLAY_HEADER", v, "want an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)")
		} else {
			ic.ReplayHeader = v
		}
	}
	if v := env("IDEMPOTENCY_SKIP_STATUS_CODES"); v != "" {
		sc, err := idempotency.ParseStatusCodes(v)
		if err != nil {
			bad("IDEMPOTENCY_SKIP_STATUS_CODES", v, "want a comma-separated list of status codes (100 to 599) and classes (1xx to 5xx), e.g. 5xx,429: "+
				strings.TrimPrefix(err.Error(), idempotency.ErrInvalidConfig.Error()+": "))
		} else {
			ic.SkipStatusCodes = sc
		}
	}
}

// logBeyondPowertools logs the settings of loadBeyondPowertools that are
// not Powertools' behaviour, if any.
func logBeyondPowertools(log *slog.Logger, ic idempotency.Config) {
	if ic.InProgress == idempotency.InProgressFail && ic.ReplayHeader == "" && ic.SkipStatusCodes.Empty() {
		return
	}
	log.Info("beyond Powertools", "inProgress", ic.InProgress.String(), "replayHeader", ic.ReplayHeader,
		"skipStatusCodes", ic.SkipStatusCodes.String())
}

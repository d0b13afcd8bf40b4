package main

import (
	"strings"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/metrics"
)

// loadOps reads the settings beyond Powertools that concern operations:
// IDEMPOTENCY_RELEASE_ON_CRASH, IDEMPOTENCY_METRICS_NAMESPACE and
// IDEMPOTENCY_KEY_FORMAT.
func (c *Config) loadOps(env func(string) string, bad func(name, value, want string)) {
	c.ReleaseOnCrash = true
	if v := env("IDEMPOTENCY_RELEASE_ON_CRASH"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("IDEMPOTENCY_RELEASE_ON_CRASH", v, "want a boolean (true/false, 1/0, yes/no, on/off)")
		}
		c.ReleaseOnCrash = b
	}
	if v := env("IDEMPOTENCY_METRICS_NAMESPACE"); v != "" {
		if err := metrics.ValidateNamespace(v); err != nil {
			bad("IDEMPOTENCY_METRICS_NAMESPACE", v, err.Error())
		} else {
			c.MetricsNamespace = v
		}
	}
	v := strings.ToLower(env("IDEMPOTENCY_KEY_FORMAT"))
	switch idempotency.KeyFormat(v) {
	case "":
		c.Idempotency.Key.Format = idempotency.FormatPython
	case idempotency.FormatPython, idempotency.FormatTypeScript:
		c.Idempotency.Key.Format = idempotency.KeyFormat(v)
	default:
		bad("IDEMPOTENCY_KEY_FORMAT", v, "want powertools-python or powertools-typescript")
	}
}

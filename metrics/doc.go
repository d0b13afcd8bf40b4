// Package metrics writes the idempotency core's observations as CloudWatch
// Embedded Metric Format (EMF) lines: one JSON object per invocation, which
// CloudWatch Logs turns into metrics when the line reaches it through the
// extension's stdout. It implements idempotency.Observer.
package metrics

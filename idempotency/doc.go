// Package idempotency is the transport-free idempotency core: it derives
// Powertools-compatible idempotency keys and payload hashes from Lambda events
// and defines the records and errors shared by the stores and the proxy.
package idempotency

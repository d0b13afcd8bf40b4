// Package idempotency is the transport-free idempotency core: it derives
// Powertools-compatible idempotency keys and payload hashes from Lambda events
// and defines the records and errors shared by the stores and the proxy.
//
// Beyond Powertools, and off by default, a duplicate can wait for the
// delivery in progress instead of failing (wait.go), replayed proxy
// responses can carry a marker header, and proxy responses with chosen
// status codes can be left unrecorded (beyond.go, proxyresp.go).
package idempotency

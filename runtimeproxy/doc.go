// Package runtimeproxy is a transparent HTTP proxy for the AWS Lambda Runtime
// API, placed between a function's runtime and the real endpoint.
//
// The runtime is pointed at the proxy (AWS_LAMBDA_RUNTIME_API=127.0.0.1:port)
// by an exec wrapper; the proxy forwards every request to the real Runtime API
// exactly: methods, paths, status codes, headers (minus hop-by-hop ones),
// bodies of any size, chunked bodies with their declared trailers, and
// streamed responses flushed chunk by chunk. Long polls (GET .../next and the
// Extensions API's event/next) carry no timeout; each upstream request is tied
// to the context of the runtime's request.
//
// Three calls are offered to an [Interceptor]: every event the runtime would
// receive from /2018-06-01/runtime/invocation/next, and the runtime's
// /response and /error for that invocation. The interceptor may answer an
// invocation itself, in which case the proxy posts the answer upstream and
// fetches the next event while the runtime keeps waiting. The package knows
// nothing about idempotency.
//
// The runtime's plain hot requests (and upstream's plain answers) are relayed
// byte for byte, without being parsed into net/http values (rawrelay.go).
// With an Interceptor other than PassThrough, each event is shown to it
// before it is relayed (rawnext.go), and so is each result
// (rawintercept.go). Everything else takes the usual path.
//
// State is kept per request id, so concurrent invocations (Lambda Managed
// Instances, AWS_LAMBDA_MAX_CONCURRENCY > 1) are handled independently.
package runtimeproxy

// Package localapi is the local idempotency API: Powertools Python's
// idempotent_function over plain HTTP and JSON, for handlers in any
// language, served on the proxy's loopback listener under /idemproxy/v1/.
//
// A handler claims the key of some data (one record of a batch, one
// payment), runs its work only when the claim is won, then completes the
// claim with the result or releases it on failure. Keys are derived exactly
// as idempotent_function derives them (prefix
// "{AWS_LAMBDA_FUNCTION_NAME}.{function}" unless a key prefix is given,
// hash of the canonical JSON), the in-progress expiry is the deadline of the
// invocation the caller runs under, and the records live in the same store
// and local cache as those of the handler-level path (idempotency.Core).
//
// Routes, all POST with a JSON body:
//
//	/idemproxy/v1/claim    {"function", "data", "keyPrefix", "eventKeyJmespath",
//	                        "payloadValidationJmespath", "expiresAfterSeconds",
//	                        "raiseOnNoIdempotencyKey", "requestId"}
//	/idemproxy/v1/complete {"token", "result"}
//	/idemproxy/v1/release  {"token"}
//
// Answers carry "status" (CLAIMED, COMPLETED, SKIPPED, RELEASED, or an
// error) and, on errors, "errorType" and "errorMessage", plus "field" naming
// the offending request field on 400s. The README documents every status.
package localapi

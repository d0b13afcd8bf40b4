// Package bench measures what idemproxy costs a Lambda function: the proxy's
// added latency on AWS's Runtime Interface Emulator, each idempotent path on
// the memory, DynamoDB (dynalite) and Redis stores, Powertools for AWS Lambda
// (Python and TypeScript) side by side on the same events, the extension's
// init time, memory and binary size, key derivation, large payloads, and
// the Beyond Powertools features that act on every invocation.
//
// Every comparison is measured in one run, alternating between the systems
// compared, and reported as a ratio: the machine's noise hits both sides.
// `make bench` runs the whole suite (bench/cmd/report) and writes
// bench/results.md and bench/results.png; `go test ./bench/` runs each path
// once as a smoke test, asserting the results and nothing about time.
package bench

// Command demo runs a test function on AWS's Runtime Interface Emulator with
// the idemproxy extension and prints a transcript of a few invocations.
//
//	go run ./internal/cmd/demo [-handler go|python] [-env KEY=VALUE]... [-extension=false] [-logs]
//
// The function reports a per-process execution counter in every response and
// appends a line to a count file each time it runs, so that duplicate events
// answered by the extension without running the handler are visible. Unless
// -env sets IDEMPOTENCY_STORE, IDEMPOTENCY_TABLE_NAME, IDEMPOTENCY_REDIS_URL
// or POWERTOOLS_IDEMPOTENCY_DISABLED, the demo uses IDEMPOTENCY_STORE=memory.
package main

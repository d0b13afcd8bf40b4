package main

import (
	"strconv"
	"strings"
)

// baseMemoryLimit is the extension's default soft memory limit, counted as
// the Go runtime counts it (heap, stacks and runtime structures; not the
// binary's pages, about 5 MiB of its RSS): the idle extension uses under a
// third of it, and a large payload in flight (a 6 MB response held by the
// proxy while it is recorded, or a stored record and the response decoded
// from it on a replay) about two thirds.
const baseMemoryLimit = 16 << 20

// memoryLimit returns the soft memory limit (runtime/debug.SetMemoryLimit)
// the extension sets for itself, or 0 to leave the runtime's default. The
// extension shares the function's memory; without a limit the garbage
// collector lets the heap grow to twice what was live at the last cycle, so
// a few large responses in a row can take several times their size. The
// limit is a backstop: it makes the collector run earlier under large
// payloads, and is soft (the heap still grows past it if that much is live).
//
// A GOMEMLIMIT in the environment wins (the runtime applied it already).
// With the local cache on or the memory store, which hold responses on
// purpose (the store every record until it expires), a quarter of the
// function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, MB) is added, and no
// limit is set when that size is unknown: a live heap kept above the limit
// would have the collector run over and over, for nothing.
func memoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit := int64(baseMemoryLimit)
	cache, _ := parseBool(strings.TrimSpace(getenv("IDEMPOTENCY_USE_LOCAL_CACHE")))
	if cache || strings.EqualFold(strings.TrimSpace(getenv("IDEMPOTENCY_STORE")), "memory") {
		mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
		if err != nil || mb <= 0 || mb > 1<<20 {
			return 0
		}
		limit += mb << 20 / 4
	}
	return limit
}

package main

import (
	"os"
	"runtime"
	"strconv"
)

// singleProc reports whether the extension should run its goroutines on
// one processor (GOMAXPROCS=1). On on-demand Lambda the runtime handles one
// invocation at a time, so the proxy's work is a strict sequence (event,
// response, next long poll) and a second processor only adds hand-offs
// between threads: each goroutine that becomes runnable while another
// processor is idle wakes a sleeping thread, and on a machine of one or two
// vCPUs those wake-ups are a large part of the proxy's added latency
// (bench/optimisations.md). Functions of up to 1,769 MB get at most one vCPU
// anyway. The user's own GOMAXPROCS wins, and Lambda Managed Instances
// (AWS_LAMBDA_MAX_CONCURRENCY > 1), where invocations overlap and their keys
// may be derived in parallel, keep Go's default.
func singleProc(getenv func(string) string) bool {
	if getenv("GOMAXPROCS") != "" {
		return false
	}
	if n, err := strconv.Atoi(getenv("AWS_LAMBDA_MAX_CONCURRENCY")); err == nil && n > 1 {
		return false
	}
	return true
}

// setProcs applies singleProc to the process.
func setProcs() {
	if singleProc(os.Getenv) {
		runtime.GOMAXPROCS(1)
	}
}

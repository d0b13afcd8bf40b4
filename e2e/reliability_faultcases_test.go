package e2e

import (
	"fmt"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
)

// Steps of an invocation at which a store fault is injected.
const (
	stepClaim    = "claim"
	stepComplete = "complete"
	stepDelete   = "delete"
)

// Kinds of store faults.
const (
	faultRefused       = "refused"        // the server is down: connections refused, open ones reset
	faultStall         = "stall"          // requests never arrive; the connection stays open
	faultResetRequest  = "reset-request"  // the connection is reset halfway through a request
	faultResetResponse = "reset-response" // the request ran; the connection is reset halfway through the reply
	faultSlow          = "slow"           // 100 ms more each way: 10x an in-region DynamoDB round trip
	faultResetOnce     = "reset-once"     // like reset-response, once: a retry gets through
)

// resetAfter is how many bytes of a request or response get through before
// a reset: the start of the request line or command. (dynalite, the
// DynamoDB test server, dies when a request body is cut short, which
// DynamoDB itself does not.)
const resetAfter = 16

var (
	faultSteps = []string{stepClaim, stepComplete, stepDelete}
	faultKinds = []string{faultRefused, faultStall, faultResetRequest, faultResetResponse, faultResetOnce, faultSlow}
)

// slowDelay is the latency added each way by faultSlow.
const slowDelay = 100 * time.Millisecond

func applyFault(fp *faultproxy.Proxy, kind string) error {
	switch kind {
	case faultRefused:
		return fp.Refuse()
	case faultStall:
		fp.Set(faultproxy.ClientToServer, faultproxy.Fault{Kind: faultproxy.Stall})
	case faultResetRequest:
		fp.Set(faultproxy.ClientToServer, faultproxy.Fault{Kind: faultproxy.Reset, Forward: resetAfter})
	case faultResetResponse:
		fp.Set(faultproxy.ServerToClient, faultproxy.Fault{Kind: faultproxy.Reset, Forward: resetAfter})
	case faultResetOnce:
		fp.Set(faultproxy.ServerToClient, faultproxy.Fault{Kind: faultproxy.Reset, Forward: resetAfter, Times: 1})
	case faultSlow:
		fp.Set(faultproxy.ClientToServer, faultproxy.Fault{Kind: faultproxy.Latency, Delay: slowDelay})
		fp.Set(faultproxy.ServerToClient, faultproxy.Fault{Kind: faultproxy.Latency, Delay: slowDelay})
	}
	return nil
}

func clearFault(fp *faultproxy.Proxy, kind string) error {
	fp.Clear()
	if kind == faultRefused {
		return fp.Accept()
	}
	return nil
}

// Reply kinds in a fault case's sequence.
const (
	replyOK         = "ok"         // a success, the first of the sequence
	replyReplay     = "replay"     // a success with the bytes of the previous one
	replyNew        = "new"        // a success with other bytes: another execution
	replyPersist    = "persist"    // IdempotencyPersistenceLayerError
	replyInProgress = "inprogress" // IdempotencyAlreadyInProgressError
	replyFlaky      = "flaky"      // the handler's own error (FlakyError)
)

// reply is one expected or observed invocation: its kind and the handler's
// executions counted after it.
type reply struct {
	kind string
	runs int
}

// sequence is the four invocations of a fault case: with the fault, at once
// after it is cleared, after the first invocation's deadline, and once more.
type sequence [4]reply

func (h sequence) String() string {
	var b strings.Builder
	for i, r := range h {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s(%d)", r.kind, r.runs)
	}
	return b.String()
}

// expected lists the histories allowed for a store, step and kind of fault.
// They say what the promise says: the handler never runs twice while a
// record it claimed is live, a record whose completion or deletion failed
// blocks retries (IdempotencyAlreadyInProgressError) until the invocation's
// deadline and no longer, and the caller always gets the handler's own
// result or a defined error.
func expected(storeKind, step, kind string) []sequence {
	blocked := sequence{{replyPersist, 0}, {replyInProgress, 0}, {replyOK, 1}, {replyReplay, 1}}
	// After PoolSize failed dials, go-redis stops dialling and fails at
	// once until a background dial succeeds (it tries once a second): the
	// first retry after the server is back may still fail the claim.
	allowed := expectedSequences(storeKind, step, kind, blocked)
	if kind == faultRefused && storeKind == redisBackend {
		allowed = append(allowed, map[string]sequence{
			stepClaim:    {{replyPersist, 0}, {replyPersist, 0}, {replyOK, 1}, {replyReplay, 1}},
			stepComplete: {{replyOK, 1}, {replyPersist, 1}, {replyNew, 2}, {replyReplay, 2}},
			stepDelete:   {{replyFlaky, 1}, {replyPersist, 1}, {replyFlaky, 2}, {replyFlaky, 3}},
		}[step])
	}
	return allowed
}

func expectedSequences(storeKind, step, kind string, blocked sequence) []sequence {
	switch step {
	case stepClaim:
		switch kind {
		case faultRefused, faultResetRequest:
			// The claim never reached the store.
			return []sequence{{{replyPersist, 0}, {replyOK, 1}, {replyReplay, 1}, {replyReplay, 1}}}
		case faultStall:
			// The held request dies with its connection, or reaches the
			// store once the stall ends: then it is a claim nobody runs.
			return []sequence{{{replyPersist, 0}, {replyOK, 1}, {replyReplay, 1}, {replyReplay, 1}}, blocked}
		case faultResetResponse:
			// The claim was written; its owner never learnt it.
			return []sequence{blocked}
		case faultResetOnce:
			if storeKind == dynamoBackend {
				// The SDK retries; the retry finds the claim of its first
				// attempt, which is this invocation's own. (Once the SDK's
				// retry quota, a token bucket per client, has run out under
				// round after round of faults, it does not retry: the
				// claim's owner never learns of it.)
				return []sequence{{{replyOK, 1}, {replyReplay, 1}, {replyReplay, 1}, {replyReplay, 1}}, blocked}
			}
			return []sequence{blocked} // go-redis never retries a script
		}
		return []sequence{{{replyOK, 1}, {replyReplay, 1}, {replyReplay, 1}, {replyReplay, 1}}}
	case stepComplete:
		// The caller gets the response either way.
		lost := sequence{{replyOK, 1}, {replyInProgress, 1}, {replyNew, 2}, {replyReplay, 2}}
		recorded := sequence{{replyOK, 1}, {replyReplay, 1}, {replyReplay, 1}, {replyReplay, 1}}
		switch kind {
		case faultRefused, faultResetRequest:
			// The record stays INPROGRESS: blocked until the deadline, run
			// again after it.
			return []sequence{lost}
		case faultStall:
			// The held completion dies with its connection, or reaches the
			// store once the stall ends; it is fenced by the owner token,
			// and the record is still this invocation's.
			return []sequence{lost, recorded}
		}
		// The completion reached the store.
		return []sequence{recorded}
	default: // stepDelete
		kept := sequence{{replyFlaky, 1}, {replyInProgress, 1}, {replyFlaky, 2}, {replyFlaky, 3}}
		deleted := sequence{{replyFlaky, 1}, {replyFlaky, 2}, {replyFlaky, 3}, {replyFlaky, 4}}
		switch kind {
		case faultRefused, faultResetRequest:
			return []sequence{kept}
		case faultStall:
			return []sequence{kept, deleted}
		}
		return []sequence{deleted}
	}
}

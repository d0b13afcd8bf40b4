// Command gohandler is the Go test function of the end-to-end tests: an
// ordinary aws-lambda-go handler with no idempotency code. The "action" field
// of the event selects its behaviour; see lambdatest.Event.
//
// With HANDLER_SIGTERM=1 it starts with lambda.WithEnableSIGTERM, which
// registers an internal extension through AWS_LAMBDA_RUNTIME_API, and prints
// "gohandler: SIGTERM received" when it gets SIGTERM. With
// HANDLER_RESPONSE_STREAMING=1 it runs its own runtime loop, which sends
// io.Reader results as streamed responses (see runStreamingRuntime). With
// HANDLER_INIT_ERROR=1 it exits with status 4 before starting the runtime
// loop (an init failure).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// TestError is the error type of the "error" action; aws-lambda-go reports
// its type name as errorType.
type TestError struct{ Message string }

// Error returns the message.
func (e *TestError) Error() string { return e.Message }

// handler counts the invocations of this process.
type handler struct {
	count atomic.Int64
}

// handle runs one invocation.
func (h *handler) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	n := h.count.Add(1)
	var ev lambdatest.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	if ev.CountFile != "" {
		if err := appendLine(ev.CountFile, fmt.Sprintf("%s %d\n", requestID, os.Getpid())); err != nil {
			return nil, err
		}
	}
	switch ev.Action {
	case lambdatest.ActionEnv:
		env := map[string]string{}
		for _, name := range ev.Names {
			env[name] = os.Getenv(name)
		}
		return map[string]any{"count": n, "AWS_LAMBDA_RUNTIME_API": os.Getenv("AWS_LAMBDA_RUNTIME_API"), "env": env}, nil
	case lambdatest.ActionInfo:
		return map[string]any{"count": n, "pid": os.Getpid(), "request_id": requestID}, nil
	case lambdatest.ActionContext:
		return invocationContext(ctx, n), nil
	case lambdatest.ActionBig:
		return map[string]any{"count": n, "data": filler(ev.Size)}, nil
	case lambdatest.ActionBytes:
		// An io.Reader result is sent as is (its JSON form is "{}").
		return bytes.NewReader(append(fmt.Appendf(nil, "count=%d\n", n), lambdatest.BinaryPayload()...)), nil
	case lambdatest.ActionStream:
		return streamBody(n, ev.Size, ev.Message), nil
	case lambdatest.ActionStreamURL:
		return streamURL(streamBody(n, ev.Size, ev.Message)), nil
	case lambdatest.ActionProxy:
		return proxyResponse(n, raw)
	case lambdatest.ActionError:
		msg := ev.Message
		if msg == "" {
			msg = lambdatest.DefaultErrorMessage
		}
		return nil, &TestError{Message: msg}
	case lambdatest.ActionSleep:
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
		return map[string]any{"count": n, "slept_ms": ev.Ms}, nil
	case lambdatest.ActionExit:
		fmt.Fprintln(os.Stderr, "gohandler: exiting with status 3")
		os.Exit(3)
	case lambdatest.ActionPanic:
		panic("gohandler: panic on purpose")
	case lambdatest.ActionBatch:
		return handleBatch(ev), nil
	case lambdatest.ActionLocalAPI:
		calls, err := callLocalAPI(ctx, ev.Calls, requestID)
		if err != nil {
			return nil, err
		}
		return map[string]any{"count": n, "request_id": requestID, "calls": calls}, nil
	}
	return map[string]any{"count": n, "event": raw}, nil
}

// invocationContext reports what the runtime received with the invocation.
func invocationContext(ctx context.Context, n int64) map[string]any {
	out := map[string]any{"count": n}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		out["request_id"] = lc.AwsRequestID
		out["function_arn"] = lc.InvokedFunctionArn
		out["cognito_identity_id"] = lc.Identity.CognitoIdentityID
		out["cognito_identity_pool_id"] = lc.Identity.CognitoIdentityPoolID
		out["client_custom"] = lc.ClientContext.Custom
	}
	out["trace_id"] = os.Getenv("_X_AMZN_TRACE_ID")
	timeout, _ := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_TIMEOUT"))
	deadline, ok := ctx.Deadline()
	left := time.Until(deadline)
	out["deadline_ok"] = ok && left > 0 && (timeout == 0 || left <= time.Duration(timeout)*time.Second)
	return out
}

// filler returns size bytes of printable ASCII.
func filler(size int) string {
	const pattern = "abcdefghijklmnopqrstuvwxyz0123456789"
	if size <= 0 {
		return ""
	}
	return strings.Repeat(pattern, size/len(pattern)+1)[:size]
}

// appendLine appends line to path.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("count file: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("count file: %w", err)
	}
	return f.Close()
}

func main() {
	fmt.Fprintf(os.Stderr, "gohandler: started pid=%d\n", os.Getpid())
	if os.Getenv("HANDLER_INIT_ERROR") == "1" {
		fmt.Fprintln(os.Stderr, "gohandler: init failed on purpose (HANDLER_INIT_ERROR=1)")
		os.Exit(4)
	}
	h := &handler{}
	if os.Getenv("HANDLER_RESPONSE_STREAMING") == "1" {
		runStreamingRuntime(h)
	}
	if os.Getenv("HANDLER_SIGTERM") == "1" {
		lambda.StartWithOptions(h.handle, lambda.WithEnableSIGTERM(func() {
			fmt.Fprintln(os.Stderr, "gohandler: SIGTERM received")
		}))
		return
	}
	lambda.Start(h.handle)
}

package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// InvokePath is the emulator's only invoke endpoint.
const InvokePath = "/2015-03-31/functions/function/invocations"

// Result is what the caller of an invocation got.
type Result struct {
	// Status is the HTTP status (200 for success and function errors, 502
	// for crashes and init failures).
	Status int
	// Body is the response body, byte for byte.
	Body []byte
	// Header holds the response headers.
	Header http.Header
	// Duration is the round trip time.
	Duration time.Duration
}

// InvokeOption customises one invocation.
type InvokeOption func(*http.Request)

// WithRequestID sets X-Amzn-RequestId, which the emulator uses as the
// request ID (Lambda-Runtime-Aws-Request-Id) of the invocation.
func WithRequestID(id string) InvokeOption {
	return WithHeader("X-Amzn-RequestId", id)
}

// WithHeader sets a request header, e.g. X-Amz-Client-Context (base64) or
// X-Amzn-Trace-Id.
func WithHeader(name, value string) InvokeOption {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// Invoke sends payload to the function and returns the caller's view of
// the result. Invocations are serialised per emulator in classic mode, as a
// concurrent invocation crashes the emulator; in Managed Instances mode
// they run concurrently.
func (e *Emulator) Invoke(ctx context.Context, payload []byte, opts ...InvokeOption) (Result, error) {
	if e.opts.MaxConcurrency == 0 {
		e.invokeMu.Lock()
		defer e.invokeMu.Unlock()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.InvokeAddr+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return Result{}, fmt.Errorf("lambdatest: invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, o := range opts {
		o(req)
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("lambdatest: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("lambdatest: invoke: read response: %w", err)
	}
	return Result{Status: resp.StatusCode, Body: body, Header: resp.Header, Duration: time.Since(start)}, nil
}

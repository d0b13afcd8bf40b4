package runtimeproxy

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Invocation is one event handed out by the upstream Runtime API's /next.
// The proxy owns it; an Interceptor may read every field and set State.
type Invocation struct {
	// RequestID is the Lambda-Runtime-Aws-Request-Id of the event.
	RequestID string
	// Deadline is Lambda-Runtime-Deadline-Ms as a time; zero if absent or invalid.
	Deadline time.Time
	// Event is the event body. Read-only.
	Event []byte
	// State belongs to the Interceptor: whatever Invoke stores here is handed
	// back in Response and Error for the same request id.
	State any

	header lazyHeader
}

// Header returns the headers of the upstream /next response. Read-only.
// The byte relay builds it on the first call.
func (inv *Invocation) Header() http.Header { return inv.header.get() }

// Action says what the proxy does with an invocation.
type Action uint8

const (
	// Forward hands the event to the runtime.
	Forward Action = iota
	// Respond answers the invocation upstream with Decision.Body; the runtime never sees it.
	Respond
	// Fail answers the invocation upstream with an error; the runtime never sees it.
	Fail
)

// Decision is an Interceptor's verdict on one invocation.
type Decision struct {
	Action Action
	// Observe asks the proxy to buffer the runtime's /response body and pass it
	// to Interceptor.Response (Forward only). Streamed responses and bodies
	// larger than the proxy's MaxBufferedBytes are never buffered.
	Observe bool
	// Event, if not nil, is handed to the runtime instead of the event
	// fetched from upstream (Forward only); Invocation.Event keeps the
	// original.
	Event []byte
	// Body and ContentType are posted upstream as the response (Respond).
	Body        []byte
	ContentType string
	// Streaming posts Body as a streamed response (Respond): chunked, with
	// Lambda-Runtime-Function-Response-Mode: streaming.
	Streaming bool
	// ErrorType and ErrorMessage are posted upstream as
	// {"errorMessage": ..., "errorType": ...} with the
	// Lambda-Runtime-Function-Error-Type header set to ErrorType (Fail).
	ErrorType    string
	ErrorMessage string
}

// Result is what the runtime posted for an invocation, as seen before the
// proxy forwards it upstream.
type Result struct {
	// Buffered reports whether Body holds the whole body. It is false for
	// streamed responses, bodies over the size limit, and unobserved invocations.
	Buffered bool
	// Body is the whole body when Buffered. Read-only.
	Body []byte
	// Trailer holds the trailers the runtime sent after a buffered body.
	Trailer http.Header
	// Replace, if set by Interceptor.Response to a non-nil value, is
	// forwarded upstream instead of Body (Buffered results only), with the
	// runtime's headers and no trailers.
	Replace []byte

	header lazyHeader
}

// Header returns the runtime's request headers. Read-only. The byte relay
// builds it on the first call.
func (r *Result) Header() http.Header { return r.header.get() }

// ContentType returns the runtime's Content-Type header, as
// Header().Get("Content-Type") does, without building the header.
func (r *Result) ContentType() string { return r.header.value("content-type", headerContentType) }

// Interceptor observes and steers invocations. Its methods are called
// concurrently for different request ids and must be safe for that.
// Response and Error run before the runtime's call is forwarded upstream, so
// their work is finished before Lambda considers the invocation done.
type Interceptor interface {
	// Invoke decides the fate of an event fetched from upstream /next. ctx
	// ends at the invocation's deadline.
	Invoke(ctx context.Context, inv *Invocation) Decision
	// Response is called with the runtime's /response for inv.
	Response(ctx context.Context, inv *Invocation, res *Result)
	// Error is called with the runtime's /error for inv, and with a /response
	// whose trailers report an error (Lambda-Runtime-Function-Error-Type).
	Error(ctx context.Context, inv *Invocation, res *Result)
}

// PassThrough is an Interceptor that forwards everything untouched.
type PassThrough struct{}

// Invoke implements Interceptor.
func (PassThrough) Invoke(context.Context, *Invocation) Decision { return Decision{Action: Forward} }

// Response implements Interceptor.
func (PassThrough) Response(context.Context, *Invocation, *Result) {}

// Error implements Interceptor.
func (PassThrough) Error(context.Context, *Invocation, *Result) {}

// parseDeadline turns a Lambda-Runtime-Deadline-Ms value into a time.
func parseDeadline(v string) time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

package lambdatest

import "encoding/json"

// Actions understood by the test handlers (the "action" field of Event).
const (
	// ActionEcho returns {"count":N,"event":<the event>}; it is also the
	// default when the action is empty or unknown.
	ActionEcho = "echo"
	// ActionEnv returns {"count":N,"AWS_LAMBDA_RUNTIME_API":...,"env":{...}}
	// with the values of the variables listed in Names.
	ActionEnv = "env"
	// ActionInfo returns {"count":N,"pid":...,"request_id":...}; the pid
	// differs between emulators, so it is not for byte comparisons.
	ActionInfo = "info"
	// ActionContext returns the invocation's context as the runtime saw it:
	// {"count","request_id","function_arn","cognito_identity_id",
	// "cognito_identity_pool_id","client_custom","trace_id","deadline_ok"},
	// where deadline_ok says the deadline lies in the future, at most the
	// function timeout away.
	ActionContext = "context"
	// ActionBig returns {"count":N,"data":"..."} with Size bytes of data.
	ActionBig = "big"
	// ActionBytes returns raw bytes: "count=N\n" followed by BinaryPayload.
	ActionBytes = "bytes"
	// ActionError fails with errorType "TestError" and errorMessage Message
	// (default DefaultErrorMessage).
	ActionError = "error"
	// ActionSleep sleeps Ms milliseconds, then returns {"count":N,"slept_ms":Ms}.
	ActionSleep = "sleep"
	// ActionExit kills the runtime process with exit status 3.
	ActionExit = "exit"
	// ActionPanic panics (Go handler only; Python raises).
	ActionPanic = "panic"
	// ActionLocalAPI posts Calls in order to the local idempotency API at
	// AWS_LAMBDA_RUNTIME_API (the proxy) and returns
	// {"count":N,"request_id":...,"calls":[{"status":S,"body":<JSON answer>}...]}.
	ActionLocalAPI = "localapi"
	// ActionBatch handles a batch event (Records, with the action and the
	// other fields beside it): it sleeps Ms milliseconds, then returns
	// {"processed":[ids...],"batchItemFailures":[{"itemIdentifier":id}...]}
	// where ids are the records' messageId, kinesis.sequenceNumber or
	// dynamodb.SequenceNumber, and the failures are the records whose id is
	// listed in Fail.
	ActionBatch = "batch"
	// ActionStream returns an io.Reader (Go handler only): "count=N\n",
	// BinaryPayload and Size bytes of filler, read in chunks of at most 1000
	// bytes. aws-lambda-go sends it chunked without a response mode header;
	// with HANDLER_RESPONSE_STREAMING=1 the Go handler's own runtime loop
	// sends it as a streamed response (Lambda-Runtime-Function-Response-Mode:
	// streaming). With Message set, the reader fails with that message after
	// the first chunk (an error mid-stream, reported in trailers).
	ActionStream = "stream"
	// ActionStreamURL (Go handler only) is ActionStream wrapped in a
	// function URL streaming response
	// (events.LambdaFunctionURLStreamingResponse): content type
	// application/vnd.awslambda.http-integration-response, a JSON prelude
	// with status 201, headers and cookies, 8 NUL bytes, then the body.
	ActionStreamURL = "stream-url"
	// ActionProxy returns an API Gateway proxy response (Go handler only):
	// {"statusCode":200,"headers":{...},"body":"<the echo as JSON text>"}.
	ActionProxy = "proxy"
)

// LocalCall is one step of ActionLocalAPI: a POST of Body to
// /idemproxy/v1/{Path}, after sleeping SleepMs. In Body, the text $TOKEN is
// replaced by the last "token" the API answered and $REQUEST_ID by the
// invocation's request id.
type LocalCall struct {
	Path    string          `json:"path"`
	Body    json.RawMessage `json:"body,omitempty"`
	SleepMs int             `json:"sleep_ms,omitempty"`
}

// DefaultErrorMessage is the errorMessage of ActionError by default.
const DefaultErrorMessage = "boom: ünïcödé ✓"

// Event is the input of the test handlers. Every field is optional.
type Event struct {
	Action string `json:"action,omitempty"`
	// Size is the data size of ActionBig.
	Size int `json:"size,omitempty"`
	// Ms is the duration of ActionSleep.
	Ms int `json:"ms,omitempty"`
	// Message is the errorMessage of ActionError.
	Message string `json:"message,omitempty"`
	// Names are the variables returned by ActionEnv.
	Names []string `json:"names,omitempty"`
	// CountFile, if set, gets one line "<request id> <pid>\n" appended each
	// time a handler runs, whatever the action: it counts executions across
	// processes and emulator resets.
	CountFile string `json:"count_file,omitempty"`
	// Data is free-form content (e.g. to vary the idempotency key).
	Data json.RawMessage `json:"data,omitempty"`
	// Calls are the steps of ActionLocalAPI.
	Calls []LocalCall `json:"calls,omitempty"`
	// Records and Fail are the batch and the ids to fail of ActionBatch.
	Records []json.RawMessage `json:"Records,omitempty"`
	Fail    []string          `json:"fail,omitempty"`
}

// JSON encodes the event; it cannot fail.
func (ev Event) JSON() []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // unreachable: every field is marshalable
	}
	return b
}

// BinaryPayload returns the bytes that ActionBytes returns after its
// "count=N\n" line: non-ASCII UTF-8, every byte value 0-255, CRLF, invalid
// UTF-8 and almost-JSON. Both handlers produce exactly these bytes.
func BinaryPayload() []byte {
	b := []byte("héllo wörld ✓ 日本語 🚀\n")
	for i := range 256 {
		b = append(b, byte(i))
	}
	return append(b, "\r\n\xc3\x28\xff\xfe{\"not\": json}\n"...)
}

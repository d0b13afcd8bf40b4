package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Streamed responses through the emulator. Only the Go handler streams:
// awslambdaric, the Python runtime interface client, has no response
// streaming (Lambda streams natively only from Node.js and custom runtimes).
// With HANDLER_RESPONSE_STREAMING=1 the Go handler runs its own runtime loop,
// which posts a streamed response as Lambda's Node.js runtime does
// (Lambda-Runtime-Function-Response-Mode: streaming, chunked, errors in
// trailers); aws-lambda-go itself sends io.Reader results chunked but
// without that header, which idemproxy treats as an ordinary response
// (TestStreamAWSLambdaGo).
//
// The emulator accepts the streamed response and answers the invoke with
// the whole body once the stream has ended (it does not stream to its
// caller, and answers application/octet-stream whatever the runtime's
// content type) and ignores trailers, so an error mid-stream reaches the
// caller as a 200 with the bytes written before the error. What the tests check is
// what the caller gets, how often the handler ran, and that the replay is
// the first response byte for byte.

// streamingEnv runs the handler's streaming runtime loop with the memory
// store, keyed by data.order.
var streamingEnv = append([]string{"HANDLER_RESPONSE_STREAMING=1"}, keyedEnv...)

// streamEvent is an event of a streaming action, keyed by order id; fail
// makes the handler fail after its first chunk.
func streamEvent(action, id string, size int, fail, countFile string) []byte {
	data, _ := json.Marshal(map[string]any{"order": id, "amount": 1})
	return lambdatest.Event{Action: action, Size: size, Message: fail, CountFile: countFile, Data: data}.JSON()
}

// streamedBytes is the body the handler streams on its n-th run.
func streamedBytes(n, size int) []byte {
	b := append(fmt.Appendf(nil, "count=%d\n", n), lambdatest.BinaryPayload()...)
	return append(b, bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), size/36+1)[:size]...)
}

// urlPrelude is the function URL prelude of ActionStreamURL, with the 8 NUL
// bytes that end it.
const urlPrelude = `{"statusCode":201,"headers":{"Content-Type":"text/plain; charset=utf-8","X-Test":"stream"},"cookies":["a=1; Path=/","b=2"]}` +
	"\x00\x00\x00\x00\x00\x00\x00\x00"

// requireBody fails unless res is a 200 with body want.
func requireBody(t *testing.T, what string, res lambdatest.Result, want []byte) {
	t.Helper()
	if res.Status != 200 || !bytes.Equal(res.Body, want) {
		t.Fatalf("%s: status %d, %d bytes (want 200, %d bytes)\n%s", what, res.Status, len(res.Body), len(want),
			diff(lambdatest.Result{Status: 200, Body: want, Header: res.Header}, res))
	}
}

// requireRuns fails unless the handler ran n times.
func requireRuns(t *testing.T, what, countFile string, n int) {
	t.Helper()
	if got := executions(t, countFile); got != n {
		t.Fatalf("%s: the handler ran %d times, want %d", what, got, n)
	}
}

func TestStreamCapture(t *testing.T) {
	t.Parallel()
	emu := startIdempotent(t, options(t, goRuntime), append(streamingEnv, "IDEMPOTENCY_STREAMING=capture")...)
	count := filepath.Join(t.TempDir(), "runs")
	call := func(payload []byte, id string) lambdatest.Result {
		return lambdatest.InvokeT(t, emu, payload, lambdatest.WithRequestID(id))
	}
	const size = 100 << 10

	// The first delivery runs and its stream reaches the caller whole; a
	// duplicate gets the same bytes and content type, replayed as a stream
	// by the proxy, and the handler does not run.
	first := call(streamEvent(lambdatest.ActionStream, "S", size, "", count), "s-1")
	requireBody(t, "first delivery", first, streamedBytes(1, size))
	requireRuns(t, "first delivery", count, 1)
	for _, id := range []string{"s-2", "s-3"} {
		again := call(streamEvent(lambdatest.ActionStream, "S", size, "", count), id)
		requireBody(t, "duplicate "+id, again, first.Body)
		if a, b := again.Header.Get("Content-Type"), first.Header.Get("Content-Type"); a != b {
			t.Fatalf("duplicate %s: Content-Type %q, first %q", id, a, b)
		}
	}
	requireRuns(t, "duplicates", count, 1)
	if !hasLog(emu, "gohandler: started") || strings.Contains(emu.Logs(), "streaming runtime:") {
		t.Fatalf("the streaming runtime loop failed:\n%s", emu.Logs())
	}

	// An error mid-stream: the caller gets what was written before it (the
	// emulator ignores the error trailers), the record is released and a
	// retry runs the handler again; once a retry succeeds it is replayed.
	failed := call(streamEvent(lambdatest.ActionStream, "F", size, "mid-stream failure", count), "f-1")
	requireBody(t, "stream failing after its first chunk", failed, streamedBytes(2, size)[:1000])
	requireRuns(t, "failed stream", count, 2)
	retry := call(streamEvent(lambdatest.ActionStream, "F", size, "mid-stream failure", count), "f-2")
	requireBody(t, "retry of the failed stream", retry, streamedBytes(3, size)[:1000])
	requireRuns(t, "retry of the failed stream", count, 3)
	ok := call(streamEvent(lambdatest.ActionStream, "F", size, "", count), "f-3")
	requireBody(t, "successful retry", ok, streamedBytes(4, size))
	again := call(streamEvent(lambdatest.ActionStream, "F", size, "", count), "f-4")
	requireBody(t, "duplicate of the successful retry", again, ok.Body)
	requireRuns(t, "after the successful retry", count, 4)
}

// TestStreamCaptureFunctionURL: a function URL streaming response (JSON
// prelude, 8 NUL bytes, body) is recorded on DynamoDB (dynalite) as a
// stream with its content type, and replayed byte for byte. The emulator
// does not pass the runtime's content type to its caller (it answers
// application/octet-stream), so the content type is checked in the record.
func TestStreamCaptureFunctionURL(t *testing.T) {
	t.Parallel()
	endpoint, client := startDynamo(t)
	env := append([]string{"HANDLER_RESPONSE_STREAMING=1", "IDEMPOTENCY_STREAMING=capture"}, dynamoEnv(endpoint)...)
	emu := startIdempotent(t, options(t, goRuntime), env...)
	count := filepath.Join(t.TempDir(), "runs")
	event := streamEvent(lambdatest.ActionStreamURL, "U", 3000, "", count)
	first := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("u-1"))
	requireBody(t, "first delivery", first, append([]byte(urlPrelude), streamedBytes(1, 3000)...))
	again := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("u-2"))
	requireBody(t, "duplicate", again, first.Body)
	if a, b := again.Header.Get("Content-Type"), first.Header.Get("Content-Type"); a != b {
		t.Fatalf("duplicate: Content-Type %q, first %q", a, b)
	}
	requireRuns(t, "duplicate", count, 1)

	items := scan(t, client)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	want := map[string]string{
		"status":                  "COMPLETED",
		"idemproxy_response_mode": "streaming",
		"idemproxy_content_type":  "application/vnd.awslambda.http-integration-response",
	}
	for attr, v := range want {
		if got, _ := items[0][attr].(*types.AttributeValueMemberS); got == nil || got.Value != v {
			t.Errorf("%s = %v, want %q", attr, items[0][attr], v)
		}
	}
}

// TestStreamPassthrough: by default a streamed response is not recorded, so
// a duplicate arriving after it ran runs the handler again.
func TestStreamPassthrough(t *testing.T) {
	t.Parallel()
	emu := startIdempotent(t, options(t, goRuntime), streamingEnv...)
	count := filepath.Join(t.TempDir(), "runs")
	event := streamEvent(lambdatest.ActionStream, "P", 5000, "", count)
	first := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("p-1"))
	requireBody(t, "first delivery", first, streamedBytes(1, 5000))
	second := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("p-2"))
	requireBody(t, "duplicate", second, streamedBytes(2, 5000))
	requireRuns(t, "duplicate", count, 2)
}

// TestStreamAWSLambdaGo: aws-lambda-go sends an io.Reader result (a
// function URL streaming response included) chunked but without
// Lambda-Runtime-Function-Response-Mode, so it is not a streamed response
// to idemproxy: whatever IDEMPOTENCY_STREAMING says, it is buffered and
// recorded like any other response (up to the buffered limit), and an
// error mid-stream, which aws-lambda-go reports in trailers, releases the
// record.
func TestStreamAWSLambdaGo(t *testing.T) {
	for _, mode := range []string{"passthrough", "capture"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			emu := startIdempotent(t, options(t, goRuntime), append(keyedEnv, "IDEMPOTENCY_STREAMING="+mode)...)
			count := filepath.Join(t.TempDir(), "runs")
			event := streamEvent(lambdatest.ActionStreamURL, "G", 5000, "", count)
			first := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("g-1"))
			requireBody(t, "first delivery", first, append([]byte(urlPrelude), streamedBytes(1, 5000)...))
			again := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("g-2"))
			requireBody(t, "duplicate", again, first.Body)
			requireRuns(t, "duplicate", count, 1)

			failing := streamEvent(lambdatest.ActionStream, "H", 5000, "mid-stream failure", count)
			lambdatest.InvokeT(t, emu, failing, lambdatest.WithRequestID("h-1"))
			lambdatest.InvokeT(t, emu, failing, lambdatest.WithRequestID("h-2"))
			requireRuns(t, "failing stream and its retry", count, 3)
		})
	}
}

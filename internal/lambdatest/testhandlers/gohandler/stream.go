package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/events"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// streamChunk is the largest read of a streamed body.
const streamChunk = 1000

// streamBody returns the body of ActionStream: "count=N\n", BinaryPayload
// and size bytes of filler, read at most streamChunk bytes at a time; with
// failMsg set the read after the first chunk fails with it.
func streamBody(n int64, size int, failMsg string) io.Reader {
	b := append(fmt.Appendf(nil, "count=%d\n", n), lambdatest.BinaryPayload()...)
	b = append(b, filler(size)...)
	r := &chunkReader{data: b}
	if failMsg != "" {
		r.fail = &TestError{Message: failMsg}
	}
	return r
}

// chunkReader returns data in chunks of at most streamChunk bytes, and
// fail (if set) once the first chunk is out.
type chunkReader struct {
	data []byte
	sent int
	fail error
}

// Read implements io.Reader.
func (r *chunkReader) Read(p []byte) (int, error) {
	if r.fail != nil && r.sent > 0 {
		return 0, r.fail
	}
	if r.sent == len(r.data) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), streamChunk)], r.data[r.sent:])
	r.sent += n
	return n, nil
}

// streamURL wraps a stream body in a function URL streaming response.
func streamURL(body io.Reader) *events.LambdaFunctionURLStreamingResponse {
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: 201,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Test": "stream"},
		Cookies:    []string{"a=1; Path=/", "b=2"},
		Body:       body,
	}
}

// proxyResponse is the API Gateway proxy response of ActionProxy.
func proxyResponse(n int64, raw json.RawMessage) (map[string]any, error) {
	body, err := json.Marshal(map[string]any{"count": n, "event": raw})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"statusCode": 200,
		"headers":    map[string]string{"Content-Type": "application/json"},
		"body":       string(body),
	}, nil
}

// errorType is the errorType aws-lambda-go reports for err.
func errorType(err error) string {
	var te *TestError
	if errors.As(err, &te) {
		return "TestError"
	}
	return "errorString"
}

// errorJSON is the error document of err.
func errorJSON(err error) []byte {
	b, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": errorType(err)})
	return b
}

// trailerReader reports a failing read in the error trailers, as
// aws-lambda-go and the Node.js runtime do, then ends the body.
type trailerReader struct {
	r       io.Reader
	trailer map[string][]string
}

// Read implements io.Reader.
func (t *trailerReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.trailer[headerErrorType] = []string{errorType(err)}
		t.trailer[headerErrorBody] = []string{encodeBase64(errorJSON(err))}
		return n, io.EOF
	}
	return n, err
}

// jsonBody encodes a handler result as aws-lambda-go does (no trailing
// newline).
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

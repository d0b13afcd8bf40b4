package localapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/localapi"
)

// reply is an answer of the API, decoded.
type reply struct {
	Status         string          `json:"status"`
	IdempotencyKey string          `json:"idempotencyKey"`
	Token          string          `json:"token"`
	Result         json.RawMessage `json:"result"`
	ResultBase64   []byte          `json:"resultBase64"`
	ContentType    string          `json:"contentType"`
	Reason         string          `json:"reason"`
	ErrorType      string          `json:"errorType"`
	ErrorMessage   string          `json:"errorMessage"`
	Field          string          `json:"field"`
}

var farDeadline = time.Now().Add(time.Hour)

func oneInFlight() []localapi.Invocation {
	return []localapi.Invocation{{RequestID: "req-1", Deadline: farDeadline}}
}

func newAPI(t *testing.T, core *idempotency.Core, functionName string, inFlight func() []localapi.Invocation) *localapi.Handler {
	t.Helper()
	h, err := localapi.New(localapi.Options{Core: core, FunctionName: functionName, InFlight: inFlight})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// post sends body (marshalled unless it is []byte or string) to path.
func post(t *testing.T, h http.Handler, path string, body any) (int, reply) {
	t.Helper()
	return do(t, h, http.MethodPost, path, body)
}

func do(t *testing.T, h http.Handler, method, path string, body any) (int, reply) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(raw)))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	var r reply
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%s %s: answer is not a known JSON shape: %v", method, path, err)
	}
	return rec.Code, r
}

package runtimeproxy

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// resultSeen is what an Interceptor was shown of a result.
type resultSeen struct {
	Error    bool
	Header   http.Header
	Buffered bool
	Body     string
	Trailer  http.Header
}

// resultRecorder forwards every event (observed when observe is set),
// records the results it is shown, and replaces buffered response bodies
// with replace when that is not nil.
type resultRecorder struct {
	observe bool
	replace []byte
	mu      sync.Mutex
	seen    []resultSeen
}

func (r *resultRecorder) Invoke(context.Context, *Invocation) Decision {
	return Decision{Action: Forward, Observe: r.observe}
}

func (r *resultRecorder) Response(ctx context.Context, inv *Invocation, res *Result) {
	r.record(ctx, res, false)
	if res.Buffered && r.replace != nil {
		res.Replace = r.replace
	}
}

func (r *resultRecorder) Error(ctx context.Context, inv *Invocation, res *Result) {
	r.record(ctx, res, true)
}

func (r *resultRecorder) record(ctx context.Context, res *Result, isError bool) {
	if _, ok := ctx.Deadline(); !ok {
		panic("result shown without the invocation's deadline")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, resultSeen{isError, res.Header(), res.Buffered, string(res.Body), res.Trailer})
}

func (r *resultRecorder) take() []resultSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.seen
	r.seen = nil
	return seen
}

// resultCases are results posted for a tracked invocation (r1); raw says
// whether the byte relay takes them when there is an Interceptor.
var resultCases = []struct {
	name, req string
	raw       bool
}{
	{"aws-lambda-go response, chunked, empty trailers", goPost + "7\r\n{\"a\":1}\r\n4\r\n,\"b\"\r\n0\r\n\r\n", true},
	{"response by length", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", true},
	{"empty response", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", true},
	{"empty chunked response", goPost + "0\r\n\r\n", true},
	{"response without body framing", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\n\r\n", true},
	{"header spacing, case and repeats", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nhost: x\r\nX-A:  a \t\r\nx-b:\r\nX-A: caf\xc3\xa9\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}", true},
	{"response over the buffering limit", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\n\r\n" + strings.Repeat("z", 80), true},
	{"chunked response over the buffering limit", goPost + "40\r\n" + strings.Repeat("y", 64) + "\r\n10\r\n" + strings.Repeat("w", 16) + "\r\n0\r\n\r\n", true},
	{"error", "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Error-Type: Runtime.Unknown\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", true},
	{"error without body", "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Error-Type: Runtime.Unknown\r\n\r\n", true},
	{"response with an error trailer", goPost + "2\r\n{}\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.Boom\r\n\r\n", false},
	{"streamed response", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
	{"result for another invocation", "POST /2018-06-01/runtime/invocation/r2/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", true},
}

// TestInterceptedResultsMatchUsualPath posts each result, after an event,
// through a proxy on the byte relay and one on the usual path, with the same
// Interceptor (observing or not, replacing buffered bodies or not), and
// compares what the Interceptor was shown, what upstream got and what the
// runtime got.
func TestInterceptedResultsMatchUsualPath(t *testing.T) {
	type side struct {
		proxy *Server
		base  string
		up    *scriptedUpstream
		ic    *resultRecorder
	}
	start := func(observe bool, replace []byte, usual bool) side {
		up := newScriptedUpstream(t)
		ic := &resultRecorder{observe: observe, replace: replace}
		s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: up.addr, Interceptor: ic, MaxBufferedBytes: 64}, usual)
		return side{s, "http://" + s.Addr().String(), up, ic}
	}
	// through delivers an event for r1 (always on the usual path: an
	// Interceptor decides on it), then posts req.
	through := func(sd side, req string) (runtimeSeen, []upstreamSeen, []resultSeen, int64) {
		rc := dialRaw(t, sd.base)
		sd.up.mu.Lock()
		sd.up.answer = eventOK
		sd.up.mu.Unlock()
		if resp, _ := rc.roundTrip(nextHead); resp.StatusCode != http.StatusOK {
			t.Fatalf("/next: status %d", resp.StatusCode)
		}
		sd.up.take()
		sd.up.mu.Lock()
		sd.up.answer = accepted
		sd.up.mu.Unlock()
		before := sd.proxy.relayed.Load()
		resp, body := rc.roundTrip(req)
		resp.Header.Del("Date")
		return runtimeSeen{resp.StatusCode, resp.Header, body, resp.Trailer}, sd.up.takeRelayed(t), sd.ic.take(), sd.proxy.relayed.Load() - before
	}
	for _, observe := range []bool{true, false} {
		for _, replace := range [][]byte{nil, []byte(`{"replaced":true}`), {}} {
			raw, usual := start(observe, replace, false), start(observe, replace, true)
			for _, c := range resultCases {
				name := fmt.Sprintf("%s (observe %v, replace %q)", c.name, observe, replace)
				rawGot, rawUp, rawSeen, took := through(raw, c.req)
				usualGot, usualUp, usualSeen, usualTook := through(usual, c.req)
				if took != 0 != c.raw || usualTook != 0 {
					t.Errorf("%s: the byte relay took %d (want raw=%v), %d on the usual path", name, took, c.raw, usualTook)
				}
				if !reflect.DeepEqual(rawSeen, usualSeen) {
					t.Errorf("%s: the Interceptor was shown\n%+v\non the usual path\n%+v", name, rawSeen, usualSeen)
				}
				if !reflect.DeepEqual(rawUp, usualUp) || len(rawUp) != 1 {
					t.Errorf("%s: upstream got\n%+v\non the usual path\n%+v", name, rawUp, usualUp)
				}
				if !reflect.DeepEqual(rawGot, usualGot) {
					t.Errorf("%s: the runtime got\n%+v\non the usual path\n%+v", name, rawGot, usualGot)
				}
				// Each result ends its invocation: the next case's event
				// reuses r1.
				if n := raw.proxy.Pending() + usual.proxy.Pending(); n != 0 && !strings.Contains(c.req, "/r2/") {
					t.Errorf("%s: %d invocations still pending", name, n)
				}
			}
		}
	}
}

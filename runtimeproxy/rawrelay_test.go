package runtimeproxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstreamSeen is a request as the scripted upstream parsed it.
type upstreamSeen struct {
	Method, RequestURI, Host string
	Header, Trailer          http.Header
	ContentLength            int64
	TransferEncoding         []string
	Body                     string
}

// scriptedUpstream answers every request with answer, byte for byte (and
// closes the connection after an answer that says Connection: close), and
// records what it parsed.
type scriptedUpstream struct {
	addr   string
	mu     sync.Mutex
	answer string
	seen   []upstreamSeen
}

func newScriptedUpstream(t *testing.T) *scriptedUpstream {
	t.Helper()
	u := &scriptedUpstream{}
	u.addr = rawUpstream(t, func(c net.Conn, req *http.Request, body []byte) {
		u.mu.Lock()
		u.seen = append(u.seen, upstreamSeen{req.Method, req.RequestURI, req.Host, req.Header, req.Trailer,
			req.ContentLength, req.TransferEncoding, string(body)})
		answer := u.answer
		u.mu.Unlock()
		if _, err := io.WriteString(c, answer); err != nil || strings.Contains(answer, "Connection: close") {
			c.Close()
		}
	})
	return u
}

func (u *scriptedUpstream) take() []upstreamSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	seen := u.seen
	u.seen = nil
	return seen
}

// takeRelayed is take for requests relayed by a proxy: each must have come
// with upstream's Host, which is then cleared, so that the requests of two
// upstreams compare equal.
func (u *scriptedUpstream) takeRelayed(t *testing.T) []upstreamSeen {
	t.Helper()
	seen := u.take()
	for i := range seen {
		if seen[i].Host != u.addr {
			t.Errorf("upstream got Host %q, want %q", seen[i].Host, u.addr)
		}
		seen[i].Host = ""
	}
	return seen
}

// runtimeSeen is an answer as the runtime parsed it.
type runtimeSeen struct {
	Status  int
	Header  http.Header
	Body    string
	Trailer http.Header
}

const (
	nextHead = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9009\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n"
	event    = `{"body":"{\"order_id\":\"o-1\"}","headers":{"a":"b"}}`
	eventOK  = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: r1\r\n" +
		"Lambda-Runtime-Deadline-Ms: 1795705851074\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:012345678912:function:f\r\n" +
		"Lambda-Runtime-Trace-Id: Root=1-abc;Parent=def;Sampled=1\r\nDate: Fri, 27 Nov 2026 07:00:00 GMT\r\nContent-Length: 52\r\n\r\n" + event
	accepted = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nDate: Fri, 27 Nov 2026 07:00:00 GMT\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n"
	goPost   = "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: 127.0.0.1:9009\r\nUser-Agent: aws-lambda-go/go1.26\r\n" +
		"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Body\r\nAccept-Encoding: gzip\r\n\r\n"
)

// relayCases are requests and upstream answers that the byte relay and
// the usual path must relay alike; raw says whether the byte relay takes
// the request.
var relayCases = []struct {
	name, req, answer string
	raw               bool
}{
	{"next", nextHead, eventOK, true},
	{"aws-lambda-go response, chunked, empty trailers", goPost + "7\r\n{\"a\":1}\r\n4\r\n,\"b\"\r\n0\r\n\r\n", accepted, true},
	{"response by length", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", accepted, true},
	{"error", "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Error-Type: Runtime.Unknown\r\nContent-Length: 2\r\n\r\n{}", accepted, true},
	{"init error, no body framing", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\n\r\n", accepted, true},
	{"empty chunked body", goPost + "0\r\n\r\n", accepted, true},
	{"header spacing and case", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\nX-A:  a \t\r\nx-b:\r\nX-A: caf\xc3\xa9\r\n\r\n", eventOK, true},
	{"upstream 500", nextHead, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", true},
	{"upstream 413 to a response", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n\r\n", true},
	{"status without reason", nextHead, "HTTP/1.1 200\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 2\r\n\r\n{}", true},
	{"upstream chunked answer", nextHead, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", true},
	{"upstream chunked error answer", nextHead, "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", true},
	{"upstream hop-by-hop headers", nextHead, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nKeep-Alive: timeout=5\r\nConnection: X-Secret\r\nX-Secret: s\r\nContent-Length: 2\r\n\r\n{}", true},
	{"upstream informational answer first", nextHead, "HTTP/1.1 100 Continue\r\n\r\n" + eventOK, true},
	{"upstream closes", nextHead, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", true},
	{"upstream answers HTTP/1.0", nextHead, "HTTP/1.0 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 2\r\n\r\n{}", true},
	{"trailer values", goPost + "2\r\n{}\r\n0\r\nLambda-Runtime-Function-Error-Type: E\r\n\r\n", accepted, false},
	{"chunk extension", goPost + "2;x=1\r\n{}\r\n0\r\n\r\n", accepted, false},
	{"escaped target", "POST /2018-06-01/runtime/invocation/r%2F1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", accepted, false},
	{"other API", "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: x\r\n\r\n", eventOK, false},
	{"pragma", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\n\r\n", eventOK, false},
	{"streamed response", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", accepted, false},
	{"body over the buffer", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("b", 20000), accepted, false},
	{"64 header lines", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\n" + strings.Repeat("X-H: v\r\n", 62) +
		"Content-Length: 2\r\nHost: x\r\n\r\n{}", accepted, true},
	{"65 header lines", "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\n" + strings.Repeat("X-H: v\r\n", 63) +
		"Content-Length: 2\r\nHost: x\r\n\r\n{}", accepted, false},
	{"bare line feeds", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\nHost: x\n\n", eventOK, false},
}

// TestByteRelayMatchesUsualPath sends each case twice on one connection
// through a proxy on the byte relay and one on the usual path, and
// compares what upstream and the runtime got.
func TestByteRelayMatchesUsualPath(t *testing.T) {
	upRaw, upUsual := newScriptedUpstream(t), newScriptedUpstream(t)
	rawProxy, rawBase := startProxy(t, upRaw.addr, nil)
	usualProxy, usualBase := startProxy(t, upUsual.addr, observing{})
	through := func(base string, up *scriptedUpstream, req, answer string, rounds int) ([]runtimeSeen, []upstreamSeen) {
		up.mu.Lock()
		up.answer = answer
		up.mu.Unlock()
		rc := dialRaw(t, base)
		var got []runtimeSeen
		for range rounds {
			resp, body := rc.roundTrip(req)
			resp.Header.Del("Date")
			got = append(got, runtimeSeen{resp.StatusCode, resp.Header, body, resp.Trailer})
		}
		return got, up.takeRelayed(t)
	}
	for _, c := range relayCases {
		rounds := 2
		if strings.Contains(c.answer, "Connection: close") {
			rounds = 1
		}
		before := rawProxy.relayed.Load()
		rawGot, rawUp := through(rawBase, upRaw, c.req, c.answer, rounds)
		usualGot, usualUp := through(usualBase, upUsual, c.req, c.answer, rounds)
		if took := rawProxy.relayed.Load() - before; took != 0 != c.raw || usualProxy.relayed.Load() != 0 {
			t.Errorf("%s: the byte relay took %d of %d requests (want raw=%v)", c.name, took, rounds, c.raw)
		}
		if !reflect.DeepEqual(rawGot, usualGot) {
			t.Errorf("%s: the runtime got\n%.2000v\non the usual path\n%.2000v", c.name, fmt.Sprintf("%+v", rawGot), fmt.Sprintf("%+v", usualGot))
		}
		if !reflect.DeepEqual(rawUp, usualUp) {
			t.Errorf("%s: upstream got\n%.2000v\non the usual path\n%.2000v", c.name, fmt.Sprintf("%+v", rawUp), fmt.Sprintf("%+v", usualUp))
		}
		if len(rawUp) != rounds || len(rawGot) != rounds {
			t.Errorf("%s: %d requests upstream, %d answers, want %d", c.name, len(rawUp), len(rawGot), rounds)
		}
	}
}

// TestInvocationsTrackedUntilAccepted: an invocation is in flight from its
// event to its accepted result, on the byte relay as on the usual path (the
// local API looks invocations up). It ends before the runtime sees its
// result accepted: the runtime's next request must never find it in flight.
func TestInvocationsTrackedUntilAccepted(t *testing.T) {
	bothPaths(t, testInvocationsTrackedUntilAccepted)
}

func testInvocationsTrackedUntilAccepted(t *testing.T, ic Interceptor) {
	up := newScriptedUpstream(t)
	s, base := startProxy(t, up.addr, ic)
	rc := dialRaw(t, base)
	want := []InFlight{{RequestID: "r1", Deadline: time.UnixMilli(1795705851074)}}
	post := "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
	// step has upstream answer req with answer, and checks the status the
	// runtime gets and what is in flight then.
	step := func(round int, what, answer, req string, status int, inFlight []InFlight) {
		t.Helper()
		up.mu.Lock()
		up.answer = answer
		up.mu.Unlock()
		if resp, _ := rc.roundTrip(req); resp.StatusCode != status {
			t.Fatalf("round %d, %s: status %d, want %d", round, what, resp.StatusCode, status)
		}
		if got := s.InFlight(); !reflect.DeepEqual(got, inFlight) {
			t.Fatalf("round %d, after %s: in flight %+v, want %+v", round, what, got, inFlight)
		}
	}
	const rounds = 200
	for i := range rounds {
		step(i, "the event", eventOK, nextHead, 200, want)
		step(i, "a refused result", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", post, 500, want)
		step(i, "the accepted result", accepted, post, 202, []InFlight{})
	}
	want3 := int64(3 * rounds)
	if _, usual := ic.(observing); usual {
		want3 = 0
	}
	if n := s.relayed.Load(); n != want3 {
		t.Errorf("the byte relay took %d requests, want %d", n, want3)
	}
}

// TestScanChunkedWaitsForTheRest: every proper prefix of a chunked body
// asks for more; the whole body is taken with its sizes.
func TestScanChunkedWaitsForTheRest(t *testing.T) {
	body := "7\r\n{\"a\":1}\r\n1A\r\n" + strings.Repeat("z", 26) + "\r\n0\r\n\r\nNEXT"
	whole := len(body) - len("NEXT")
	for i := 0; i < whole; i++ {
		if _, _, more, ok := scanChunked([]byte(body[:i])); !more || !ok {
			t.Fatalf("prefix %q: more=%v ok=%v", body[:i], more, ok)
		}
	}
	wire, size, more, ok := scanChunked([]byte(body))
	if wire != whole || size != 33 || more || !ok {
		t.Fatalf("got wire=%d size=%d more=%v ok=%v, want %d 33 false true", wire, size, more, ok, whole)
	}
	var data []byte
	chunkData([]byte(body), func(p []byte) { data = append(data, p...) })
	if string(data) != `{"a":1}`+strings.Repeat("z", 26) {
		t.Errorf("data %q", data)
	}
	for _, bad := range []string{"x\r\n", "2\n{}", "2\r\n{}X\r\n", "0\r\nA: 1\r\n\r\n", "12345678\r\n", "2;e\r\n{}\r\n0\r\n\r\n", " 2\r\n"} {
		if _, _, _, ok := scanChunked([]byte(bad)); ok {
			t.Errorf("%q taken", bad)
		}
	}
}

// TestByteRelayConcurrentInvocations: concurrent invocations (Managed
// Instances) on the byte relay, each on its own connection, get their own
// events, post their own results, and leave nothing in flight.
func TestByteRelayConcurrentInvocations(t *testing.T) {
	const n = 16
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("req-%02d", i)
	}
	up := newQueueUpstream(t, ids...)
	s, base := startProxy(t, up.hostPort(), nil)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			rc := dialRaw(t, base)
			resp, ev := rc.roundTrip(nextHead)
			id := resp.Header.Get(HeaderRequestID)
			if ev != `{"id":"`+id+`"}` {
				t.Errorf("event %s for id %q", ev, id)
				return
			}
			body := "answer-for-" + id
			resp, _ = rc.roundTrip("POST " + pathInvocationPrefix + id + "/response HTTP/1.1\r\nHost: x\r\nContent-Length: " +
				itoa(int64(len(body))) + "\r\n\r\n" + body)
			if resp.StatusCode != 202 {
				t.Errorf("%s: status %d", id, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if got := s.InFlight(); len(got) != 0 {
		t.Errorf("still in flight: %+v", got)
	}
	if got := s.relayed.Load(); got != 2*n {
		t.Errorf("the byte relay took %d requests, want %d", got, 2*n)
	}
	seen := map[string]bool{}
	for _, r := range up.requests() {
		if r.Method != "POST" {
			continue
		}
		id := strings.Split(r.Path, "/")[4]
		if seen[id] || string(r.Body) != "answer-for-"+id {
			t.Errorf("upstream %s got %q (seen before: %v)", r.Path, r.Body, seen[id])
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("upstream got %d results, want %d", len(seen), n)
	}
}

// TestEmptyRequestIDIsNotTracked: an event whose request id header is empty
// is no invocation to track, on the byte relay as on the usual path (which
// reads the header's first value).
func TestEmptyRequestIDIsNotTracked(t *testing.T) {
	bothPaths(t, func(t *testing.T, ic Interceptor) {
		up := newScriptedUpstream(t)
		up.answer = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: \r\nLambda-Runtime-Aws-Request-Id: r1\r\nLambda-Runtime-Deadline-Ms: 1795705851074\r\nContent-Length: 2\r\n\r\n{}"
		s, base := startProxy(t, up.addr, ic)
		if resp, body := dialRaw(t, base).roundTrip(nextHead); resp.StatusCode != http.StatusOK || body != "{}" {
			t.Fatalf("/next: %d %q", resp.StatusCode, body)
		}
		if got := s.InFlight(); len(got) != 0 {
			t.Errorf("in flight: %+v", got)
		}
	})
}

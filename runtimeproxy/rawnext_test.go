package runtimeproxy

import (
	"context"
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

// eventSeen is what an Interceptor was shown of an event.
type eventSeen struct {
	RequestID string
	Deadline  time.Time
	Header    http.Header
	Event     string
}

// eventDecider decides on events by request id (Forward when it has no
// decision for one) and records what it is shown, events and results.
type eventDecider struct {
	decisions map[string]Decision
	mu        sync.Mutex
	events    []eventSeen
	results   []resultSeen
}

func (e *eventDecider) Invoke(ctx context.Context, inv *Invocation) Decision {
	if _, ok := ctx.Deadline(); !ok && !inv.Deadline.IsZero() {
		panic("event shown without the invocation's deadline")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, eventSeen{inv.RequestID, inv.Deadline, inv.Header(), string(inv.Event)})
	return e.decisions[inv.RequestID]
}

func (e *eventDecider) Response(_ context.Context, _ *Invocation, res *Result) {
	e.record(res, false)
}

func (e *eventDecider) Error(_ context.Context, _ *Invocation, res *Result) { e.record(res, true) }

func (e *eventDecider) record(res *Result, isError bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results = append(e.results, resultSeen{isError, res.Header(), res.Buffered, string(res.Body), res.Trailer})
}

// queuedUpstream answers each GET /next with the next of its events (the
// last one again when they run out) and every other request with accepted,
// and records what it parsed.
type queuedUpstream struct {
	addr   string
	mu     sync.Mutex
	events []string
	seen   []upstreamSeen
}

func newQueuedUpstream(t *testing.T) *queuedUpstream {
	u := &queuedUpstream{}
	u.addr = rawUpstream(t, func(c net.Conn, req *http.Request, body []byte) {
		u.mu.Lock()
		u.seen = append(u.seen, upstreamSeen{req.Method, req.RequestURI, "", req.Header, req.Trailer,
			req.ContentLength, req.TransferEncoding, string(body)})
		answer := accepted
		if req.Method == http.MethodGet {
			answer = u.events[0]
			if len(u.events) > 1 {
				u.events = u.events[1:]
			}
		}
		u.mu.Unlock()
		if _, err := io.WriteString(c, answer); err != nil || strings.Contains(answer, "Connection: close") {
			c.Close()
		}
	})
	return u
}

// eventAnswer is an upstream /next answer for request id id (none when
// empty) with the given extra header lines and event.
func eventAnswer(id, extra, event string) string {
	h := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	if id != "" {
		h += "Lambda-Runtime-Aws-Request-Id: " + id + "\r\nLambda-Runtime-Deadline-Ms: 1795705851074\r\n"
	}
	return h + extra + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(event)) + event
}

// nextCases are upstream /next answers, each followed by an event for r9;
// raw says whether scanRawResponse takes the first answer (the byte relay
// reads it itself; otherwise net/http reads it), and decided whether it is
// an event the Interceptor decides on.
var nextCases = []struct {
	name         string
	answer       string
	raw, decided bool
}{
	{"plain event", eventOK, true, true},
	{"header spacing, case and repeats", eventAnswer("r1", "x-a:  1 \t\r\nX-A: caf\xc3\xa9\r\nx-b:\r\nHost: h\r\n", event), true, true},
	{"empty event", eventAnswer("r1", "", ""), true, true},
	{"event bigger than the connection's buffer", eventAnswer("r1", "", `"`+strings.Repeat("e", 70_000)+`"`), true, true},
	{"event over the buffering limit (read as it arrives)", eventAnswer("r1", "", `"`+strings.Repeat("b", DefaultMaxBufferedBytes)+`"`), true, true},
	{"no deadline", "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 2\r\n\r\n{}", true, true},
	{"bad deadline", "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nLambda-Runtime-Deadline-Ms: soon\r\nContent-Length: 2\r\n\r\n{}", true, true},
	{"no request id", eventAnswer("", "", event), true, false},
	{"empty request id, then one", "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: \r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 2\r\n\r\n{}", true, false},
	{"upstream error", "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"errorType\":\"Sandbox.Bad\"}", true, false},
	{"chunked event", "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nLambda-Runtime-Deadline-Ms: 1795705851074\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false, true},
	{"event with Connection: close", eventAnswer("r1", "Connection: close\r\n", event), false, true},
	{"chunked upstream error", "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n0\r\n\r\n", false, false},
	{"chunked event without request id", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false, false},
}

// nextDecisions are what the Interceptor decides on r1.
var nextDecisions = []struct {
	name string
	d    Decision
}{
	{"forward", Decision{Action: Forward}},
	{"forward, observed", Decision{Action: Forward, Observe: true}},
	{"forward another event", Decision{Action: Forward, Observe: true, Event: []byte(`{"other":true}`)}},
	{"respond", Decision{Action: Respond, Body: []byte(`{"stored":1}`), ContentType: "application/json"}},
	{"respond, streamed", Decision{Action: Respond, Body: []byte(`{"stored":2}`), Streaming: true}},
	{"fail", Decision{Action: Fail, ErrorType: "IdempotencyAlreadyInProgressError", ErrorMessage: "busy"}},
}

// TestInterceptedEventsMatchUsualPath serves /next through a proxy on the
// byte relay and one on the usual path, for each kind of upstream answer
// and each decision on r1 (the next event, r9, is forwarded), then posts a
// result for the event the runtime got. It compares what the Interceptor
// was shown, what upstream got and what the runtime got.
func TestInterceptedEventsMatchUsualPath(t *testing.T) {
	type side struct {
		proxy *Server
		base  string
		up    *queuedUpstream
		ic    *eventDecider
	}
	start := func(d Decision, usual bool) side {
		up := newQueuedUpstream(t)
		ic := &eventDecider{decisions: map[string]Decision{"r1": d}}
		s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: up.addr, Interceptor: ic, MaxBufferedBytes: 1 << 20}, usual)
		return side{s, "http://" + s.Addr().String(), up, ic}
	}
	type outcome struct {
		Runtime, Result runtimeSeen
		Upstream        []upstreamSeen
		Events          []eventSeen
		Results         []resultSeen
		Pending         int
	}
	through := func(sd side, answer string) (outcome, int64) {
		sd.up.mu.Lock()
		sd.up.events = []string{answer, eventAnswer("r9", "", `{"n":9}`)}
		sd.up.mu.Unlock()
		rc := dialRaw(t, sd.base)
		before := sd.proxy.relayed.Load()
		resp, body := rc.roundTrip(nextHead)
		took := sd.proxy.relayed.Load() - before
		resp.Header.Del("Date")
		var o outcome
		o.Runtime = runtimeSeen{resp.StatusCode, resp.Header, body, resp.Trailer}
		if id := resp.Header.Get(HeaderRequestID); id != "" {
			res, body := rc.roundTrip("POST /2018-06-01/runtime/invocation/" + id + "/response HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n\"done\"")
			res.Header.Del("Date")
			o.Result = runtimeSeen{res.StatusCode, res.Header, body, res.Trailer}
		}
		sd.up.mu.Lock()
		o.Upstream, sd.up.seen = sd.up.seen, nil
		sd.up.mu.Unlock()
		sd.ic.mu.Lock()
		o.Events, o.Results = sd.ic.events, sd.ic.results
		sd.ic.events, sd.ic.results = nil, nil
		sd.ic.mu.Unlock()
		o.Pending = sd.proxy.Pending()
		return o, took
	}
	for _, dc := range nextDecisions {
		raw, usual := start(dc.d, false), start(dc.d, true)
		for _, c := range nextCases {
			name := c.name + ", " + dc.name
			rawGot, took := through(raw, c.answer)
			usualGot, usualTook := through(usual, c.answer)
			if took == 0 || usualTook != 0 {
				t.Errorf("%s: the byte relay took %d requests, the usual path %d", name, took, usualTook)
			}
			if !reflect.DeepEqual(rawGot, usualGot) {
				t.Errorf("%s: on the byte relay\n%+v\non the usual path\n%+v", name, rawGot, usualGot)
			}
			if _, ok := scanRawResponse([]byte(c.answer[:headEnd([]byte(c.answer))])); ok != c.raw {
				t.Errorf("%s: scanRawResponse takes it: %v", name, ok)
			}
			if decided := len(rawGot.Events) > 0 && rawGot.Events[0].RequestID == "r1"; decided != c.decided {
				t.Errorf("%s: the Interceptor decided on r1: %v, want %v", name, decided, c.decided)
			}
			// What both paths must do, whatever they share.
			if c.decided {
				want := eventSeen{RequestID: "r1"}
				if got := rawGot.Events[0]; got.RequestID != want.RequestID || got.Header.Get(HeaderRequestID) != "r1" {
					t.Errorf("%s: the Interceptor was shown %+v", name, got)
				}
				forwarded := dc.d.Action == Forward
				if id := rawGot.Runtime.Header.Get(HeaderRequestID); forwarded != (id == "r1") || !forwarded && id != "r9" {
					t.Errorf("%s: the runtime got the event of %q", name, id)
				}
				if forwarded && dc.d.Event != nil && rawGot.Runtime.Body != string(dc.d.Event) {
					t.Errorf("%s: the runtime got %q, not the Interceptor's event", name, rawGot.Runtime.Body)
				}
				observed := forwarded && dc.d.Observe
				if len(rawGot.Results) != 1 || rawGot.Results[0].Buffered != observed || observed && rawGot.Results[0].Body != `"done"` {
					t.Errorf("%s: the Interceptor was shown results %+v (observed: %v)", name, rawGot.Results, observed)
				}
				// /next and the result; or /next, the answer, /next and the result.
				if want := map[bool]int{true: 2, false: 4}[forwarded]; len(rawGot.Upstream) != want {
					t.Errorf("%s: upstream got %d requests, want %d", name, len(rawGot.Upstream), want)
				}
			}
			if rawGot.Pending != 0 {
				t.Errorf("%s: %d invocations pending after the result", name, rawGot.Pending)
			}
		}
	}
}

// TestRuntimeThatHangsUpWhileAnEventIsAnswered: when the runtime hangs up
// while the Interceptor answers an event itself, the proxy posts the answer
// and fetches no other event for the runtime that went away: the next
// event goes to the runtime that asks next.
func TestRuntimeThatHangsUpWhileAnEventIsAnswered(t *testing.T) {
	for _, usual := range []bool{false, true} {
		t.Run(map[bool]string{false: "byte relay", true: "usual path"}[usual], func(t *testing.T) {
			up := newQueueUpstream(t, "replay-1", "next-2")
			deciding, hungUp := make(chan struct{}), make(chan struct{})
			ic := &recordingInterceptor{decide: func(inv *Invocation) Decision {
				if inv.RequestID != "replay-1" {
					return Decision{Action: Forward}
				}
				close(deciding)
				<-hungUp
				return Decision{Action: Respond, Body: []byte(`"stored"`)}
			}}
			s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: up.hostPort(), Interceptor: ic}, usual)
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(c, nextHead); err != nil {
				t.Fatal(err)
			}
			<-deciding
			c.Close()
			time.Sleep(50 * time.Millisecond) // the close reaches the proxy
			close(hungUp)
			time.Sleep(200 * time.Millisecond)
			var paths []string
			for _, r := range up.requests() {
				paths = append(paths, r.Method+" "+r.Path)
			}
			want := []string{"GET " + pathInvocationNext, "POST " + pathInvocationPrefix + "replay-1/response"}
			if !reflect.DeepEqual(paths, want) {
				t.Fatalf("upstream got %q, want %q", paths, want)
			}
			resp, _ := do(t, "GET", "http://"+s.Addr().String()+pathInvocationNext, nil, nil)
			if id := resp.Header.Get(HeaderRequestID); id != "next-2" {
				t.Fatalf("the next runtime got %q, want next-2", id)
			}
		})
	}
}

// TestHeaderLinesValuesDoNotAlias: the values of a header built by
// headerLines share one array, yet appending to one name's values leaves
// the others as they were.
func TestHeaderLinesValuesDoNotAlias(t *testing.T) {
	lines := []byte("x-a: 1\r\nX-B: 2\r\nX-A: 3\r\nX-C: 4\r\n\r\n")
	h := headerLines(lines, nil)
	want := http.Header{"X-A": {"1", "3"}, "X-B": {"2"}, "X-C": {"4"}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("headerLines = %q, want %q", h, want)
	}
	h["X-B"] = append(h["X-B"], "added")
	h.Add("X-A", "added too")
	want["X-B"] = []string{"2", "added"}
	want["X-A"] = []string{"1", "3", "added too"}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("after appending: %q, want %q", h, want)
	}
	lines[5] = '9' // the header does not share the caller's bytes
	if h.Get("X-A") != "1" {
		t.Fatalf("X-A changed with the lines: %q", h["X-A"])
	}
	if got := headerLines([]byte("\r\n"), nil); got == nil || len(got) != 0 {
		t.Fatalf("no fields: %v", got)
	}
}

// keeper keeps every Invocation and Result it is shown, without reading
// their headers.
type keeper struct {
	mu      sync.Mutex
	invs    []*Invocation
	results []*Result
}

func (k *keeper) Invoke(_ context.Context, inv *Invocation) Decision {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.invs = append(k.invs, inv)
	return Decision{Action: Forward, Observe: true}
}

func (k *keeper) Response(_ context.Context, _ *Invocation, res *Result) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.results = append(k.results, res)
}

func (k *keeper) Error(ctx context.Context, inv *Invocation, res *Result) { k.Response(ctx, inv, res) }

// TestHeadersBuiltLaterAreTheRequests: headers the byte relay builds on
// demand are those of the request or answer they came with, even when the
// Interceptor asks for them after the connection's buffers have carried
// other requests and answers.
func TestHeadersBuiltLaterAreTheRequests(t *testing.T) {
	up := newQueuedUpstream(t)
	k := &keeper{}
	s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: up.addr, Interceptor: k}, false)
	rc := dialRaw(t, s.Addr().String())
	const rounds = 3
	for i := range rounds {
		id := fmt.Sprintf("r%d", i)
		up.mu.Lock()
		up.events = []string{eventAnswer(id, fmt.Sprintf("X-Round: %d\r\n", i), event)}
		up.mu.Unlock()
		if resp, _ := rc.roundTrip(nextHead); resp.Header.Get(HeaderRequestID) != id {
			t.Fatalf("round %d: got the event of %q", i, resp.Header.Get(HeaderRequestID))
		}
		post := fmt.Sprintf("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\nContent-Type: text/round-%d\r\nX-Round: %d\r\nContent-Length: 2\r\n\r\n{}", id, i, i)
		if resp, _ := rc.roundTrip(post); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("round %d: result status %d", i, resp.StatusCode)
		}
	}
	if s.relayed.Load() != 2*rounds || len(k.invs) != rounds || len(k.results) != rounds {
		t.Fatalf("relayed %d, %d events and %d results kept", s.relayed.Load(), len(k.invs), len(k.results))
	}
	for i := range rounds {
		want := fmt.Sprint(i)
		if h := k.invs[i].Header(); h.Get("X-Round") != want || h.Get(HeaderRequestID) != fmt.Sprintf("r%d", i) {
			t.Errorf("event %d: header %q", i, h)
		}
		res := k.results[i]
		if ct := res.ContentType(); ct != "text/round-"+want {
			t.Errorf("result %d: ContentType %q", i, ct)
		}
		if h := res.Header(); h.Get("X-Round") != want || h.Get("Content-Type") != "text/round-"+want || h.Get("Host") != "" {
			t.Errorf("result %d: header %q", i, h)
		}
	}
}

// ctxKeeper forwards every event, observed, and keeps the contexts its
// calls get.
type ctxKeeper struct {
	mu                 sync.Mutex
	invoke, result     context.Context
	answered           context.Context
	liveAtResult       bool
	deadlineMatchesInv bool
}

func (k *ctxKeeper) Invoke(ctx context.Context, inv *Invocation) Decision {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.invoke = ctx
	d, ok := ctx.Deadline()
	k.deadlineMatchesInv = ok && d.Equal(inv.Deadline)
	if inv.RequestID == "answered" {
		k.answered = ctx
		return Decision{Action: Respond, Body: []byte("{}")}
	}
	return Decision{Action: Forward, Observe: true}
}

func (k *ctxKeeper) Response(ctx context.Context, _ *Invocation, _ *Result) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.result, k.liveAtResult = ctx, ctx.Err() == nil
}

func (k *ctxKeeper) Error(ctx context.Context, inv *Invocation, res *Result) {
	k.Response(ctx, inv, res)
}

// TestInvocationContextLivesUntilAccepted: the Interceptor's calls for an
// invocation run under one context, which ends at the invocation's
// deadline, is live while the result is shown, and is cancelled once
// upstream accepted the result; an event the Interceptor answers itself has
// its context cancelled at once.
func TestInvocationContextLivesUntilAccepted(t *testing.T) {
	for _, usual := range []bool{false, true} {
		t.Run(map[bool]string{false: "byte relay", true: "usual path"}[usual], func(t *testing.T) {
			up := newQueuedUpstream(t)
			k := &ctxKeeper{}
			s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: up.addr, Interceptor: k}, usual)
			rc := dialRaw(t, s.Addr().String())
			up.mu.Lock()
			future := func(id string) string {
				return fmt.Sprintf("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %d\r\nContent-Length: 2\r\n\r\n{}",
					id, time.Now().Add(time.Minute).UnixMilli())
			}
			up.events = []string{future("answered"), future("r1")}
			up.mu.Unlock()
			if resp, _ := rc.roundTrip(nextHead); resp.Header.Get(HeaderRequestID) != "r1" {
				t.Fatalf("got the event of %q", resp.Header.Get(HeaderRequestID))
			}
			post := "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
			if resp, _ := rc.roundTrip(post); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("result: status %d", resp.StatusCode)
			}
			k.mu.Lock()
			defer k.mu.Unlock()
			if !k.deadlineMatchesInv {
				t.Error("the context does not end at the invocation's deadline")
			}
			if k.result != k.invoke || !k.liveAtResult {
				t.Errorf("the result was shown under another context (%v) or a dead one (live: %v)", k.result != k.invoke, k.liveAtResult)
			}
			if err := k.invoke.Err(); err != context.Canceled {
				t.Errorf("after the result was accepted, the context's Err is %v", err)
			}
			if err := k.answered.Err(); err != context.Canceled {
				t.Errorf("after the Interceptor answered, its context's Err is %v", err)
			}
		})
	}
}

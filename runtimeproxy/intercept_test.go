package runtimeproxy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// queueUpstream serves /next from a queue of request ids (blocking while it
// is empty, like Lambda) and accepts every other call with 202.
type queueUpstream struct {
	*fakeUpstream
	ids chan string
}

func newQueueUpstream(t *testing.T, ids ...string) *queueUpstream {
	q := &queueUpstream{ids: make(chan string, 128)}
	for _, id := range ids {
		q.ids <- id
	}
	q.fakeUpstream = newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path != pathInvocationNext {
			w.WriteHeader(202)
			_, _ = w.Write([]byte(`{"status":"OK"}`))
			return
		}
		select {
		case id := <-q.ids:
			w.Header().Set(HeaderRequestID, id)
			w.Header().Set(HeaderDeadlineMs, itoa(time.Now().Add(time.Minute).UnixMilli()))
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"id":%q}`, id)
		case <-r.Context().Done():
		}
	})
	return q
}

func TestConcurrentInvocationsMatchTheirRequestIDs(t *testing.T) {
	const n = 16
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("req-%02d", i)
	}
	up := newQueueUpstream(t, ids...)
	ic := &recordingInterceptor{decision: Decision{Action: Forward, Observe: true}}
	s, base := startProxy(t, up.hostPort(), ic)

	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, ev := do(t, "GET", base+pathInvocationNext, nil, nil)
			id := resp.Header.Get(HeaderRequestID)
			var e struct{ ID string }
			if err := json.Unmarshal(ev, &e); err != nil || e.ID != id {
				t.Errorf("event %s carries id %q (%v)", ev, e.ID, err)
				return
			}
			time.Sleep(time.Duration(len(id)%3) * time.Millisecond)
			resp, _ = do(t, "POST", base+pathInvocationPrefix+id+"/response", strings.NewReader("answer-for-"+id), nil)
			if resp.StatusCode != 202 {
				t.Errorf("%s: status %d", id, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if s.Pending() != 0 {
		t.Errorf("%d invocations still tracked", s.Pending())
	}
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if len(ic.resultOf) != n {
		t.Fatalf("interceptor saw %d results, want %d", len(ic.resultOf), n)
	}
	for id, res := range ic.resultOf {
		if string(res.Body) != "answer-for-"+id {
			t.Errorf("result for %s is %q", id, res.Body)
		}
	}
	for _, r := range up.requests() {
		if r.Method == "POST" && string(r.Body) != "answer-for-"+strings.Split(r.Path, "/")[4] {
			t.Errorf("upstream %s got %q", r.Path, r.Body)
		}
	}
}

func TestInterceptorAnswersInvocationsItself(t *testing.T) {
	up := newQueueUpstream(t, "replay-1", "fail-2", "run-3")
	ic := &recordingInterceptor{decide: func(inv *Invocation) Decision {
		switch {
		case strings.HasPrefix(inv.RequestID, "replay"):
			return Decision{Action: Respond, Body: []byte("stored\x00bytes"), ContentType: "application/octet-stream"}
		case strings.HasPrefix(inv.RequestID, "fail"):
			return Decision{Action: Fail, ErrorType: "IdempotencyAlreadyInProgressError", ErrorMessage: "busy"}
		}
		return Decision{Action: Forward}
	}}
	_, base := startProxy(t, up.hostPort(), ic)

	resp, ev := do(t, "GET", base+pathInvocationNext, nil, nil)
	if id := resp.Header.Get(HeaderRequestID); id != "run-3" || string(ev) != `{"id":"run-3"}` {
		t.Fatalf("runtime got %s %s, want run-3", id, ev)
	}
	reqs := up.requests()
	var replay, fail *recorded
	for i := range reqs {
		switch reqs[i].Path {
		case pathInvocationPrefix + "replay-1/response":
			replay = &reqs[i]
		case pathInvocationPrefix + "fail-2/error":
			fail = &reqs[i]
		}
	}
	if replay == nil || string(replay.Body) != "stored\x00bytes" || replay.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("replay not posted upstream as stored: %+v", replay)
	}
	if fail == nil || fail.Header.Get(HeaderFunctionErrorType) != "IdempotencyAlreadyInProgressError" ||
		string(fail.Body) != `{"errorMessage":"busy","errorType":"IdempotencyAlreadyInProgressError"}` {
		t.Errorf("failure not posted upstream: %+v", fail)
	}
	if len(ic.invokes) != 3 {
		t.Errorf("interceptor saw %d invocations, want 3", len(ic.invokes))
	}
}

func TestUpstreamUnreachableGives502(t *testing.T) { bothPaths(t, testUpstreamUnreachableGives502) }

func testUpstreamUnreachableGives502(t *testing.T, ic Interceptor) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	_, base := startProxy(t, dead, ic)
	resp, body := do(t, "GET", base+pathInvocationNext, nil, nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), `"errorType":"Runtime.ProxyUpstreamError"`) {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		if _, err := New(Options{Addr: addr, Upstream: "127.0.0.1:9001"}); err == nil {
			t.Errorf("New(%q) accepted a non-loopback address", addr)
		}
	}
	s, _ := startProxy(t, "127.0.0.1:9", nil)
	_, port, _ := net.SplitHostPort(s.Addr().String())
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err != nil {
		t.Fatalf("loopback dial: %v", err)
	} else {
		c.Close()
	}
	// Another address of this machine must be refused.
	var others []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				others = append(others, ipn.IP.String())
			}
		}
	}
	others = append(others, "127.0.0.2") // loopback range, but not the bound address
	for _, ip := range others {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), time.Second); err == nil {
			c.Close()
			t.Errorf("connection to %s:%s accepted", ip, port)
		}
	}
}

func TestPortInUseFailsNew(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = New(Options{Addr: ln.Addr().String(), Upstream: "127.0.0.1:9001"})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("New on a busy port: %v", err)
	}
}

func TestNoContentTypeIsInvented(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		_, _ = w.Write([]byte("<html>plain bytes</html>"))
	}))
	defer srv.Close()
	_, base := startProxy(t, strings.TrimPrefix(srv.URL, "http://"), nil)
	resp, _ := do(t, "GET", base+"/2020-08-15/logs", nil, nil)
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("proxy added Content-Type %v", ct)
	}
}

// TestRuntimeThatHangsUpTakesNoEvent: a runtime that gives up its /next
// must not leave an upstream long poll behind that swallows the next event.
func TestRuntimeThatHangsUpTakesNoEvent(t *testing.T) {
	bothPaths(t, testRuntimeThatHangsUpTakesNoEvent)
}

func testRuntimeThatHangsUpTakesNoEvent(t *testing.T, ic Interceptor) {
	up := newQueueUpstream(t)
	_, base := startProxy(t, up.hostPort(), ic)
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET " + pathInvocationNext + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	c.Close() // the runtime hangs up while its /next waits upstream
	time.Sleep(300 * time.Millisecond)

	got := make(chan string, 1)
	go func() {
		resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil)
		got <- resp.Header.Get(HeaderRequestID)
	}()
	time.Sleep(100 * time.Millisecond)
	up.ids <- "after-hangup"
	select {
	case id := <-got:
		if id != "after-hangup" {
			t.Fatalf("runtime got %q", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event went to the runtime that hung up: the live runtime never got it")
	}
}

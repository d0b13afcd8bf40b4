package runtimeproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawConn is a runtime that speaks HTTP/1.1 by hand on one connection.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

// roundTrip writes a raw request and reads one response.
func (r *rawConn) roundTrip(raw string) (*http.Response, string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, raw); err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.ReadResponse(r.br, nil)
	for err == nil && resp.StatusCode == http.StatusContinue {
		resp, err = http.ReadResponse(r.br, nil)
	}
	if err != nil {
		r.t.Fatalf("reading the response to %.60q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp, string(body)
}

// TestFastPathHandsOverOnTheSameConnection sends, on one connection, a
// fast-path request, then requests only net/http serves (an unknown route,
// then Expect: 100-continue), and checks that each is answered and
// forwarded.
func TestFastPathHandsOverOnTheSameConnection(t *testing.T) {
	bothPaths(t, testFastPathHandsOverOnTheSameConnection)
}

func testFastPathHandsOverOnTheSameConnection(t *testing.T, ic Interceptor) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path == pathInvocationNext {
			w.Header().Set(HeaderRequestID, "id-1")
			_, _ = w.Write([]byte(`{"n":1}`))
			return
		}
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(body)
	})
	_, base := startProxy(t, up.hostPort(), ic)
	rc := dialRaw(t, base)
	resp, body := rc.roundTrip("GET " + pathInvocationNext + " HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || body != `{"n":1}` || resp.Header.Get(HeaderRequestID) != "id-1" || resp.Header.Get("Date") == "" {
		t.Fatalf("fast /next: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = rc.roundTrip("POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if resp.StatusCode != 202 || body != "{}" || resp.Header.Get("X-Path") != "/2018-06-01/runtime/init/error" {
		t.Fatalf("handed-over request: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = rc.roundTrip("POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
	if resp.StatusCode != 202 || body != "abc" {
		t.Fatalf("request after the hand-over: %d %q", resp.StatusCode, body)
	}
}

// TestFastPathChunkedResponseBody checks that a small chunked /response is
// forwarded with its length, that trailers the runtime sends without
// declaring them still reach upstream (chunked), and that trailers declared
// but sent empty are dropped (the body goes with its length).
func TestFastPathChunkedResponseBody(t *testing.T) {
	var mu sync.Mutex
	var got []recorded
	var te [][]string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.Path, r.Header.Clone(), body, r.Trailer.Clone()})
		te = append(te, r.TransferEncoding)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(up.Close)
	_, base := startProxy(t, strings.TrimPrefix(up.URL, "http://"), nil)
	rc := dialRaw(t, base)
	resp, _ := rc.roundTrip("POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, _ = rc.roundTrip("POST /2018-06-01/runtime/invocation/b/error HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"2\r\nxy\r\n0\r\nLambda-Runtime-Function-Error-Type: E\r\n\r\n")
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// aws-lambda-go's way: trailers declared, sent empty.
	resp, _ = rc.roundTrip("POST /2018-06-01/runtime/invocation/c/response HTTP/1.1\r\nHost: x\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"4\r\n{\"a\"\r\n1\r\n}\r\n0\r\n\r\n")
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || string(got[2].Body) != `{"a"}` || len(te[2]) != 0 || len(got[2].Trailer) != 0 {
		t.Fatalf("third request: body %q, transfer encoding %v, trailers %v", got[2].Body, te[2], got[2].Trailer)
	}
	if string(got[0].Body) != "abcde" || len(te[0]) != 0 || got[0].Header.Get("Content-Length") != "" && got[0].Header.Get("Content-Length") != "5" {
		t.Fatalf("first body %q, transfer encoding %v", got[0].Body, te[0])
	}
	if string(got[1].Body) != "xy" || got[1].Trailer.Get("Lambda-Runtime-Function-Error-Type") != "E" {
		t.Fatalf("second body %q, trailers %v", got[1].Body, got[1].Trailer)
	}
}

// TestDirectClientRetriesAStaleConnection has upstream close every
// connection after each answer, without saying so: the proxy's next
// request finds a dead pooled connection and must send again.
func TestDirectClientRetriesAStaleConnection(t *testing.T) {
	bothPaths(t, testDirectClientRetriesAStaleConnection)
}

func testDirectClientRetriesAStaleConnection(t *testing.T, ic Interceptor) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r\r\nContent-Length: 2\r\n\r\n"+req.Method[:2])
			}()
		}
	}()
	_, base := startProxy(t, ln.Addr().String(), ic)
	for i := range 3 {
		resp, body := do(t, "GET", base+pathInvocationNext, nil, nil)
		if resp.StatusCode != 200 || string(body) != "GE" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // let the close arrive
	}
}

// TestRuntimeGone checks the hang-up probe on a live and a closed
// connection.
func TestRuntimeGone(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if runtimeGone(server) {
		t.Fatal("an open, quiet connection looks gone")
	}
	_, _ = client.Write([]byte("x"))
	time.Sleep(10 * time.Millisecond)
	if runtimeGone(server) {
		t.Fatal("a connection with data pending looks gone")
	}
	buf := make([]byte, 1)
	if _, err := server.Read(buf); err != nil || buf[0] != 'x' {
		t.Fatalf("the probe consumed data: %q %v", buf, err)
	}
	client.Close()
	time.Sleep(10 * time.Millisecond)
	if !runtimeGone(server) {
		t.Fatal("a closed connection does not look gone")
	}
}

// TestShutdownEndsAFastPathLongPoll holds a /next long poll open on the
// fast path: Shutdown waits for it until its context ends, then closes it,
// and Serve returns nil.
func TestShutdownEndsAFastPathLongPoll(t *testing.T) {
	release := make(chan struct{})
	abandoned := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			abandoned <- struct{}{}
		}
	}))
	t.Cleanup(func() { close(release); up.Close() })
	s, err := New(Options{Addr: "127.0.0.1:0", Upstream: strings.TrimPrefix(up.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET "+pathInvocationNext+" HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err == nil {
		t.Error("Shutdown returned nil with a long poll still open")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("Shutdown returned after %v, before its context ended", d)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after Shutdown")
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the long poll's connection is still open")
	}
	select { // the upstream /next of the closed long poll is abandoned too
	case <-abandoned:
	case <-time.After(2 * time.Second):
		t.Error("the upstream /next of the closed long poll is still waiting")
	}
}

// TestDirectPathReusesUpstreamConnections runs invocations one after the
// other: the proxy must keep using one upstream connection, not dial anew.
func TestDirectPathReusesUpstreamConnections(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathInvocationNext {
			w.Header().Set(HeaderRequestID, "id")
			_, _ = w.Write([]byte(`{"event":1}`))
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"OK"}`))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	_, base := startProxy(t, strings.TrimPrefix(up.URL, "http://"), nil)
	rc := dialRaw(t, base)
	for i := range 5 {
		if resp, body := rc.roundTrip("GET " + pathInvocationNext + " HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || body != `{"event":1}` {
			t.Fatalf("next %d: %d %q", i, resp.StatusCode, body)
		}
		if resp, body := rc.roundTrip("POST /2018-06-01/runtime/invocation/id/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); resp.StatusCode != 202 || body != `{"status":"OK"}` {
			t.Fatalf("response %d: %d %q", i, resp.StatusCode, body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("upstream saw %d connections for 10 requests in a row, want 1", conns)
	}
}

func TestHTTPDateFollowsTheClock(t *testing.T) {
	var d cachedDate
	t0 := time.Date(2026, 11, 26, 23, 0, 0, 100, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{t0, "Thu, 26 Nov 2026 23:00:00 GMT"},
		{t0.Add(500 * time.Millisecond), "Thu, 26 Nov 2026 23:00:00 GMT"},
		{t0.Add(time.Second).In(time.FixedZone("x", 3600)), "Thu, 26 Nov 2026 23:00:01 GMT"},
		{t0.Add(-time.Hour), "Thu, 26 Nov 2026 22:00:00 GMT"}, // the clock stepped back
		{time.Unix(0, 0), "Thu, 01 Jan 1970 00:00:00 GMT"},
	} {
		if got := d.at(c.at); got != c.want {
			t.Errorf("at(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}

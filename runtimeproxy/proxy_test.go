package runtimeproxy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is what the fake upstream received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	Trailer      http.Header
}

// fakeUpstream is a Runtime API stand-in that records every request and
// answers with handle.
type fakeUpstream struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	nextID string // request id served on /next by handlers that use serveNextID
}

// serveNextID answers /next with an event for f.nextID, and anything else with 202.
func (f *fakeUpstream) serveNextID(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == pathInvocationNext {
		f.mu.Lock()
		id := f.nextID
		f.mu.Unlock()
		w.Header().Set(HeaderRequestID, id)
		w.Header().Set(HeaderDeadlineMs, itoa(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
		return
	}
	w.WriteHeader(202)
}

func newFakeUpstream(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream read body: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.EscapedPath(), r.Header.Clone(), body, r.Trailer.Clone()})
		f.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeUpstream) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeUpstream) hostPort() string { return strings.TrimPrefix(f.URL, "http://") }

// startProxy starts a proxy in front of upstream on a free loopback port.
func startProxy(t *testing.T, upstream string, ic Interceptor) (*Server, string) {
	t.Helper()
	_, usual := ic.(observing)
	s := startServer(t, Options{Addr: "127.0.0.1:0", Upstream: upstream, Interceptor: ic}, usual)
	return s, "http://" + s.Addr().String()
}

// startServer starts a proxy with opts, kept off the byte relay if
// usualOnly, and shuts it down when the test ends.
func startServer(t *testing.T, opts Options, usualOnly bool) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.usualOnly = usualOnly
	go func() {
		if err := s.Serve(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

func do(t *testing.T, method, url string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestStatusCodesPassThroughUnchanged(t *testing.T) {
	bothPaths(t, testStatusCodesPassThroughUnchanged)
}

func testStatusCodesPassThroughUnchanged(t *testing.T, ic Interceptor) {
	paths := []struct{ method, path string }{
		{"GET", "/2018-06-01/runtime/invocation/next"},
		{"POST", "/2018-06-01/runtime/invocation/req-1/response"},
		{"POST", "/2018-06-01/runtime/invocation/req-1/error"},
		{"POST", "/2018-06-01/runtime/init/error"},
		{"POST", "/2020-01-01/extension/register"},
		{"GET", "/2020-01-01/extension/event/next"},
		{"PUT", "/2022-07-01/telemetry"},
		{"GET", "/2026-01-15/metadata/execution-environment"},
		{"GET", "/2018-06-01/runtime/restore/next"},
	}
	for _, code := range []int{200, 202, 400, 403, 404, 413, 500, 502} {
		up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
			w.Header().Set("X-Custom", "kept")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"errorMessage":"m","errorType":"T","path":"` + r.URL.Path + `"}`))
		})
		_, base := startProxy(t, up.hostPort(), ic)
		for _, p := range paths {
			resp, body := do(t, p.method, base+p.path, strings.NewReader("x"), nil)
			if resp.StatusCode != code {
				t.Errorf("%s %s: status %d, want %d", p.method, p.path, resp.StatusCode, code)
			}
			if got := resp.Header.Get("X-Custom"); got != "kept" {
				t.Errorf("%s %s: X-Custom = %q", p.method, p.path, got)
			}
			want := `{"errorMessage":"m","errorType":"T","path":"` + p.path + `"}`
			if string(body) != want {
				t.Errorf("%s %s: body %q, want %q", p.method, p.path, body, want)
			}
		}
		for i, r := range up.requests() {
			if r.Method != paths[i].method || r.Path != paths[i].path {
				t.Errorf("upstream got %s %s, want %s %s", r.Method, r.Path, paths[i].method, paths[i].path)
			}
		}
	}
}

func TestHeadersBothWaysWithoutHopByHop(t *testing.T) {
	bothPaths(t, testHeadersBothWaysWithoutHopByHop)
}

func testHeadersBothWaysWithoutHopByHop(t *testing.T, ic Interceptor) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", "abc")
		h.Set("Lambda-Runtime-Deadline-Ms", "1795705851074")
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:f")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-abc;Parent=def;Sampled=1")
		h.Set("Lambda-Runtime-Client-Context", `{"custom":{"a":"b"}}`)
		h.Set("Connection", "X-Secret")
		h.Set("X-Secret", "hop")
		h.Set("Keep-Alive", "timeout=5")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{}`))
	})
	_, base := startProxy(t, up.hostPort(), ic)

	resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil)
	for _, k := range []string{"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Client-Context"} {
		if resp.Header.Get(k) == "" {
			t.Errorf("/next response lost %s", k)
		}
	}
	if resp.Header.Get("X-Secret") != "" || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("hop-by-hop headers leaked to the runtime: %v", resp.Header)
	}

	send := http.Header{
		"Content-Type":                             {"application/vnd.aws.lambda.error.cause+json"},
		"Lambda-Runtime-Function-Error-Type":       {"Runtime.MyError"},
		"Lambda-Runtime-Function-Xray-Error-Cause": {`{"exceptions":[]}`},
		"Connection":                               {"X-Hop"},
		"X-Hop":                                    {"nope"},
		"X-Other":                                  {"a", "b"},
	}
	do(t, "POST", base+"/2018-06-01/runtime/invocation/abc/error", strings.NewReader(`{"errorMessage":"boom"}`), send)
	got := up.requests()[1]
	for _, k := range []string{"Content-Type", "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Xray-Error-Cause"} {
		if got.Header.Get(k) != send.Get(k) {
			t.Errorf("upstream %s = %q, want %q", k, got.Header.Get(k), send.Get(k))
		}
	}
	if v := got.Header.Values("X-Other"); len(v) != 2 {
		t.Errorf("multi-valued header = %v", v)
	}
	if got.Header.Get("X-Hop") != "" {
		t.Error("header named in Connection leaked upstream")
	}
	if ua := got.Header.Get("User-Agent"); ua != "Go-http-client/1.1" {
		t.Errorf("User-Agent = %q, want the runtime's own", ua)
	}
	if string(got.Body) != `{"errorMessage":"boom"}` {
		t.Errorf("body = %q", got.Body)
	}
}

func TestTrailersArriveUpstream(t *testing.T) {
	var up *fakeUpstream
	up = newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { up.serveNextID(w, r) })
	for _, observe := range []bool{false, true} {
		ic := &recordingInterceptor{decision: Decision{Action: Forward, Observe: observe}}
		_, base := startProxy(t, up.hostPort(), ic)
		trackInvocation(t, base, up, "req-tr")
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", base+"/2018-06-01/runtime/invocation/req-tr/response", pr)
		req.Trailer = http.Header{HeaderFunctionErrorType: nil, HeaderFunctionErrorBody: nil}
		go func() {
			_, _ = pw.Write([]byte("partial"))
			req.Trailer.Set(HeaderFunctionErrorType, "Function.StreamError")
			req.Trailer.Set(HeaderFunctionErrorBody, "Ym9vbQ==")
			pw.Close()
		}()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		reqs := up.requests()
		last := reqs[len(reqs)-1]
		if last.Trailer.Get(HeaderFunctionErrorType) != "Function.StreamError" || last.Trailer.Get(HeaderFunctionErrorBody) != "Ym9vbQ==" {
			t.Errorf("observe=%v: upstream trailers = %v", observe, last.Trailer)
		}
		if string(last.Body) != "partial" {
			t.Errorf("observe=%v: body = %q", observe, last.Body)
		}
		if observe && ic.errors() != 1 {
			t.Errorf("a response with an error trailer must reach Interceptor.Error, got %d calls", ic.errors())
		}
	}
}

// trackInvocation has the proxy hand request id out to the runtime through
// /next, served by the fake upstream's nextID.
func trackInvocation(t *testing.T, base string, up *fakeUpstream, id string) {
	t.Helper()
	up.mu.Lock()
	up.nextID = id
	up.mu.Unlock()
	resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil)
	if got := resp.Header.Get(HeaderRequestID); got != id {
		t.Fatalf("/next handed out %q, want %q", got, id)
	}
}

func TestStreamingResponseIsFlushedChunkByChunk(t *testing.T) {
	got := make(chan string, 16)
	up := newFakeUpstreamStreaming(t, got)
	_, base := startProxy(t, up, nil)

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/2018-06-01/runtime/invocation/req-s/response", pr)
	req.Header.Set(HeaderResponseMode, ResponseModeStreaming)
	req.Header.Set("Content-Type", "application/vnd.awslambda.http-integration-response")
	req.Trailer = http.Header{HeaderFunctionErrorType: nil, HeaderFunctionErrorBody: nil}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for i, chunk := range []string{"first chunk;", "second chunk;", "third chunk"} {
		if _, err := pw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-got:
			if c != chunk {
				t.Fatalf("chunk %d: upstream read %q, want %q", i, c, chunk)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("chunk %d did not reach upstream while the runtime was still writing", i)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// newFakeUpstreamStreaming reads request bodies chunk by chunk and reports each read.
func newFakeUpstreamStreaming(t *testing.T, got chan<- string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderResponseMode) != ResponseModeStreaming {
			t.Errorf("response mode header lost")
		}
		buf := make([]byte, 1024)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				got <- string(buf[:n])
			}
			if err != nil {
				break
			}
		}
		w.WriteHeader(202)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestLargeBodiesPassThrough(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 7<<20/16) // 7 MiB: over the buffering limit
	var up *fakeUpstream
	up = newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path == pathInvocationNext && r.Header.Get("X-Big") != "" {
			w.Header().Set(HeaderRequestID, "big")
			_, _ = w.Write(big)
			return
		}
		up.serveNextID(w, r)
	})
	ic := &recordingInterceptor{decision: Decision{Action: Forward, Observe: true}}
	_, base := startProxy(t, up.hostPort(), ic)
	_, ev := do(t, "GET", base+pathInvocationNext, nil, http.Header{"X-Big": {"1"}})
	if !bytes.Equal(ev, big) {
		t.Fatalf("event of %d bytes came back as %d bytes", len(big), len(ev))
	}
	for _, size := range []int{6 << 20, DefaultMaxBufferedBytes, 7 << 20} {
		ic.reset()
		trackInvocation(t, base, up, "big")
		resp, _ := do(t, "POST", base+"/2018-06-01/runtime/invocation/big/response", bytes.NewReader(big[:size]), nil)
		if resp.StatusCode != 202 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		reqs := up.requests()
		if got := reqs[len(reqs)-1].Body; !bytes.Equal(got, big[:size]) {
			t.Errorf("size %d: upstream got %d bytes", size, len(got))
		}
		res := ic.lastResult()
		if res == nil {
			t.Fatalf("size %d: interceptor not called", size)
		}
		if wantBuffered := size <= DefaultMaxBufferedBytes; res.Buffered != wantBuffered || (wantBuffered && len(res.Body) != size) {
			t.Errorf("size %d: Buffered=%v len=%d", size, res.Buffered, len(res.Body))
		}
	}
}

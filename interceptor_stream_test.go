package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
	"github.com/idemproxy/idemproxy/store/memory"
)

// The emulator buffers streamed responses (it accepts the streaming mode
// but ignores chunking and trailers), so streaming is tested here, against
// an in-process Runtime API that records how each answer was posted.

const httpIntegration = "application/vnd.awslambda.http-integration-response"

type streamPosted struct {
	header  http.Header
	chunked bool
	body    []byte
	trailer http.Header
}

type streamRuntimeAPI struct {
	srv    *httptest.Server
	events chan [2]string
	mu     sync.Mutex
	posts  map[string]streamPosted
}

func newStreamRuntimeAPI(t *testing.T) *streamRuntimeAPI {
	f := &streamRuntimeAPI{events: make(chan [2]string, 16), posts: map[string]streamPosted{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			select {
			case ev := <-f.events:
				w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev[0])
				w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
				_, _ = io.WriteString(w, ev[1])
			case <-r.Context().Done():
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.posts[r.URL.Path] = streamPosted{r.Header.Clone(), len(r.TransferEncoding) > 0, b, r.Trailer.Clone()}
		f.mu.Unlock()
		w.WriteHeader(202)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *streamRuntimeAPI) post(t *testing.T, id string) streamPosted {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.posts["/2018-06-01/runtime/invocation/"+id+"/response"]
	if !ok {
		t.Fatalf("nothing posted upstream for %s", id)
	}
	return p
}

type streamHarness struct {
	t    *testing.T
	up   *streamRuntimeAPI
	core *idempotency.Core
	mem  *memory.Store
	base string
}

func newStreamHarness(t *testing.T, rc ResponseConfig) *streamHarness {
	h := &streamHarness{t: t, up: newStreamRuntimeAPI(t), mem: memory.New()}
	core, err := idempotency.New(idempotency.Config{Key: idempotency.KeyConfig{EventKeyJMESPath: "id", KeyPrefix: "fn.h"},
		ExpiresAfter: time.Hour}, h.mem)
	if err != nil {
		t.Fatal(err)
	}
	h.core = core
	srv, err := runtimeproxy.New(runtimeproxy.Options{Addr: "127.0.0.1:0", Upstream: strings.TrimPrefix(h.up.srv.URL, "http://"),
		Interceptor: idempotent{core: core, streaming: rc}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	h.base = "http://" + srv.Addr().String() + "/2018-06-01/runtime/invocation/"
	return h
}

// next is the runtime's /next: the request id it got.
func (h *streamHarness) next() string {
	resp, err := http.Get(h.base + "next")
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
}

// stream posts a streamed response in chunks; errorType, if set, is sent
// as the error trailer after the body.
func (h *streamHarness) stream(id string, chunks []string, errorType string) {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", h.base+id+"/response", pr)
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Header.Set("Content-Type", httpIntegration)
	req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	go func() {
		for _, c := range chunks {
			_, _ = pw.Write([]byte(c))
		}
		if errorType != "" {
			req.Trailer.Set("Lambda-Runtime-Function-Error-Type", errorType)
			req.Trailer.Set("Lambda-Runtime-Function-Error-Body", "Ym9vbQ==")
		}
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		h.t.Fatalf("%s: status %d", id, resp.StatusCode)
	}
}

var urlStream = []string{`{"statusCode":201,"headers":{"x-order":"42"},"cookies":["a=b"]}`, "\x00\x00\x00\x00\x00\x00\x00\x00",
	"first chunk;", "second chunk;", "\x00binary\xff tail"}

func TestCapturedStreamIsReplayedAsAStream(t *testing.T) {
	h := newStreamHarness(t, ResponseConfig{Streaming: StreamingCapture, StreamingMaxBytes: 1 << 20})
	h.up.events <- [2]string{"r1", `{"id":"a"}`}
	h.up.events <- [2]string{"r2", `{"id":"a"}`} // duplicate: replayed by the proxy
	h.up.events <- [2]string{"r3", `{"id":"z"}`}
	if id := h.next(); id != "r1" {
		t.Fatalf("runtime got %s", id)
	}
	h.stream("r1", urlStream, "")
	if id := h.next(); id != "r3" {
		t.Fatalf("runtime got %s, want r3 (r2 is a replay)", id)
	}
	want := strings.Join(urlStream, "")
	first, replay := h.up.post(t, "r1"), h.up.post(t, "r2")
	if string(first.body) != want {
		t.Fatalf("the live stream reached upstream as %q", first.body)
	}
	if string(replay.body) != want || !replay.chunked || replay.header.Get("Lambda-Runtime-Function-Response-Mode") != "streaming" ||
		replay.header.Get("Content-Type") != httpIntegration {
		t.Errorf("replay posted as %+v, want the stream %q, chunked, streaming, %s", replay, want, httpIntegration)
	}
	if st := h.core.Stats(); st.Completed != 1 || st.Replayed != 1 || st.Unrecorded != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestStreamsNotRecorded: an error trailer, a stream over the cap and a
// stream in passthrough mode all release the record, so a retry runs.
func TestStreamsNotRecorded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rc        ResponseConfig
		errorType string
		stat      func(idempotency.Stats) int64
	}{
		{"error trailer", ResponseConfig{Streaming: StreamingCapture, StreamingMaxBytes: 1 << 20}, "Function.Boom",
			func(s idempotency.Stats) int64 { return s.HandlerErrors }},
		{"over the cap", ResponseConfig{Streaming: StreamingCapture, StreamingMaxBytes: 64}, "",
			func(s idempotency.Stats) int64 { return s.Unrecorded }},
		{"passthrough", ResponseConfig{Streaming: StreamingPassthrough, StreamingMaxBytes: 1 << 20}, "",
			func(s idempotency.Stats) int64 { return s.Unrecorded }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStreamHarness(t, tc.rc)
			h.up.events <- [2]string{"r1", `{"id":"b"}`}
			h.up.events <- [2]string{"r2", `{"id":"b"}`} // a retry: runs again
			if id := h.next(); id != "r1" {
				t.Fatalf("runtime got %s", id)
			}
			h.stream("r1", urlStream, tc.errorType)
			if id := h.next(); id != "r2" {
				t.Fatalf("runtime got %s, want the retry r2", id)
			}
			if got := h.up.post(t, "r1"); !bytes.Equal(got.body, []byte(strings.Join(urlStream, ""))) ||
				got.trailer.Get("Lambda-Runtime-Function-Error-Type") != tc.errorType {
				t.Errorf("upstream got %q, trailers %v", got.body, got.trailer)
			}
			if st := h.core.Stats(); tc.stat(st) != 1 || st.Completed != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

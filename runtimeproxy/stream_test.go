package runtimeproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const httpIntegration = "application/vnd.awslambda.http-integration-response"

// streamUpstream serves /next with one request id and reads every POST
// chunk by chunk, reporting each read on chunks, then answers with status.
type streamUpstream struct {
	srv    *httptest.Server
	id     string
	status int
	chunks chan string

	mu    sync.Mutex
	posts []streamPost
}

type streamPost struct {
	path     string
	header   http.Header
	chunked  bool
	body     []byte
	trailer  http.Header
	complete bool // body read to io.EOF
}

func newStreamUpstream(t *testing.T, id string, status int) *streamUpstream {
	u := &streamUpstream{id: id, status: status, chunks: make(chan string, 64)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathInvocationNext {
			u.mu.Lock()
			id := u.id
			u.mu.Unlock()
			w.Header().Set(HeaderRequestID, id)
			w.Header().Set(HeaderDeadlineMs, itoa(time.Now().Add(time.Minute).UnixMilli()))
			_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
			return
		}
		p := streamPost{path: r.URL.Path, header: r.Header.Clone(),
			chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"}
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				p.body = append(p.body, buf[:n]...)
				u.chunks <- string(buf[:n])
			}
			if err != nil {
				p.complete = err == io.EOF
				break
			}
		}
		p.trailer = r.Trailer.Clone()
		u.mu.Lock()
		u.posts = append(u.posts, p)
		u.mu.Unlock()
		w.WriteHeader(u.status)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *streamUpstream) hostPort() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func (u *streamUpstream) lastPost(t *testing.T) streamPost {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.posts) == 0 {
		t.Fatal("upstream got no POST")
	}
	return u.posts[len(u.posts)-1]
}

// sinkRecorder is a StreamSink that keeps everything it is given.
type sinkRecorder struct {
	mu   sync.Mutex
	got  bytes.Buffer
	ends []StreamEnd
}

func (s *sinkRecorder) Write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ends) > 0 {
		panic("Write after End")
	}
	s.got.Write(p)
}

func (s *sinkRecorder) End(_ context.Context, e StreamEnd) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ends = append(s.ends, e)
}

func (s *sinkRecorder) result(t *testing.T) ([]byte, StreamEnd) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ends) != 1 {
		t.Fatalf("End called %d times, want once", len(s.ends))
	}
	return bytes.Clone(s.got.Bytes()), s.ends[0]
}

// streamInterceptor observes every invocation and hands out sinks.
type streamInterceptor struct {
	recordingInterceptor
	noSink bool
	sink   *sinkRecorder
}

func (s *streamInterceptor) ObserveStream(_ context.Context, _ *Invocation, res *Result) StreamSink {
	if s.noSink {
		return nil
	}
	if res.ContentType() != httpIntegration {
		panic("ObserveStream without the runtime's headers")
	}
	return s.sink
}

func newStreamInterceptor() *streamInterceptor {
	return &streamInterceptor{recordingInterceptor: recordingInterceptor{decision: Decision{Action: Forward, Observe: true}},
		sink: &sinkRecorder{}}
}

// postStream starts the runtime's streamed /response for id and returns
// the writer of its body and a channel with the answer's status.
func postStream(t *testing.T, base, id string, trailer http.Header) (*io.PipeWriter, <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+pathInvocationPrefix+id+"/response", pr)
	req.Header.Set(HeaderResponseMode, ResponseModeStreaming)
	req.Header.Set("Content-Type", httpIntegration)
	req.Trailer = trailer
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return pw, done
}

func startStream(t *testing.T, status int) (*streamUpstream, *streamInterceptor, *Server, string) {
	up := newStreamUpstream(t, "req-s", status)
	ic := newStreamInterceptor()
	s, base := startProxy(t, up.hostPort(), ic)
	if resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil); resp.Header.Get(HeaderRequestID) != "req-s" {
		t.Fatal("no invocation")
	}
	return up, ic, s, base
}

func TestStreamSinkSeesTheLiveStreamAndItsEnd(t *testing.T) {
	up, ic, s, base := startStream(t, 202)
	pw, done := postStream(t, base, "req-s", http.Header{HeaderFunctionErrorType: nil, HeaderFunctionErrorBody: nil})
	parts := []string{"{\"statusCode\":200}\x00\x00\x00\x00\x00\x00\x00\x00", "first;", "second;", "third"}
	for i, chunk := range parts {
		if _, err := pw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		select { // each chunk is upstream before the runtime writes the next
		case c := <-up.chunks:
			if c != chunk {
				t.Fatalf("chunk %d: upstream read %q, want %q", i, c, chunk)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("chunk %d did not reach upstream while the runtime was still writing", i)
		}
	}
	pw.Close()
	if status := <-done; status != 202 {
		t.Fatalf("runtime got %d", status)
	}
	// End ran before the runtime got its answer.
	got, end := ic.sink.result(t)
	want := strings.Join(parts, "")
	if string(got) != want || !end.Complete || end.Status != 202 || end.Bytes != int64(len(want)) || end.FunctionError() {
		t.Errorf("sink got %q, end %+v", got, end)
	}
	p := up.lastPost(t)
	if string(p.body) != want || !p.complete || p.header.Get("Content-Type") != httpIntegration ||
		p.header.Get(HeaderResponseMode) != ResponseModeStreaming {
		t.Errorf("upstream got %q complete=%v headers %v", p.body, p.complete, p.header)
	}
	if ic.lastResult() != nil {
		t.Error("Interceptor.Response or Error was called for an observed stream")
	}
	if s.Pending() != 0 {
		t.Errorf("%d invocations still tracked", s.Pending())
	}
}

func TestStreamSinkSeesTheErrorTrailer(t *testing.T) {
	up, ic, _, base := startStream(t, 202)
	tr := http.Header{HeaderFunctionErrorType: nil, HeaderFunctionErrorBody: nil}
	pw, done := postStream(t, base, "req-s", tr)
	_, _ = pw.Write([]byte("partial"))
	tr.Set(HeaderFunctionErrorType, "Function.Boom")
	tr.Set(HeaderFunctionErrorBody, "Ym9vbQ==")
	pw.Close()
	if status := <-done; status != 202 {
		t.Fatalf("runtime got %d", status)
	}
	_, end := ic.sink.result(t)
	if !end.FunctionError() || end.Trailer.Get(HeaderFunctionErrorType) != "Function.Boom" {
		t.Errorf("end %+v: error trailer not reported", end)
	}
	if p := up.lastPost(t); p.trailer.Get(HeaderFunctionErrorType) != "Function.Boom" {
		t.Errorf("upstream trailers %v", p.trailer)
	}
}

func TestStreamSinkSeesABrokenBodyAsIncomplete(t *testing.T) {
	_, ic, _, base := startStream(t, 202)
	pw, done := postStream(t, base, "req-s", nil)
	_, _ = pw.Write([]byte("partial"))
	time.Sleep(50 * time.Millisecond) // let the chunk through
	pw.CloseWithError(errors.New("runtime crashed"))
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for {
		ic.sink.mu.Lock()
		n := len(ic.sink.ends)
		ic.sink.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, end := ic.sink.result(t); end.Complete {
		t.Errorf("end %+v: a broken body reported complete", end)
	}
}

func TestStreamSinkSeesUpstreamRefusal(t *testing.T) {
	_, ic, _, base := startStream(t, 413)
	pw, done := postStream(t, base, "req-s", nil)
	_, _ = pw.Write([]byte("too much"))
	pw.Close()
	if status := <-done; status != 413 {
		t.Fatalf("runtime got %d, want upstream's 413", status)
	}
	if _, end := ic.sink.result(t); end.Complete || end.Status != 413 {
		t.Errorf("end %+v", end)
	}
}

func TestNoStreamSinkKeepsTheUnbufferedResponseCall(t *testing.T) {
	_, ic, _, base := startStream(t, 202)
	ic.noSink = true
	pw, done := postStream(t, base, "req-s", nil)
	_, _ = pw.Write([]byte("data"))
	pw.Close()
	<-done
	res := ic.lastResult()
	if res == nil || res.Buffered || ic.errors() != 0 {
		t.Fatalf("Response not called as unbuffered: %+v", res)
	}
	if ic.sink.got.Len() != 0 {
		t.Error("sink used although ObserveStream returned nil")
	}
}

func TestStreamingReplayIsPostedAsAStream(t *testing.T) {
	up := newStreamUpstream(t, "replay-1", 202)
	body := []byte("{\"statusCode\":201}\x00\x00\x00\x00\x00\x00\x00\x00stored body")
	ic := &recordingInterceptor{decide: func(inv *Invocation) Decision {
		if inv.RequestID == "replay-1" {
			up.mu.Lock()
			up.id = "run-2"
			up.mu.Unlock()
			return Decision{Action: Respond, Body: body, ContentType: httpIntegration, Streaming: true}
		}
		return Decision{Action: Forward}
	}}
	_, base := startProxy(t, up.hostPort(), ic)
	if resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil); resp.Header.Get(HeaderRequestID) != "run-2" {
		t.Fatal("the replayed invocation reached the runtime")
	}
	p := up.lastPost(t)
	if p.path != pathInvocationPrefix+"replay-1/response" || !bytes.Equal(p.body, body) || !p.chunked ||
		p.header.Get(HeaderResponseMode) != ResponseModeStreaming || p.header.Get("Content-Type") != httpIntegration {
		t.Errorf("replay posted as %+v", p)
	}
}

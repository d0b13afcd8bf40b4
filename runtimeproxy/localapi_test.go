package runtimeproxy

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLocalAPIRoutedNotForwarded: paths under LocalAPIPrefix go to the
// LocalAPI handler, on the same listener as the Runtime API, and never
// upstream; while an invocation is in flight, InFlight reports it with its
// deadline, and not after its result was posted.
func TestLocalAPIRoutedNotForwarded(t *testing.T) {
	up := newQueueUpstream(t, "req-1")
	var s *Server
	var seen []InFlight
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = s.InFlight()
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(append([]byte("local:"+r.Method+" "+r.URL.Path+" "), b...))
	})
	var err error
	s, err = New(Options{Addr: "127.0.0.1:0", Upstream: up.hostPort(), LocalAPI: local})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	base := "http://" + s.Addr().String()

	resp, _ := do(t, "GET", base+pathInvocationNext, nil, nil)
	deadline := parseDeadline(resp.Header.Get(HeaderDeadlineMs))
	resp, body := do(t, "POST", base+LocalAPIPrefix+"v1/claim", strings.NewReader(`{"x":1}`), nil)
	if resp.StatusCode != http.StatusTeapot || string(body) != `local:POST /idemproxy/v1/claim {"x":1}` {
		t.Fatalf("local API answer %d %q", resp.StatusCode, body)
	}
	if len(seen) != 1 || seen[0].RequestID != "req-1" || !seen[0].Deadline.Equal(deadline) || deadline.IsZero() {
		t.Fatalf("InFlight during the invocation = %+v, want req-1 with deadline %v", seen, deadline)
	}
	do(t, "POST", base+pathInvocationPrefix+"req-1/response", strings.NewReader("ok"), nil)
	if got := s.InFlight(); len(got) != 0 {
		t.Fatalf("InFlight after the response = %+v", got)
	}
	for _, r := range up.requests() {
		if strings.HasPrefix(r.Path, LocalAPIPrefix) {
			t.Fatalf("local API request forwarded upstream: %s", r.Path)
		}
	}
	// Without a LocalAPI handler, the same path is forwarded untouched.
	plain, base2 := startProxy(t, up.hostPort(), nil)
	_ = plain
	resp, _ = do(t, "POST", base2+LocalAPIPrefix+"v1/claim", strings.NewReader(`{}`), nil)
	if resp.StatusCode != 202 {
		t.Fatalf("no LocalAPI: status %d, want upstream's 202", resp.StatusCode)
	}
}

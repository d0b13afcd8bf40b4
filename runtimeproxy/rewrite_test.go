package runtimeproxy

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// rewriter replaces the event and the response.
type rewriter struct{ recordingInterceptor }

func (r *rewriter) Response(ctx context.Context, inv *Invocation, res *Result) {
	r.recordingInterceptor.Response(ctx, inv, res)
	if res.Buffered {
		res.Replace = []byte("rewritten:" + string(res.Body))
	}
}

// TestDecisionEventAndResponseRewrite: Decision.Event reaches the runtime
// instead of the upstream event (Invocation.Event keeps the original), and
// Result.Replace is what upstream receives, with its own length, whether
// the runtime sent a length, a chunked body, or declared trailers.
func TestDecisionEventAndResponseRewrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		chunk  bool
	}{
		{"length", nil, false},
		{"chunked", nil, true},
		{"declared trailers", http.Header{"Trailer": {"Lambda-Runtime-Function-Error-Type"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newQueueUpstream(t, "req-1")
			ic := &rewriter{recordingInterceptor{decide: func(inv *Invocation) Decision {
				return Decision{Action: Forward, Observe: true, Event: []byte(`{"smaller":true}`)}
			}}}
			_, base := startProxy(t, up.hostPort(), ic)
			resp, ev := do(t, "GET", base+pathInvocationNext, nil, nil)
			if string(ev) != `{"smaller":true}` || resp.Header.Get("Content-Length") != "16" {
				t.Fatalf("runtime got %q (length %s)", ev, resp.Header.Get("Content-Length"))
			}
			if got := string(ic.invokes[0].Event); got != `{"id":"req-1"}` {
				t.Fatalf("Invocation.Event = %q, want the original", got)
			}
			var body = strings.NewReader("handler-answer")
			req, _ := http.NewRequest("POST", base+pathInvocationPrefix+"req-1/response", body)
			if tc.chunk {
				req.ContentLength = -1
				req.TransferEncoding = []string{"chunked"}
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			if tc.header != nil {
				req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 202 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, r := range up.requests() {
				if r.Path == pathInvocationPrefix+"req-1/response" {
					if string(r.Body) != "rewritten:handler-answer" {
						t.Fatalf("upstream got %q", r.Body)
					}
					return
				}
			}
			t.Fatal("response not forwarded")
		})
	}
}

package runtimeproxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzClassify(f *testing.F) {
	for _, s := range []struct{ m, p string }{
		{"GET", "/2018-06-01/runtime/invocation/next"},
		{"POST", "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response"},
		{"POST", "/2018-06-01/runtime/invocation/abc/error"},
		{"POST", "/2018-06-01/runtime/invocation//response"},
		{"POST", "/2018-06-01/runtime/invocation/a/b/response"},
		{"POST", "/2018-06-01/runtime/invocation/a%2Fb/response"},
		{"POST", "/2018-06-01/runtime/invocation/%zz/error"},
		{"GET", "/2018-06-01/runtime/invocation/x/response"},
		{"POST", "/2018-06-01/runtime/invocation/next"},
		{"POST", "/2018-06-01/runtime/init/error"},
		{"GET", "/2020-01-01/extension/event/next"},
	} {
		f.Add(s.m, s.p)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		rt, id := classify(method, path)
		switch rt {
		case routeNext:
			if method != "GET" || path != pathInvocationNext {
				t.Fatalf("%s %s classified as next", method, path)
			}
		case routeInvocationResponse, routeInvocationError:
			if method != "POST" || id == "" {
				t.Fatalf("%s %s: route %d with id %q", method, path, rt, id)
			}
			suffix := invocationResponseSuffix
			if rt == routeInvocationError {
				suffix = invocationErrorSuffix
			}
			raw := strings.TrimSuffix(strings.TrimPrefix(path, pathInvocationPrefix), suffix)
			if strings.Contains(raw, "/") {
				t.Fatalf("%s: id segment %q spans segments", path, raw)
			}
			if un, err := url.PathUnescape(raw); err != nil || un != id {
				t.Fatalf("%s: id %q, want %q (%v)", path, id, un, err)
			}
		case routeOther:
			if id != "" {
				t.Fatalf("other route with id %q", id)
			}
		}
	})
}

// FuzzProxyPath sends odd paths and request ids through a running proxy:
// it must not crash, must forward the path upstream byte for byte, and must
// hand /response and /error of tracked ids to the interceptor.
func FuzzProxyPath(f *testing.F) {
	for _, s := range []string{"abc", "8476a536-e9f4-11e8-9739-2dfe598c3fcd", "a b", "%41", "..", "a%2Fb", "é", "x?y=1", "#frag", ""} {
		f.Add(s, "/response")
		f.Add(s, "/error")
	}
	var up *fakeUpstream
	up = newFakeUpstream(&testing.T{}, func(w http.ResponseWriter, r *http.Request, _ []byte) { up.serveNextID(w, r) })
	f.Cleanup(up.Close)
	ic := &recordingInterceptor{decision: Decision{Action: Forward, Observe: true}}
	s, err := New(Options{Addr: "127.0.0.1:0", Upstream: up.hostPort(), Interceptor: ic})
	if err != nil {
		f.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	f.Cleanup(func() { _ = s.Shutdown(f.Context()) })
	base := "http://" + s.Addr().String()

	f.Fuzz(func(t *testing.T, id, suffix string) {
		if strings.ContainsAny(id, "\x00\r\n") || len(id) > 200 || len(suffix) > 50 {
			return // not representable in a request header or line
		}
		if strings.ContainsFunc(suffix, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return // Go's client would send it raw: not a valid request line (a 400 from any server)
		}
		seg := url.PathEscape(id)
		path := pathInvocationPrefix + seg + suffix
		u, err := url.Parse(base + path)
		if err != nil {
			return
		}
		ic.reset()
		up.mu.Lock()
		up.nextID = id
		n := len(up.reqs)
		up.mu.Unlock()
		resp, err := http.Get(base + pathInvocationNext)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		handedOut := resp.Header.Get(HeaderRequestID) // header values lose surrounding blanks
		req, _ := http.NewRequest("POST", u.String(), strings.NewReader("body"))
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		reqs := up.requests()[n:]
		if len(reqs) != 2 || reqs[1].Path != u.EscapedPath() || string(reqs[1].Body) != "body" {
			t.Fatalf("path %q: upstream saw %+v", u.EscapedPath(), reqs)
		}
		if rt, gotID := classify("POST", u.EscapedPath()); rt != routeOther && gotID == id && id != "" && handedOut == id {
			if ic.lastResult() == nil {
				t.Fatalf("tracked %q not shown to the interceptor", id)
			}
		}
	})
}

package main

import (
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

// runtimeAPI is a fake Runtime API serving queued events and recording posts.
type runtimeAPI struct {
	srv    *httptest.Server
	events chan [2]string // request id, body
	mu     sync.Mutex
	posts  map[string]string // path -> body
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	f := &runtimeAPI{events: make(chan [2]string, 16), posts: map[string]string{}}
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
		f.posts[r.URL.Path] = string(b)
		f.mu.Unlock()
		w.WriteHeader(202)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *runtimeAPI) post(path string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.posts[path]
	return b, ok
}

func TestProxyWithTheCoreRunsDuplicatesOnce(t *testing.T) {
	up := newRuntimeAPI(t)
	core, err := idempotency.New(idempotency.Config{Key: idempotency.KeyConfig{EventKeyJMESPath: "id", KeyPrefix: "fn.h"}, ExpiresAfter: time.Hour}, memory.New())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := runtimeproxy.New(runtimeproxy.Options{Addr: "127.0.0.1:0", Upstream: strings.TrimPrefix(up.srv.URL, "http://"), Interceptor: idempotent{core: core}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	base := "http://" + srv.Addr().String() + "/2018-06-01/runtime/invocation/"

	next := func() string {
		resp, err := http.Get(base + "next")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	}
	post := func(id, kind, body string) {
		resp, err := http.Post(base+id+"/"+kind, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("%s %s: %d", id, kind, resp.StatusCode)
		}
	}

	up.events <- [2]string{"r1", `{"id":"a","n":1}`}
	up.events <- [2]string{"r2", `{"id":"a","n":2}`} // duplicate key: answered by the proxy
	up.events <- [2]string{"r3", `{"id":"b"}`}
	if id := next(); id != "r1" {
		t.Fatalf("runtime got %s", id)
	}
	post("r1", "response", `{"result":"R1"}`)
	if id := next(); id != "r3" {
		t.Fatalf("runtime got %s, want r3 (r2 is a replay)", id)
	}
	if b, ok := up.post("/2018-06-01/runtime/invocation/r2/response"); !ok || b != `{"result":"R1"}` {
		t.Errorf("replay of r2: %q %v", b, ok)
	}
	post("r3", "error", `{"errorMessage":"x","errorType":"E"}`)
	up.events <- [2]string{"r4", `{"id":"b"}`} // retry after a handler error runs again
	if id := next(); id != "r4" {
		t.Fatalf("runtime got %s, want r4", id)
	}
	if st := core.Stats(); st.Claimed != 3 || st.Replayed != 1 || st.HandlerErrors != 1 || st.Completed != 1 {
		t.Errorf("stats %+v", st)
	}
}

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/freeport"
)

// fakeLambda serves the Extensions API and a /next that never returns.
type fakeLambda struct {
	srv      *httptest.Server
	shutdown chan string
	mu       sync.Mutex
	initErr  http.Header
	initBody string
}

func newFakeLambda(t *testing.T) *fakeLambda {
	f := &fakeLambda{shutdown: make(chan string, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/2020-01-01/extension/register":
			w.Header().Set("Lambda-Extension-Identifier", "id-1")
			_, _ = w.Write([]byte(`{"functionName":"fn","functionVersion":"$LATEST","handler":"h"}`))
		case "/2020-01-01/extension/event/next":
			select {
			case ev := <-f.shutdown:
				_, _ = w.Write([]byte(ev))
			case <-r.Context().Done():
			}
		case "/2020-01-01/extension/init/error":
			f.mu.Lock()
			f.initErr, f.initBody = r.Header.Clone(), string(b)
			f.mu.Unlock()
			w.WriteHeader(202)
		default: // the runtime's /next: a long poll with no event
			<-r.Context().Done()
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func freePort(t *testing.T) int {
	p, err := freeport.One()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestShutdownEndsTheProcessWithinItsDeadline(t *testing.T) {
	f := newFakeLambda(t)
	port := freePort(t)
	env := map[string]string{"AWS_LAMBDA_RUNTIME_API": strings.TrimPrefix(f.srv.URL, "http://"), "IDEMPOTENCY_PROXY_PORT": strconv.Itoa(port), "IDEMPOTENCY_STORE": "memory"}
	code := make(chan int, 1)
	go func() {
		code <- run(context.Background(), []string{"/opt/extensions/idemproxy"}, envOf(env), io.Discard)
	}()

	proxy := "http://127.0.0.1:" + strconv.Itoa(port)
	var up bool
	for range 100 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			up = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !up {
		t.Fatal("proxy never listened")
	}
	// A runtime long poll is open through the proxy when SHUTDOWN arrives.
	go func() {
		if resp, err := http.Get(proxy + "/2018-06-01/runtime/invocation/next"); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	deadline := time.Now().Add(1500 * time.Millisecond)
	f.shutdown <- `{"eventType":"SHUTDOWN","deadlineMs":` + strconv.FormatInt(deadline.UnixMilli(), 10) + `,"shutdownReason":"spindown"}`
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d", c)
		}
		if time.Now().After(deadline) {
			t.Errorf("stopped %v after the deadline", time.Since(deadline))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("extension did not stop after SHUTDOWN")
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		c.Close()
		t.Error("proxy still listening after shutdown")
	}
}

func TestInitErrorsReachTheExtensionsAPI(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		name, port, wantType string
		env                  map[string]string
		wantIn               []string
	}{
		{"port in use", busyPort, "Extension.ListenFailed", nil, []string{"IDEMPOTENCY_PROXY_PORT", busyPort, "address already in use"}},
		{"port not a number", "nine", "Extension.ConfigInvalid", nil, []string{"IDEMPOTENCY_PROXY_PORT", "nine"}},
		{"port out of range", "70000", "Extension.ConfigInvalid", nil, []string{"IDEMPOTENCY_PROXY_PORT"}},
		{"no store", "", "Extension.ConfigInvalid", map[string]string{"IDEMPOTENCY_STORE": ""}, []string{"IDEMPOTENCY_STORE", "IDEMPOTENCY_TABLE_NAME"}},
		{"bad expression", "", "Extension.ConfigInvalid", map[string]string{"IDEMPOTENCY_EVENT_KEY_JMESPATH": "body.["}, []string{"IDEMPOTENCY_EVENT_KEY_JMESPATH"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLambda(t)
			env := map[string]string{"AWS_LAMBDA_RUNTIME_API": strings.TrimPrefix(f.srv.URL, "http://"), "IDEMPOTENCY_PROXY_PORT": tc.port, "IDEMPOTENCY_STORE": "memory"}
			for k, v := range tc.env {
				env[k] = v
			}
			var logs strings.Builder
			if code := run(context.Background(), []string{"idemproxy"}, envOf(env), &logs); code == 0 {
				t.Error("exit code 0 on an init failure")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.initErr == nil {
				t.Fatal("no /extension/init/error call")
			}
			if got := f.initErr.Get("Lambda-Extension-Function-Error-Type"); got != tc.wantType {
				t.Errorf("error type %q, want %q", got, tc.wantType)
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(f.initBody, w) {
					t.Errorf("init error body %s does not name %q", f.initBody, w)
				}
			}
			if !strings.Contains(logs.String(), tc.wantType) {
				t.Errorf("logs do not name the failure: %s", logs.String())
			}
		})
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"IDEMPOTENCY_PROXY_PORT": "0", "IDEMPOTENCY_LOG_LEVEL": "LOUD"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range []string{"AWS_LAMBDA_RUNTIME_API", "IDEMPOTENCY_PROXY_PORT", "IDEMPOTENCY_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name %s", err, v)
		}
	}
	c, err := LoadConfig(envOf(map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_LOG_LEVEL": "trace", "IDEMPOTENCY_STORE": "memory"}))
	if err != nil || c.ProxyPort != DefaultProxyPort || c.Upstream != "127.0.0.1:9001" || c.LogLevel.String() != "DEBUG" {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

package runtimeproxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawUpstream accepts connections and, for each request it reads (body
// and trailers included), calls answer with the connection, the request
// and its body; the connection stays open until the test ends.
func rawUpstream(t *testing.T, answer func(c net.Conn, req *http.Request, body []byte)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, err := io.ReadAll(req.Body)
					if err != nil {
						return
					}
					answer(c, req, body)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLoggedProxy starts a proxy whose log goes to the returned buffer,
// with the given head timeout on its direct path.
func startLoggedProxy(t *testing.T, ic Interceptor, upstream string, headTimeout time.Duration) (*syncBuffer, string) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(Options{Addr: "127.0.0.1:0", Upstream: upstream, Logger: log, Interceptor: ic})
	if err != nil {
		t.Fatal(err)
	}
	s.direct.headTimeout = headTimeout
	_, s.usualOnly = ic.(observing)
	go func() { _ = s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return logs, "http://" + s.Addr().String()
}

// getNext runs GET /next through the proxy at base, failing the test if
// it has no answer within limit.
func getNext(t *testing.T, base string, limit time.Duration) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+pathInvocationNext, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /next: %v (hung?)", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const secret = "SECRET-EVENT-BYTES"

func TestGarbageWithoutNewlineFailsNext(t *testing.T) {
	bothPaths(t, testGarbageWithoutNewlineFailsNext)
}

func testGarbageWithoutNewlineFailsNext(t *testing.T, ic Interceptor) {
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		_, _ = c.Write([]byte(secret + " not HTTP, and no newline"))
	})
	logs, base := startLoggedProxy(t, ic, up, 200*time.Millisecond)
	status, body := getNext(t, base, 5*time.Second)
	if status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", status)
	}
	if strings.Contains(body, secret) || strings.Contains(logs.String(), secret) {
		t.Errorf("upstream bytes quoted:\nbody %s\nlogs %s", body, logs)
	}
}

// TestTruncatedEventFailsNext: with an Interceptor, an event whose body
// ends early (upstream closes the connection) gives the runtime a 502, and
// is not shown to the Interceptor. (Without one,
// the byte relay passes the truncation on, as upstream sent it.)
func TestTruncatedEventFailsNext(t *testing.T) {
	for _, usual := range []bool{false, true} {
		t.Run(map[bool]string{false: "byte relay", true: "usual path"}[usual], func(t *testing.T) {
			up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 100\r\n\r\n{\"" + secret))
				c.Close()
			})
			rec := &recordingInterceptor{}
			var ic Interceptor = rec
			if usual {
				ic = observing{}
			}
			logs, base := startLoggedProxy(t, ic, up, time.Second)
			status, body := getNext(t, base, 5*time.Second)
			if status != http.StatusBadGateway {
				t.Errorf("status %d, want 502", status)
			}
			if strings.Contains(body, secret) || strings.Contains(logs.String(), secret) {
				t.Errorf("upstream bytes quoted:\nbody %s\nlogs %s", body, logs)
			}
			if len(rec.invokes) != 0 {
				t.Errorf("the Interceptor was shown %d truncated events", len(rec.invokes))
			}
		})
	}
}

// TestHugeContentLengthIsNotAllocated: an event whose Content-Length
// claims far more than any event (then ends) costs what arrives, not what
// it claims.
func TestHugeContentLengthIsNotAllocated(t *testing.T) {
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 900000000\r\n\r\n{}"))
		c.Close()
	})
	_, base := startLoggedProxy(t, &recordingInterceptor{}, up, time.Second)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if status, _ := getNext(t, base, 5*time.Second); status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", status)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("%d MB allocated for a 2-byte event", n>>20)
	}
}

func TestEndlessHeadFailsNext(t *testing.T) { bothPaths(t, testEndlessHeadFailsNext) }

func testEndlessHeadFailsNext(t *testing.T, ic Interceptor) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		for i := 0; i < 64; i++ { // 4 MiB without a newline, quickly
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	// The head timeout is long: the size limit must end it first.
	_, base := startLoggedProxy(t, ic, up, time.Minute)
	if status, _ := getNext(t, base, 10*time.Second); status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", status)
	}
}

func TestMalformedAnswerIsNotQuoted(t *testing.T) { bothPaths(t, testMalformedAnswerIsNotQuoted) }

func testMalformedAnswerIsNotQuoted(t *testing.T, ic Interceptor) {
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		_, _ = c.Write([]byte(secret + " garbage\r\nX: " + secret + "\r\n\r\n"))
		c.Close()
	})
	logs, base := startLoggedProxy(t, ic, up, time.Second)
	status, body := getNext(t, base, 5*time.Second)
	if status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", status)
	}
	if !strings.Contains(logs.String(), "malformed HTTP response from upstream") {
		t.Errorf("failure not logged: %s", logs)
	}
	if strings.Contains(body, secret) || strings.Contains(logs.String(), secret) {
		t.Errorf("upstream bytes quoted:\nbody %s\nlogs %s", body, logs)
	}
}

func TestMalformedHeaderLineIsNotQuoted(t *testing.T) {
	bothPaths(t, testMalformedHeaderLineIsNotQuoted)
}

func testMalformedHeaderLineIsNotQuoted(t *testing.T, ic Interceptor) {
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n" + secret + " no colon\r\n\r\n"))
		c.Close()
	})
	logs, base := startLoggedProxy(t, ic, up, time.Second)
	status, body := getNext(t, base, 5*time.Second)
	if status != http.StatusBadGateway || strings.Contains(body, secret) || strings.Contains(logs.String(), secret) {
		t.Errorf("status %d, body %s, logs %s", status, body, logs)
	}
}

func TestHeadTimeoutDoesNotLimitTheLongPoll(t *testing.T) {
	bothPaths(t, testHeadTimeoutDoesNotLimitTheLongPoll)
}

func testHeadTimeoutDoesNotLimitTheLongPoll(t *testing.T, ic Interceptor) {
	up := rawUpstream(t, func(c net.Conn, _ *http.Request, _ []byte) {
		time.Sleep(400 * time.Millisecond) // the long poll: longer than the head timeout
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		time.Sleep(50 * time.Millisecond) // the rest of the head, within it
		_, _ = c.Write([]byte(HeaderRequestID + ": id-1\r\nContent-Length: 2\r\n\r\n{}"))
	})
	_, base := startLoggedProxy(t, ic, up, 200*time.Millisecond)
	if status, body := getNext(t, base, 5*time.Second); status != http.StatusOK || body != "{}" {
		t.Errorf("got %d %q, want 200 {}", status, body)
	}
}

func TestSafeError(t *testing.T) {
	_, err := http.ReadResponse(bufio.NewReader(strings.NewReader(secret+"\r\n\r\n")), nil)
	if err == nil || !strings.Contains(err.Error(), secret) {
		t.Fatalf("net/http no longer quotes: %v", err)
	}
	if got := safeError(err); got != errMalformedUpstream {
		t.Errorf("safeError(%v) = %v", err, got)
	}
	if got := safeError(io.ErrUnexpectedEOF); got != io.ErrUnexpectedEOF {
		t.Errorf("safeError(unexpected EOF) = %v", got)
	}
	op := &net.OpError{Op: "read", Net: "tcp", Err: io.EOF}
	if got := safeError(op); got != io.EOF {
		t.Errorf("safeError(%v) = %v", op, got)
	}
	if safeError(nil) != nil {
		t.Error("safeError(nil) is not nil")
	}
}

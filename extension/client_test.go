package extension

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is an Extensions API stand-in that records calls and serves events.
type fakeAPI struct {
	srv    *httptest.Server
	events chan string
	mu     sync.Mutex
	calls  []call
}

type call struct {
	Method, Path string
	Header       http.Header
	Body         string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{events: make(chan string, 8)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.calls = append(f.calls, call{r.Method, r.URL.Path, r.Header.Clone(), string(b)})
		f.mu.Unlock()
		switch r.URL.Path {
		case "/2020-01-01/extension/register":
			w.Header().Set(HeaderIdentifier, "ext-id-1")
			_, _ = w.Write([]byte(`{"functionName":"fn","functionVersion":"$LATEST","handler":"app.lambda_handler","accountId":"123"}`))
		case "/2020-01-01/extension/event/next":
			if r.Header.Get(HeaderIdentifier) != "ext-id-1" {
				w.WriteHeader(403)
				_, _ = w.Write([]byte(`{"errorType":"Extension.InvalidExtensionIdentifier"}`))
				return
			}
			select {
			case ev := <-f.events:
				_, _ = w.Write([]byte(ev))
			case <-r.Context().Done():
			}
		case "/2020-01-01/extension/init/error", "/2020-01-01/extension/exit/error":
			w.WriteHeader(202)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func TestRegisterSendsNameAndEvents(t *testing.T) {
	f := newFakeAPI(t)
	c := NewClient(f.addr())
	reg, err := c.Register(context.Background(), "idemproxy", Shutdown)
	if err != nil {
		t.Fatal(err)
	}
	if reg.FunctionName != "fn" || reg.Handler != "app.lambda_handler" || c.ID() != "ext-id-1" {
		t.Errorf("register response %+v id %q", reg, c.ID())
	}
	got := f.calls[0]
	if got.Header.Get(HeaderName) != "idemproxy" || got.Body != `{"events":["SHUTDOWN"]}` {
		t.Errorf("register request: name %q body %s", got.Header.Get(HeaderName), got.Body)
	}
}

func TestLoopReturnsOnShutdownWhateverItsSpelling(t *testing.T) {
	for _, spelling := range []string{"SHUTDOWN", "shutdown", "Shutdown"} {
		f := newFakeAPI(t)
		c := NewClient(f.addr())
		if _, err := c.Register(context.Background(), "idemproxy", Shutdown); err != nil {
			t.Fatal(err)
		}
		f.events <- `{"eventType":"INVOKE","deadlineMs":1,"requestId":"r1"}`
		f.events <- `{"eventType":"` + spelling + `","deadlineMs":1795705853528,"shutdownReason":"SandboxTerminated"}`
		var seen []Event
		ev, err := Loop(context.Background(), c, func(e Event) { seen = append(seen, e) })
		if err != nil {
			t.Fatal(err)
		}
		if !ev.IsShutdown() || ev.ShutdownReason != "SandboxTerminated" || ev.Deadline().UnixMilli() != 1795705853528 {
			t.Errorf("%s: got %+v", spelling, ev)
		}
		if len(seen) != 1 || seen[0].RequestID != "r1" {
			t.Errorf("INVOKE not passed on: %+v", seen)
		}
	}
}

func TestLoopStopsWithContext(t *testing.T) {
	f := newFakeAPI(t)
	c := NewClient(f.addr())
	if _, err := c.Register(context.Background(), "x", Shutdown); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Loop(ctx, c, nil); !errors.Is(err, ErrStopped) {
		t.Errorf("err = %v, want ErrStopped", err)
	}
}

func TestInitErrorCarriesTypeAndMessage(t *testing.T) {
	f := newFakeAPI(t)
	c := NewClient(f.addr())
	if err := c.InitError(context.Background(), "Extension.ConfigInvalid", "x"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("InitError before Register: %v", err)
	}
	if _, err := c.Register(context.Background(), "idemproxy", Shutdown); err != nil {
		t.Fatal(err)
	}
	if err := c.InitError(context.Background(), "Extension.ConfigInvalid", "IDEMPOTENCY_PROXY_PORT=\"x\": bad"); err != nil {
		t.Fatal(err)
	}
	got := f.calls[len(f.calls)-1]
	var body struct{ ErrorMessage, ErrorType string }
	_ = json.Unmarshal([]byte(got.Body), &body)
	if got.Path != "/2020-01-01/extension/init/error" || got.Header.Get(HeaderFunctionErrorType) != "Extension.ConfigInvalid" ||
		got.Header.Get(HeaderIdentifier) != "ext-id-1" || !strings.Contains(body.ErrorMessage, "IDEMPOTENCY_PROXY_PORT") {
		t.Errorf("init error call: %+v", got)
	}
}

func TestStatusErrorsAreTyped(t *testing.T) {
	f := newFakeAPI(t)
	c := NewClient(f.addr())
	c.id = "wrong"
	_, err := c.Next(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 403 || se.Op != "next" {
		t.Errorf("err = %v", err)
	}
}

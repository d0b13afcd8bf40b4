package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// Names of the rows of the in-process hop comparison.
const (
	RowHopDirect       = "runtime -> Runtime API, direct"
	RowHopReverseProxy = "through httputil.ReverseProxy"
	RowHopIdemproxy    = "through runtimeproxy (pass-through)"
	RowHopObserve      = "through runtimeproxy (response buffered for an interceptor)"
)

// fakeRuntimeAPI is a minimal Lambda Runtime API: every /next returns event
// at once with a new request id, every /response is accepted.
type fakeRuntimeAPI struct {
	event []byte
	seq   atomic.Int64
	srv   *http.Server
	ln    net.Listener
}

func startFakeRuntimeAPI(event []byte) (*fakeRuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeRuntimeAPI{event: event, ln: ln}
	f.srv = &http.Server{Handler: f}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeRuntimeAPI) addr() string { return f.ln.Addr().String() }

func (f *fakeRuntimeAPI) close() { _ = f.srv.Close() }

// ServeHTTP implements the two routes of the Runtime API a runtime uses.
func (f *fakeRuntimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		h := w.Header()
		h.Set(runtimeproxy.HeaderRequestID, "req-"+strconv.FormatInt(f.seq.Add(1), 10))
		h.Set(runtimeproxy.HeaderDeadlineMs, strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		h.Set(runtimeproxy.HeaderFunctionArn, "arn:aws:lambda:us-east-1:123456789012:function:bench")
		h.Set(runtimeproxy.HeaderTraceID, "Root=1-5e66d96f-7491f09xmpl79d18acf3d050;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(f.event)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// runtimeClient plays the runtime: /next, then /response with the event as
// its response, over keep-alive connections to api.
type runtimeClient struct {
	api    string
	client *http.Client
}

func newRuntimeClient(api string) *runtimeClient {
	return &runtimeClient{api: api, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
}

// invoke runs one invocation and returns its duration.
func (c *runtimeClient) invoke(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.api+"/2018-06-01/runtime/invocation/next", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	event, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Header.Get(runtimeproxy.HeaderRequestID)
	if err != nil || resp.StatusCode != http.StatusOK || id == "" {
		return 0, fmt.Errorf("%w: /next: status %d, request id %q, %v", ErrCheck, resp.StatusCode, id, err)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+c.api+"/2018-06-01/runtime/invocation/"+url.PathEscape(id)+"/response", bytes.NewReader(event))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err = c.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("%w: /response: status %d", ErrCheck, resp.StatusCode)
	}
	return time.Since(start), nil
}

// observeAll forwards every invocation and asks for its response body.
type observeAll struct{ bodies atomic.Int64 }

func (o *observeAll) Invoke(context.Context, *runtimeproxy.Invocation) runtimeproxy.Decision {
	return runtimeproxy.Decision{Action: runtimeproxy.Forward, Observe: true}
}

func (o *observeAll) Response(_ context.Context, _ *runtimeproxy.Invocation, res *runtimeproxy.Result) {
	if res.Buffered && len(res.Body) > 0 {
		o.bodies.Add(1)
	}
}

func (o *observeAll) Error(context.Context, *runtimeproxy.Invocation, *runtimeproxy.Result) {}

// Hop is the in-process proxy comparison: a fake Runtime API, the proxies
// under test in front of it, and a runtime client for each.
type Hop struct {
	api      *fakeRuntimeAPI
	closers  []func()
	observer *observeAll
	// Arms are the comparison's sides, direct first.
	Arms []Arm
}

// NewHop starts the fake Runtime API and the proxies.
func NewHop(event []byte) (*Hop, error) {
	api, err := startFakeRuntimeAPI(event)
	if err != nil {
		return nil, err
	}
	h := &Hop{api: api, observer: &observeAll{}}
	h.closers = append(h.closers, api.close)
	rp, err := startReverseProxy(api.addr())
	if err != nil {
		h.Close()
		return nil, err
	}
	h.closers = append(h.closers, rp.close)
	pass, err := startRuntimeProxy(api.addr(), runtimeproxy.PassThrough{})
	if err != nil {
		h.Close()
		return nil, err
	}
	h.closers = append(h.closers, pass.close)
	obs, err := startRuntimeProxy(api.addr(), h.observer)
	if err != nil {
		h.Close()
		return nil, err
	}
	h.closers = append(h.closers, obs.close)
	for _, a := range []struct{ name, addr string }{
		{RowHopDirect, api.addr()},
		{RowHopReverseProxy, rp.addr},
		{RowHopIdemproxy, pass.addr},
		{RowHopObserve, obs.addr},
	} {
		c := newRuntimeClient(a.addr)
		h.closers = append(h.closers, c.client.CloseIdleConnections)
		h.Arms = append(h.Arms, Arm{Name: a.name, Run: func(ctx context.Context, _ int) (time.Duration, error) { return c.invoke(ctx) }})
	}
	return h, nil
}

// Observed returns how many buffered response bodies the observing proxy
// handed to its interceptor.
func (h *Hop) Observed() int64 { return h.observer.bodies.Load() }

// Close stops everything NewHop started.
func (h *Hop) Close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
}

type running struct {
	addr  string
	close func()
}

func startRuntimeProxy(upstream string, ic runtimeproxy.Interceptor) (running, error) {
	srv, err := runtimeproxy.New(runtimeproxy.Options{Addr: "127.0.0.1:0", Upstream: upstream, Interceptor: ic})
	if err != nil {
		return running{}, err
	}
	go func() { _ = srv.Serve() }()
	return running{addr: srv.Addr().String(), close: func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}}, nil
}

func startReverseProxy(upstream string) (running, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return running{}, err
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	return running{addr: ln.Addr().String(), close: func() { _ = srv.Close() }}, nil
}

// RunHop measures one invocation's two proxy hops (/next and /response),
// in-process, against the direct path and a plain ReverseProxy.
func RunHop(ctx context.Context, event []byte, warmup, rounds int) (Section, error) {
	h, err := NewHop(event)
	if err != nil {
		return Section{}, err
	}
	defer h.Close()
	samples, err := Alternate(ctx, warmup, rounds, h.Arms...)
	if err != nil {
		return Section{}, err
	}
	if got := h.Observed(); got != int64(warmup+rounds) {
		return Section{}, fmt.Errorf("%w: the observing proxy buffered %d response bodies, want %d", ErrCheck, got, warmup+rounds)
	}
	return section("Proxy hops in-process (fake Runtime API)",
		fmt.Sprintf("One invocation = GET /next (the %d-byte event) + POST /response (the same bytes), over keep-alive "+
			"loopback connections; %d rounds after %d warm-up rounds, alternating. This is the proxy's own added time, "+
			"without the emulator.", len(event), rounds, warmup),
		samples,
		spec{RowHopDirect, ""},
		spec{RowHopReverseProxy, RowHopDirect},
		spec{RowHopIdemproxy, RowHopDirect},
		spec{RowHopObserve, RowHopDirect},
	), nil
}

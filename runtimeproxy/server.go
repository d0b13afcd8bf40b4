package runtimeproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBufferedBytes is the largest /response body buffered for an
// Interceptor: Lambda's buffered payload limit (6 MiB + 100 bytes, as the
// Runtime API enforces it).
const DefaultMaxBufferedBytes = 6*1024*1024 + 100

// Options configure a Server.
type Options struct {
	// Addr is the listen address. It must be a loopback address; the default
	// is 127.0.0.1:9009. Ignored when Listener is set.
	Addr string
	// Listener, if set, is a listener bound earlier with Listen.
	Listener net.Listener
	// Upstream is the real Runtime API endpoint, host:port (the extension's
	// own AWS_LAMBDA_RUNTIME_API). Required.
	Upstream string
	// Interceptor steers invocations; nil means PassThrough.
	Interceptor Interceptor
	// Logger receives the proxy's own diagnostics; nil discards them. Event
	// and response bodies are never logged.
	Logger *slog.Logger
	// MaxBufferedBytes caps the /response bodies buffered for the
	// Interceptor; 0 means DefaultMaxBufferedBytes.
	MaxBufferedBytes int
	// LocalAPI, if set, serves the requests under LocalAPIPrefix, which are
	// then not forwarded upstream (localapi.go).
	LocalAPI http.Handler
}

// Server is a Runtime API proxy bound to a loopback address.
type Server struct {
	ln          net.Listener
	srv         *http.Server
	upstream    string
	client      *http.Client
	direct      *directClient
	interceptor Interceptor
	// passive: the Interceptor is PassThrough, so requests may take the
	// byte relay (rawrelay.go) as they are. Otherwise the byte relay shows
	// the Interceptor each event (rawnext.go) and result (rawintercept.go).
	passive bool
	// usualOnly keeps every request off the byte relay (tests compare the
	// two paths with it).
	usualOnly bool
	// relayed counts the requests the byte relay took (tests, diagnostics).
	relayed     atomic.Int64
	log         *slog.Logger
	maxBuffered int
	localAPI    http.Handler

	mu          sync.Mutex
	invocations map[string]*tracked
	copyBufs    sync.Pool // *[]byte of 32 KiB, for relaying bodies
	watch       *pollWatch

	// The fast path (fastpath.go): connections it serves, idle or not, and
	// the listener that hands the others to srv.
	handoff *handoffListener
	connMu  sync.Mutex
	conns   map[*fastConn]bool
	closing bool
}

// tracked is an invocation handed to the runtime and not yet answered.
type tracked struct {
	inv     *Invocation
	observe bool
	// ctx, if set, is the context the event was decided under; cancel ends
	// it once the invocation is done (accepted, or replaced by a later
	// event with its id).
	ctx    context.Context
	cancel context.CancelFunc
}

// context returns the context of the Interceptor's calls for t's result:
// the one its event was decided under, or a new invocationContext (done is
// then its cancel; otherwise done does nothing).
func (t *tracked) context() (ctx context.Context, done func()) {
	if t.ctx != nil {
		return t.ctx, func() {}
	}
	return invocationContext(context.Background(), t.inv)
}

// ErrNotLoopback is returned by New for a listen address that is not a
// loopback address.
var ErrNotLoopback = errors.New("runtimeproxy: listen address must be a loopback address")

// New returns a Server that is not yet serving, bound to opts.Listener or
// else to opts.Addr.
func New(opts Options) (*Server, error) {
	if opts.Upstream == "" {
		return nil, errors.New("runtimeproxy: no upstream Runtime API address")
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = Listen(opts.Addr); err != nil {
			return nil, err
		}
	}
	s := &Server{
		ln:          ln,
		upstream:    opts.Upstream,
		client:      &http.Client{Transport: newTransport()},
		direct:      newDirectClient(opts.Upstream),
		interceptor: opts.Interceptor,
		log:         opts.Logger,
		maxBuffered: opts.MaxBufferedBytes,
		localAPI:    opts.LocalAPI,
		invocations: make(map[string]*tracked),
		handoff:     newHandoffListener(ln.Addr()),
		conns:       make(map[*fastConn]bool),
		watch:       newPollWatch(),
	}
	s.copyBufs.New = func() any {
		b := make([]byte, 32<<10)
		return &b
	}
	if s.interceptor == nil {
		s.interceptor = PassThrough{}
	}
	_, s.passive = s.interceptor.(PassThrough)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBuffered <= 0 {
		s.maxBuffered = DefaultMaxBufferedBytes
	}
	// No read or write timeouts: the runtime's /next may legitimately wait
	// for minutes, across freezes of the execution environment.
	s.srv = &http.Server{
		Handler:  s,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Listen binds addr (default 127.0.0.1:9009), which must be a loopback
// address. Binding before the extension registers lets the runtime's first
// connections queue in the kernel until Serve runs.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:9009"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("runtimeproxy: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("runtimeproxy: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// newTransport returns the upstream transport: no proxy from the
// environment, no timeouts (long polls), no transparent compression, and
// enough idle connections for concurrent invocations.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout: 5 * time.Second,
		}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 256,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
}

// Addr returns the address the proxy listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown. It returns nil after Shutdown.
// Connections start on the fast path (fastpath.go); net/http's server takes
// over those that need it.
func (s *Server) Serve() error {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.handoff) }()
	err := s.acceptLoop()
	if err != nil {
		s.handoff.Close()
	}
	if herr := <-served; err == nil && !errors.Is(herr, http.ErrServerClosed) && !errors.Is(herr, net.ErrClosed) {
		err = herr
	}
	return err
}

// Shutdown stops accepting connections and waits, until ctx ends, for
// requests in flight; long polls still open when ctx ends are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.connMu.Lock()
	s.closing = true
	s.connMu.Unlock()
	_ = s.ln.Close()
	err := s.srv.Shutdown(ctx) // closes the handoff listener too
	if err != nil {
		_ = s.srv.Close()
	}
	for tick := time.Millisecond; s.closeConns(false) > 0; tick = min(2*tick, 100*time.Millisecond) {
		select {
		case <-ctx.Done():
			s.closeConns(true)
			if err == nil {
				err = ctx.Err()
			}
		case <-time.After(tick):
		}
	}
	s.watch.close()
	s.client.CloseIdleConnections()
	s.direct.closeIdle(true)
	return err
}

// do sends a request upstream: plain requests on the direct path, the
// others through net/http's Transport.
func (s *Server) do(req *http.Request) (*http.Response, error) {
	if eligible(req) {
		return s.direct.do(req)
	}
	return s.client.Do(req)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch rt, id := classify(r.Method, r.URL.EscapedPath()); rt {
	case routeNext:
		s.serveNext(w, r)
	case routeInvocationResponse:
		s.serveResult(w, r, id, false)
	case routeInvocationError:
		s.serveResult(w, r, id, true)
	default:
		if !s.serveLocal(w, r) {
			s.forward(w, r, r.Body, r.ContentLength)
		}
	}
}

// track records inv as in flight, with the context it was decided under
// (ctx and its cancel, or nil).
func (s *Server) track(inv *Invocation, observe bool, ctx context.Context, cancel context.CancelFunc) {
	s.mu.Lock()
	old := s.invocations[inv.RequestID]
	s.invocations[inv.RequestID] = &tracked{inv: inv, observe: observe, ctx: ctx, cancel: cancel}
	s.mu.Unlock()
	if old != nil && old.cancel != nil {
		old.cancel()
	}
}

// lookup returns the invocation for id, or nil.
func (s *Server) lookup(id string) *tracked {
	s.mu.Lock()
	t := s.invocations[id]
	s.mu.Unlock()
	return t
}

// accepted forgets the invocation t, if not nil, when upstream answered
// its result with a 2xx status (unless a later event reused its id).
// Callers do this before relaying the answer, so the runtime never sees its
// result accepted while the invocation is still in flight.
func (s *Server) accepted(t *tracked, status int) {
	if t == nil || status/100 != 2 {
		return
	}
	s.mu.Lock()
	if id := t.inv.RequestID; s.invocations[id] == t {
		delete(s.invocations, id)
	}
	s.mu.Unlock()
	if t.cancel != nil {
		t.cancel()
	}
}

// Pending returns the number of invocations handed to the runtime and not
// yet answered.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.invocations)
}

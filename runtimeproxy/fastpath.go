package runtimeproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The fast path serves the runtime's hot requests (GET /next, POST
// .../response and .../error) on the connection's own goroutine, reading
// them with leanFastRequest (http.ReadRequest for heads it leaves, which
// fastRequest still admits) and answering with fastWriter, and sends them
// upstream with directClient. net/http's server hands every request between
// goroutines (a background reader, the handler, the writer), and on a small
// machine those wake-ups are most of a proxy's added latency. A connection
// whose next request is anything else (another route, HTTP/1.0, Expect,
// Upgrade, Connection: close, declared trailers, a streamed response, an
// oversized head) is handed, unread, to the net/http server for good.

// fastHeadMax is the largest request head the fast path reads; larger
// heads go to net/http (which enforces its own limit).
const fastHeadMax = 16 << 10

// handoffListener feeds connections to the net/http server.
type handoffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *handoffListener) Addr() net.Addr { return l.addr }

// give hands c to the net/http server, or closes it if the server stopped.
func (l *handoffListener) give(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

// bufferedConn is a connection whose first bytes were already read into r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// fastConn is a runtime connection served on the fast path.
type fastConn struct {
	c net.Conn
	// remote is c's remote address, for Request.RemoteAddr.
	remote string
	br     *bufio.Reader
	bw     *bufio.Writer
	w      fastWriter
}

// acceptLoop accepts connections until the listener is closed.
func (s *Server) acceptLoop() error {
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosing() {
				return nil
			}
			if isTemporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go s.serveFast(c)
	}
}

// isTemporary reports a temporary accept error (too many open files and
// the like), which net/http retries too.
func isTemporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// serveFast serves one runtime connection until it closes, is handed to
// net/http, or the server shuts down.
func (s *Server) serveFast(c net.Conn) {
	fc := &fastConn{c: c, remote: c.RemoteAddr().String(), br: bufio.NewReaderSize(c, fastHeadMax), bw: bufio.NewWriterSize(c, 32<<10)}
	if !s.trackConn(fc, true) {
		c.Close()
		return
	}
	handedOff := false
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("runtimeproxy: panic serving the runtime", "panic", p)
		}
		s.untrackConn(fc)
		if !handedOff {
			c.Close()
		}
	}()
	for {
		head, err := peekHead(fc.br)
		if err != nil && !errors.Is(err, errHeadTooLarge) {
			return // the runtime closed the connection
		}
		if !s.trackConn(fc, false) {
			return // shutting down
		}
		if err == nil && !s.usualOnly {
			switch s.relayRaw(fc, len(head)) {
			case rawServed:
				if !s.trackConn(fc, true) {
					return
				}
				continue
			case rawClosed:
				return
			}
			// Declined: the relay may have peeked further and moved the
			// buffered bytes.
			head, _ = fc.br.Peek(len(head))
		}
		var req *http.Request
		if err == nil {
			req = leanFastRequest(head, fc.br)
		}
		if req == nil && (err != nil || !fastRequest(head)) {
			s.untrackConn(fc)
			handedOff = true
			s.handoff.give(&bufferedConn{Conn: c, r: fc.br})
			return
		}
		if !s.serveOne(fc, req, len(head)) {
			return
		}
		if !s.trackConn(fc, true) {
			return
		}
	}
}

// serveOne answers one request: req, parsed from the head of headLen
// bytes buffered in fc.br, or if req is nil, the request read from fc.br
// by net/http. It returns false when the connection must be closed.
func (s *Server) serveOne(fc *fastConn, req *http.Request, headLen int) bool {
	if req != nil {
		_, _ = fc.br.Discard(headLen)
	} else {
		var err error
		if req, err = http.ReadRequest(fc.br); err != nil {
			return false
		}
	}
	req.RemoteAddr = fc.remote
	fc.w.reset(fc.bw, fc.c)
	s.ServeHTTP(&fc.w, req)
	ok := fc.w.finish()
	// The connection can carry the next request only if this one's body
	// was read to its end.
	if _, err := io.CopyN(io.Discard, req.Body, 256<<10); err != io.EOF {
		ok = false
	}
	return ok
}

var errHeadTooLarge = errors.New("runtimeproxy: request head too large for the fast path")

// peekHead waits for a whole request head (up to its empty line) in br and
// returns it without consuming it.
func peekHead(br *bufio.Reader) ([]byte, error) {
	n := 1
	for {
		if _, err := br.Peek(n); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errHeadTooLarge
			}
			return nil, err
		}
		buf, _ := br.Peek(br.Buffered())
		if end := headEnd(buf); end >= 0 {
			return buf[:end], nil
		}
		if len(buf) >= br.Size() {
			return nil, errHeadTooLarge
		}
		n = len(buf) + 1
	}
}

// headEnd returns the length of the head in buf (through its empty line),
// or -1 if buf does not hold a whole head yet.
func headEnd(buf []byte) int {
	for i := 0; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if i < len(buf) && buf[i] == '\n' {
			return i + 1
		}
		if i+1 < len(buf) && buf[i] == '\r' && buf[i+1] == '\n' {
			return i + 2
		}
	}
	return -1
}

// trackConn records fc as idle or busy; it returns false when the server
// is shutting down (the connection must then be closed).
func (s *Server) trackConn(fc *fastConn, idle bool) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closing {
		return false
	}
	s.conns[fc] = idle
	return true
}

func (s *Server) untrackConn(fc *fastConn) {
	s.connMu.Lock()
	delete(s.conns, fc)
	s.connMu.Unlock()
}

func (s *Server) isClosing() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.closing
}

// closeConns closes the idle fast-path connections, or all of them, and
// returns how many are left.
func (s *Server) closeConns(all bool) int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for fc, idle := range s.conns {
		if idle || all {
			fc.c.Close()
			delete(s.conns, fc)
		}
	}
	return len(s.conns)
}

// runtimeGoneChecker is implemented by fastWriter: the net/http server
// reports a runtime that hung up through the request's context instead.
type runtimeGoneChecker interface{ runtimeGone() bool }

// hungUp reports whether the runtime behind w and r has hung up.
func hungUp(w http.ResponseWriter, r *http.Request) bool {
	if r.Context().Err() != nil {
		return true
	}
	g, ok := w.(runtimeGoneChecker)
	return ok && g.runtimeGone()
}

package runtimeproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// fastBodyMax is the largest request body sent on the direct path. Such a
// body fits in the socket buffers, so writing it whole before reading the
// response cannot deadlock against an upstream that answers early.
const fastBodyMax = 64 << 10

// maxIdleDirect bounds the idle connections kept by the direct path.
const maxIdleDirect = 256

// maxResponseHead bounds the status line and headers of an upstream answer,
// and defaultHeadTimeout the time they may take once their first byte has
// arrived (the wait for that first byte is a long poll and has no limit):
// an upstream that is not an HTTP server (garbage without a newline, then
// silence) fails the request instead of hanging it.
const (
	maxResponseHead    = 1 << 20
	defaultHeadTimeout = 10 * time.Second
)

// Errors of the direct path. Their texts never quote what upstream sent.
var (
	errMalformedUpstream  = errors.New("runtimeproxy: malformed HTTP response from upstream")
	errUpstreamHeadTooBig = errors.New("runtimeproxy: upstream response head too large")
)

// directClient sends the proxy's plain requests (no body, or a small body of
// known length, no trailers) to the Runtime API over keep-alive HTTP/1.1
// connections that the calling goroutine writes and reads itself. net/http's
// Transport hands every request to two goroutines per connection; on the hot
// path (/next and /response, one invocation after another) those hand-offs
// are most of the proxy's added latency. Everything else (streamed and large
// bodies, trailers) keeps using the Transport, which reads the response while
// it writes the body. Requests are written by writeLean (req.Write for the
// unusual ones) and answers whose head arrived whole are read by leanResponse
// (http.ReadResponse for the others, and for heads still arriving, whose size
// and time are bounded).
type directClient struct {
	addr   string
	dialer net.Dialer
	// headTimeout: see defaultHeadTimeout.
	headTimeout time.Duration

	mu     sync.Mutex
	idle   []*directConn
	closed bool
}

// directConn is one connection of the direct path.
type directConn struct {
	nc net.Conn
	cr countingReader
	br *bufio.Reader
	bw *bufio.Writer
	// keys is writeLean's scratch space.
	keys []string

	// mu orders the head deadline against abort (the request's context
	// ended), so that a head deadline never revives an aborted request.
	mu      sync.Mutex
	aborted bool
}

// abort makes every pending and later I/O on c fail at once.
func (c *directConn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	_ = c.nc.SetDeadline(time.Unix(1, 0))
}

// isAborted reports whether abort was called.
func (c *directConn) isAborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aborted
}

// setReadDeadline sets the read deadline unless c was aborted.
func (c *directConn) setReadDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.aborted {
		_ = c.nc.SetReadDeadline(t)
	}
}

// countingReader counts the bytes read from a connection, to tell a
// connection that died before answering from one that died mid-answer,
// and fails reads past limit (when limit > 0).
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.limit > 0 && c.n >= c.limit {
		return 0, errUpstreamHeadTooBig
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newDirectClient(addr string) *directClient {
	return &directClient{addr: addr, dialer: net.Dialer{Timeout: 5 * time.Second}, headTimeout: defaultHeadTimeout}
}

// eligible reports whether req can take the direct path.
func eligible(req *http.Request) bool {
	if len(req.Trailer) > 0 || req.ContentLength < 0 || req.ContentLength > fastBodyMax {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// get returns an idle connection, or dials a new one.
func (d *directClient) get(ctx context.Context) (c *directConn, reused bool, err error) {
	d.mu.Lock()
	if n := len(d.idle); n > 0 {
		c = d.idle[n-1]
		d.idle = d.idle[:n-1]
		d.mu.Unlock()
		return c, true, nil
	}
	d.mu.Unlock()
	nc, err := d.dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, false, err
	}
	c = &directConn{nc: nc}
	c.cr.r = nc
	c.br = bufio.NewReaderSize(&c.cr, 16<<10)
	c.bw = bufio.NewWriterSize(nc, 16<<10)
	return c, false, nil
}

// put keeps c for the next request.
func (d *directClient) put(c *directConn) {
	d.mu.Lock()
	if !d.closed && len(d.idle) < maxIdleDirect {
		d.idle = append(d.idle, c)
		c = nil
	}
	d.mu.Unlock()
	if c != nil {
		c.nc.Close()
	}
}

// closeIdle closes the idle connections; later requests dial anew, unless
// shut is set, after which no connection is kept.
func (d *directClient) closeIdle(shut bool) {
	d.mu.Lock()
	idle := d.idle
	d.idle = nil
	if shut {
		d.closed = true
	}
	d.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}

// do sends an eligible request and returns its response. As net/http does,
// a request that fails on a reused connection before any byte of an answer
// arrived is sent again on a new connection (the server had closed the idle
// connection), if it is a GET or its body was not written yet.
func (d *directClient) do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		c, reused, err := d.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, wrote, err := d.roundTrip(ctx, c, req)
		if err == nil {
			return resp, nil
		}
		c.nc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !reused || attempt > 0 || c.cr.n > 0 || (wrote && req.Method != http.MethodGet) {
			return nil, err
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// roundTrip writes req on c and reads the response, skipping informational
// (1xx) answers. wrote reports that the whole request was written.
func (d *directClient) roundTrip(ctx context.Context, c *directConn, req *http.Request) (_ *http.Response, wrote bool, _ error) {
	c.aborted = false // only sound connections come back from the pool
	stop := context.AfterFunc(ctx, c.abort)
	fail := func(err error) (*http.Response, bool, error) {
		stop()
		return nil, wrote, err
	}
	c.cr.n = 0
	var err error
	if leanWritable(req) {
		c.keys, err = writeLean(c.bw, req, c.keys)
	} else {
		err = req.Write(c.bw)
	}
	if err != nil {
		return fail(err)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(err)
	}
	wrote = true
	resp, err := d.readFinal(c, req)
	if err != nil {
		return fail(err)
	}
	if resp.Body == http.NoBody {
		d.release(c, stop, !resp.Close)
	} else {
		resp.Body = &directBody{d: d, c: c, body: resp.Body, stop: stop, keep: !resp.Close}
	}
	return resp, true, nil
}

// readFinal reads the next final answer on c, skipping informational (1xx)
// ones; an upstream that switches protocols fails.
func (d *directClient) readFinal(c *directConn, req *http.Request) (*http.Response, error) {
	for skipped := 0; ; skipped++ {
		resp, err := d.readResponse(c, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, errors.New("runtimeproxy: upstream switched protocols")
		}
		if resp.StatusCode >= 200 {
			return resp, nil
		}
		if skipped == 5 {
			return nil, errors.New("runtimeproxy: too many informational responses from upstream")
		}
		_ = resp.Body.Close()
	}
}

// readResponse reads the status line and headers of the next response on c.
// The wait for its first byte has no limit (a long poll); the rest of the
// head must then come within headTimeout and maxResponseHead bytes. A head
// that is not HTTP fails with errMalformedUpstream, whose text, unlike
// net/http's parse errors, does not quote the bytes received (they may be
// an event's).
func (d *directClient) readResponse(c *directConn, req *http.Request) (*http.Response, error) {
	if _, err := c.br.Peek(1); err != nil {
		return nil, err
	}
	buf, _ := c.br.Peek(c.br.Buffered())
	end := headEnd(buf)
	if end >= 0 {
		if resp, ok := leanResponse(buf[:end], c.br, req); ok {
			_, _ = c.br.Discard(end)
			return resp, nil
		}
	}
	if end < 0 { // the head is not all here yet: bound the wait for the rest
		c.setReadDeadline(time.Now().Add(d.headTimeout))
		c.cr.limit = c.cr.n + maxResponseHead + int64(c.br.Size())
		defer func() {
			c.cr.limit = 0
			c.setReadDeadline(time.Time{})
		}()
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return nil, safeError(err)
	}
	return resp, nil
}

// release returns c to the pool if it is still sound: the request's context
// did not end (its deadline would be set) and the answer allows keep-alive.
func (d *directClient) release(c *directConn, stop func() bool, keep bool) {
	if stop() && keep && c.br.Buffered() == 0 {
		d.put(c)
		return
	}
	c.nc.Close()
}

// directBody is a response body on the direct path: its connection goes
// back to the pool once the body has been read to its end.
type directBody struct {
	d    *directClient
	c    *directConn
	body io.ReadCloser
	stop func() bool
	keep bool
	done bool
	err  error
}

func (b *directBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	n, err := b.body.Read(p)
	if err != nil {
		b.finish(err)
	}
	return n, err
}

// Close releases the connection; a body not read to its end costs the
// connection.
func (b *directBody) Close() error {
	if !b.done {
		b.finish(errors.New("runtimeproxy: body closed"))
	}
	return nil
}

func (b *directBody) finish(err error) {
	b.done, b.err = true, err
	if err == io.EOF {
		b.d.release(b.c, b.stop, b.keep)
		return
	}
	b.stop()
	b.c.nc.Close()
}

package faultproxy

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Sizes of the forwarding loop.
const (
	chunkSize   = 32 << 10
	queueChunks = 256
	dialTimeout = 5 * time.Second
)

// link is one proxied connection: the client's and the server's side.
type link struct {
	client, server net.Conn
	done           chan struct{}
	once           sync.Once
}

// close ends both sides; reset makes it a TCP RST instead of a FIN.
func (l *link) close(reset bool) {
	l.once.Do(func() {
		if reset {
			for _, c := range []net.Conn{l.client, l.server} {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
			}
		}
		_ = l.client.Close()
		_ = l.server.Close()
		close(l.done)
	})
}

func (l *link) reset() { l.close(true) }

// acceptLoop serves the connections of ln, opened in listening period gen.
func (p *Proxy) acceptLoop(ln net.Listener, gen int) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed: Refuse or Close
		}
		p.wg.Go(func() { p.serve(c, gen) })
	}
}

// serve connects c, accepted in listening period gen, to the target and
// forwards both ways until either side ends. A target that cannot be
// reached resets c, and so does a Refuse that happened meanwhile.
func (p *Proxy) serve(c net.Conn, gen int) {
	d := net.Dialer{Timeout: dialTimeout}
	s, err := d.DialContext(p.ctx, "tcp", p.Target())
	if err != nil {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		return
	}
	l := &link{client: c, server: s, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed || p.gen != gen {
		p.mu.Unlock()
		l.reset()
		return
	}
	p.accepted++
	p.links[l] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(l, ClientToServer, c, s) })
	wg.Go(func() { p.pump(l, ServerToClient, s, c) })
	wg.Wait()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// pump forwards src to dst for direction d, applying the faults. A reader
// goroutine keeps reading src while a chunk is delayed or stalled, so that
// the source going away is noticed: a stalled connection whose source
// closes is torn down and its held data dropped.
func (p *Proxy) pump(l *link, d Direction, src, dst net.Conn) {
	chunks := make(chan []byte, queueChunks)
	srcGone := make(chan struct{})
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, chunkSize)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case chunks <- buf[:n]:
				case <-l.done:
					return
				}
			}
			if err != nil {
				close(srcGone)
				return
			}
		}
	}()
	defer l.close(false)
	var tail []byte
	for chunk := range chunks {
		window := append(tail, chunk...)
		if keep := p.matchLen(d); keep > 0 {
			tail = append([]byte(nil), window[max(len(window)-keep, 0):]...)
		} else {
			tail = nil
		}
		f, changed := p.decide(d, window)
		switch f.Kind {
		case Latency:
			select {
			case <-time.After(f.Delay):
			case <-l.done:
				return
			}
		case Stall:
			if !p.hold(l, d, changed, srcGone) {
				return
			}
		case Reset:
			if n := min(max(f.Forward, 0), len(chunk)-1); n > 0 {
				_, _ = dst.Write(chunk[:n])
			}
			l.reset()
			return
		case Corrupt:
			chunk = garbage(len(chunk))
		}
		if _, err := dst.Write(chunk); err != nil {
			return
		}
	}
}

// hold waits while direction d stalls. It returns false when the connection
// ended meanwhile (the held data is then dropped).
func (p *Proxy) hold(l *link, d Direction, changed <-chan struct{}, srcGone <-chan struct{}) bool {
	for {
		select {
		case <-changed:
		case <-l.done:
			return false
		case <-srcGone:
			l.close(false)
			return false
		}
		var still bool
		if still, changed = p.stillStalled(d); !still {
			return true
		}
	}
}

// garbage returns n bytes that no protocol accepts: NULs and 0xFF, ending
// with CRLF so that a line-based parser (HTTP, RESP) rejects them at once
// instead of waiting for the end of the line.
func garbage(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if i%2 == 1 {
			b[i] = 0xff
		}
	}
	if n >= 2 {
		b[n-2], b[n-1] = '\r', '\n'
	}
	return b
}

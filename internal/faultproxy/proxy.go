package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Errors returned by a Proxy.
var (
	// ErrClosed means the Proxy was closed.
	ErrClosed = errors.New("faultproxy: closed")
	// ErrState means the call does not fit the proxy's state (Refuse while
	// already refusing, Accept while accepting).
	ErrState = errors.New("faultproxy: wrong state")
)

// Direction is the way data flows through a proxied connection.
type Direction uint8

// Directions.
const (
	// ClientToServer carries requests.
	ClientToServer Direction = iota
	// ServerToClient carries responses.
	ServerToClient
)

// String names the direction.
func (d Direction) String() string {
	if d == ClientToServer {
		return "client->server"
	}
	return "server->client"
}

// Kind is a kind of fault.
type Kind uint8

// Fault kinds.
const (
	// None forwards data unchanged.
	None Kind = iota
	// Latency delays every triggering chunk by Fault.Delay.
	Latency
	// Stall holds the triggering chunk, and everything after it in that
	// direction, until the fault is changed (then it is delivered) or the
	// connection ends (then it is dropped). The connection stays open.
	Stall
	// Reset forwards the first Fault.Forward bytes of the triggering chunk,
	// then resets both sides of the connection (TCP RST): a request or
	// response broken off in the middle.
	Reset
	// Corrupt replaces the triggering chunk with garbage of the same length.
	Corrupt
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Latency:
		return "latency"
	case Stall:
		return "stall"
	case Reset:
		return "reset"
	case Corrupt:
		return "corrupt"
	}
	return "none"
}

// Fault describes what happens to the data of one direction.
type Fault struct {
	Kind Kind
	// Delay is the added latency per chunk (Latency only).
	Delay time.Duration
	// Forward is how many bytes of the triggering chunk still reach the
	// other side before a Reset: at most all but its last byte, so that
	// what was sent is always cut short.
	Forward int
	// Match, if set, limits the fault to chunks containing it (the search
	// spans chunk boundaries); other chunks pass unchanged.
	Match []byte
	// Times, if positive, is how many chunks trigger the fault; after that
	// the direction reverts to None (a Stall already holding data keeps
	// holding it until the next change). 0 means every matching chunk.
	Times int
}

// Proxy forwards TCP connections from a loopback port to a target address,
// injecting the faults currently set. It is safe for concurrent use.
type Proxy struct {
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	target    string
	ln        net.Listener // nil while refusing
	gen       int          // listening period; connections of an older one are reset
	closed    bool
	faults    [2]Fault
	left      [2]int        // remaining triggers when faults[d].Times > 0
	changed   chan struct{} // closed and replaced at every change of faults
	links     map[*link]struct{}
	triggered [2]int
	accepted  int
}

// Start listens on listen (host:port; "127.0.0.1:0" for any free port) and
// forwards every connection to target (host:port). ctx bounds the proxy's
// life as Close does.
//
// A port the kernel picks (port 0) comes from its ephemeral range, from
// which it also picks the source ports of outgoing connections: while the
// proxy refuses (see Refuse), such a connection may take the port, and
// Accept then fails. Tests that refuse should listen on a port outside that
// range.
func Start(ctx context.Context, listen, target string) (*Proxy, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &Proxy{
		target: target, addr: ln.Addr().String(), ctx: pctx, cancel: cancel,
		ln: ln, changed: make(chan struct{}), links: make(map[*link]struct{}),
	}
	p.wg.Go(func() { p.acceptLoop(ln, 0) })
	context.AfterFunc(pctx, func() { _ = p.Close() })
	return p, nil
}

// Addr is the proxy's address (127.0.0.1:port); it stays the same across
// Refuse and Accept.
func (p *Proxy) Addr() string { return p.addr }

// Target is the address the proxy forwards new connections to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// SetTarget changes the address new connections are forwarded to (open
// ones keep theirs), for a target whose address is known only after the
// proxy's: a server configured with the proxy's address.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// Set replaces the fault of direction d, for open and new connections. Data
// held by a Stall is released unless f is a Stall too.
func (p *Proxy) Set(d Direction, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.Match = bytes.Clone(f.Match)
	p.faults[d], p.left[d] = f, f.Times
	p.notifyLocked()
}

// Clear sets both directions to None, releasing stalled data.
func (p *Proxy) Clear() {
	p.Set(ClientToServer, Fault{})
	p.Set(ServerToClient, Fault{})
}

// Refuse stops listening, so that new connections are refused, and resets
// every open connection: the server is down.
func (p *Proxy) Refuse() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	ln := p.ln
	if ln == nil {
		p.mu.Unlock()
		return fmt.Errorf("%w: already refusing", ErrState)
	}
	p.ln = nil
	p.gen++
	p.mu.Unlock()
	err := ln.Close()
	p.ResetConnections()
	if err != nil {
		return fmt.Errorf("faultproxy: close listener: %w", err)
	}
	return nil
}

// Accept listens again on the same address after Refuse.
func (p *Proxy) Accept() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.ln != nil {
		return fmt.Errorf("%w: already accepting", ErrState)
	}
	ln, err := new(net.ListenConfig).Listen(p.ctx, "tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.ln = ln
	gen := p.gen
	p.wg.Go(func() { p.acceptLoop(ln, gen) })
	return nil
}

// ResetConnections resets every open connection (TCP RST to both sides).
func (p *Proxy) ResetConnections() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.reset()
	}
}

// Triggered returns how many chunks of direction d a fault other than None
// has applied to so far.
func (p *Proxy) Triggered(d Direction) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.triggered[d]
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops the proxy and closes every connection. It is safe to call
// more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ln := p.ln
	p.ln = nil
	p.notifyLocked()
	p.mu.Unlock()
	p.cancel()
	if ln != nil {
		_ = ln.Close()
	}
	p.ResetConnections()
	p.wg.Wait()
	return nil
}

// notifyLocked wakes every stalled chunk to look at the faults again.
func (p *Proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// decide returns the fault that applies to a chunk of direction d whose
// recent bytes (the chunk preceded by the tail of the previous one) are
// window, counts the trigger, and returns the channel closed at the next
// change of the faults (a stalled chunk waits for it).
func (p *Proxy) decide(d Direction, window []byte) (Fault, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults[d]
	if f.Kind == None || (len(f.Match) > 0 && !bytes.Contains(window, f.Match)) {
		return Fault{}, p.changed
	}
	p.triggered[d]++
	if f.Times > 0 {
		if p.left[d]--; p.left[d] <= 0 {
			p.faults[d], p.left[d] = Fault{}, 0
		}
	}
	return f, p.changed
}

// stillStalled reports whether direction d stalls after a change, and
// returns the channel closed at the next change.
func (p *Proxy) stillStalled(d Direction) (bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.faults[d].Kind == Stall, p.changed
}

// matchLen is how many trailing bytes of a chunk a match may continue from.
func (p *Proxy) matchLen(d Direction) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(len(p.faults[d].Match)-1, 0)
}

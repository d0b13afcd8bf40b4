package runtimeproxy

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// runtimeWatchInterval is how often the long polls served on the fast path
// check that their runtime is still connected (net/http's own connections
// report it through the request's context).
const runtimeWatchInterval = 50 * time.Millisecond

// pollWatch watches the fast path's long polls for runtimes that hang up,
// so that a runtime that went away never takes an event with it. One
// goroutine checks every long poll in flight each runtimeWatchInterval
// (a non-blocking peek at the runtime's socket). Registering a long poll
// costs a map insert: no goroutine, timer or channel per /next, whose
// wake-ups would be on the path of every invocation.
type pollWatch struct {
	mu      sync.Mutex
	polls   map[runtimeGoneChecker]context.CancelFunc
	started bool
	stopped bool
	stop    chan struct{}
}

func newPollWatch() *pollWatch {
	return &pollWatch{polls: make(map[runtimeGoneChecker]context.CancelFunc), stop: make(chan struct{})}
}

// add watches g until remove(g); cancel is called if its runtime hangs up.
// It starts the watching goroutine on first use; after close, nothing is
// watched (the server is shutting down and closes the connections itself).
func (p *pollWatch) add(g runtimeGoneChecker, cancel context.CancelFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.polls[g] = cancel
	if !p.started {
		p.started = true
		go p.run()
	}
}

// remove stops watching g. Once it returns, the watcher no longer touches
// g's connection (checks run under p.mu), so its owner may read from it.
func (p *pollWatch) remove(g runtimeGoneChecker) {
	p.mu.Lock()
	delete(p.polls, g)
	p.mu.Unlock()
}

// close stops the watching goroutine and ends the long polls still
// watched: Shutdown calls it once it has closed every runtime connection,
// so their runtimes are gone.
func (p *pollWatch) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		close(p.stop)
	}
	for g, cancel := range p.polls {
		cancel()
		delete(p.polls, g)
	}
}

func (p *pollWatch) run() {
	t := time.NewTicker(runtimeWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.check()
		}
	}
}

// check cancels the long polls whose runtime hung up.
func (p *pollWatch) check() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for g, cancel := range p.polls {
		if g.runtimeGone() {
			cancel()
			delete(p.polls, g)
		}
	}
}

// watchRuntime returns a context that ends when the runtime behind w hangs
// up, and a function that stops watching (the context stays valid).
func (s *Server) watchRuntime(w http.ResponseWriter, r *http.Request) (context.Context, func()) {
	g, ok := w.(runtimeGoneChecker)
	if !ok {
		return r.Context(), func() {}
	}
	ctx, cancel := context.WithCancel(r.Context())
	s.watch.add(g, cancel)
	return ctx, func() { s.watch.remove(g) }
}

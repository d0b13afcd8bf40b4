package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// target is an echo server that also records what each connection sent.
type target struct {
	ln  net.Listener
	mu  sync.Mutex
	got [][]byte // per connection, in accept order
	eof []chan struct{}
}

func startTarget(t *testing.T) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tg.mu.Lock()
			i := len(tg.got)
			tg.got = append(tg.got, nil)
			done := make(chan struct{})
			tg.eof = append(tg.eof, done)
			tg.mu.Unlock()
			go func() {
				defer close(done)
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						tg.mu.Lock()
						tg.got[i] = append(tg.got[i], buf[:n]...)
						tg.mu.Unlock()
						_, _ = c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return tg
}

// received waits until connection i of the target ended and returns what it
// received.
func (tg *target) received(t *testing.T, i int) []byte {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		tg.mu.Lock()
		if i < len(tg.eof) {
			done := tg.eof[i]
			tg.mu.Unlock()
			select {
			case <-done:
			case <-deadline:
				t.Fatalf("target connection %d never ended", i)
			}
			tg.mu.Lock()
			defer tg.mu.Unlock()
			return append([]byte(nil), tg.got[i]...)
		}
		tg.mu.Unlock()
		select {
		case <-deadline:
			t.Fatalf("target connection %d never opened", i)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func startProxy(t *testing.T) (*Proxy, *target) {
	t.Helper()
	tg := startTarget(t)
	p, err := Start(t.Context(), "127.0.0.1:0", tg.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, tg
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads len(msg) bytes back within timeout.
func roundTrip(c net.Conn, msg string, timeout time.Duration) ([]byte, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, len(msg))
	n, err := io.ReadFull(c, buf)
	return buf[:n], err
}

func TestPassThrough(t *testing.T) {
	p, _ := startProxy(t)
	c := dial(t, p)
	for _, msg := range []string{"hello", string(bytes.Repeat([]byte("x"), 100_000))} {
		got, err := roundTrip(c, msg, 2*time.Second)
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
	}
	if p.Triggered(ClientToServer)+p.Triggered(ServerToClient) != 0 || p.Accepted() != 1 {
		t.Fatalf("triggered %d/%d, accepted %d", p.Triggered(ClientToServer), p.Triggered(ServerToClient), p.Accepted())
	}
}

func TestLatency(t *testing.T) {
	p, _ := startProxy(t)
	c := dial(t, p)
	const delay = 150 * time.Millisecond
	p.Set(ServerToClient, Fault{Kind: Latency, Delay: delay})
	start := time.Now()
	if got, err := roundTrip(c, "slow", 2*time.Second); err != nil || string(got) != "slow" {
		t.Fatalf("%q %v", got, err)
	}
	if d := time.Since(start); d < delay {
		t.Fatalf("round trip took %s, want at least %s", d, delay)
	}
	p.Clear()
	start = time.Now()
	if _, err := roundTrip(c, "fast", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= delay {
		t.Fatalf("after Clear the round trip took %s", d)
	}
	if p.Triggered(ServerToClient) != 1 {
		t.Fatalf("triggered %d, want 1", p.Triggered(ServerToClient))
	}
}

func TestStallHoldsThenDelivers(t *testing.T) {
	p, _ := startProxy(t)
	c := dial(t, p)
	p.Set(ClientToServer, Fault{Kind: Stall})
	got, err := roundTrip(c, "held", 200*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stalled round trip: %q %v, want a timeout", got, err)
	}
	p.Clear()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "held" {
		t.Fatalf("after Clear: %q %v", buf, err)
	}
}

func TestStallDroppedWhenClientLeaves(t *testing.T) {
	p, tg := startProxy(t)
	c := dial(t, p)
	p.Set(ClientToServer, Fault{Kind: Stall})
	if _, err := c.Write([]byte("never")); err != nil {
		t.Fatal(err)
	}
	for p.Triggered(ClientToServer) == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Close()
	if got := tg.received(t, 0); len(got) != 0 {
		t.Fatalf("the server received %q from a client that left during a stall", got)
	}
	p.Clear()
	c2 := dial(t, p)
	if got, err := roundTrip(c2, "next", 2*time.Second); err != nil || string(got) != "next" {
		t.Fatalf("next connection: %q %v", got, err)
	}
}

func TestResetMidRequest(t *testing.T) {
	p, tg := startProxy(t)
	c := dial(t, p)
	p.Set(ClientToServer, Fault{Kind: Reset, Forward: 3})
	_, err := roundTrip(c, "abcdef", 2*time.Second)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want a reset", err)
	}
	if got := tg.received(t, 0); string(got) != "abc" {
		t.Fatalf("the server received %q, want the first 3 bytes %q", got, "abc")
	}
}

func TestResetResponse(t *testing.T) {
	p, tg := startProxy(t)
	c := dial(t, p)
	p.Set(ServerToClient, Fault{Kind: Reset, Forward: 100}) // at most 5 of 6 bytes
	got, err := roundTrip(c, "abcdef", 2*time.Second)
	if err == nil || string(got) == "abcdef" {
		t.Fatalf("got %q %v, want a broken response", got, err)
	}
	if got := tg.received(t, 0); string(got) != "abcdef" {
		t.Fatalf("the server received %q, want the whole request", got)
	}
}

func TestMatchAndTimes(t *testing.T) {
	p, _ := startProxy(t)
	p.Set(ClientToServer, Fault{Kind: Reset, Match: []byte("KILL"), Times: 1})
	c := dial(t, p)
	if got, err := roundTrip(c, "hello", 2*time.Second); err != nil || string(got) != "hello" {
		t.Fatalf("non-matching chunk: %q %v", got, err)
	}
	// The pattern split over two writes still matches.
	if got, err := roundTrip(c, "xxKI", 2*time.Second); err != nil || string(got) != "xxKI" {
		t.Fatalf("first half of the pattern: %q %v", got, err)
	}
	if _, err := roundTrip(c, "LLyy", 2*time.Second); err == nil {
		t.Fatal("matching chunk was not reset")
	}
	c2 := dial(t, p)
	if got, err := roundTrip(c2, "KILL again", 2*time.Second); err != nil || string(got) != "KILL again" {
		t.Fatalf("after Times ran out: %q %v", got, err)
	}
	if n := p.Triggered(ClientToServer); n != 1 {
		t.Fatalf("triggered %d, want 1", n)
	}
}

func TestCorrupt(t *testing.T) {
	p, _ := startProxy(t)
	c := dial(t, p)
	p.Set(ServerToClient, Fault{Kind: Corrupt, Times: 1})
	got, err := roundTrip(c, "hello", 2*time.Second)
	if err != nil || len(got) != 5 || string(got) == "hello" {
		t.Fatalf("corrupted echo: %q %v", got, err)
	}
	if got, err := roundTrip(c, "clean", 2*time.Second); err != nil || string(got) != "clean" {
		t.Fatalf("after Times ran out: %q %v", got, err)
	}
}

func TestRefuseAndAccept(t *testing.T) {
	p, _ := startProxy(t)
	open := dial(t, p)
	if err := p.Refuse(); err != nil {
		t.Fatal(err)
	}
	if err := p.Refuse(); !errors.Is(err, ErrState) {
		t.Fatalf("second Refuse: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want connection refused", err)
	}
	if _, err := roundTrip(open, "x", time.Second); err == nil {
		t.Fatal("an open connection survived Refuse")
	}
	if err := p.Accept(); err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	if got, err := roundTrip(c, "back", 2*time.Second); err != nil || string(got) != "back" {
		t.Fatalf("after Accept: %q %v", got, err)
	}
}

func TestSetTarget(t *testing.T) {
	p, err := Start(t.Context(), "127.0.0.1:0", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tg := startTarget(t)
	p.SetTarget(tg.ln.Addr().String())
	if p.Target() != tg.ln.Addr().String() {
		t.Fatalf("Target %s", p.Target())
	}
	c := dial(t, p)
	if got, err := roundTrip(c, "moved", 2*time.Second); err != nil || string(got) != "moved" {
		t.Fatalf("after SetTarget: %q %v", got, err)
	}
}

func TestUnreachableTargetResets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, err := Start(t.Context(), "127.0.0.1:0", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		return // reset before the handshake completed: refused too
	}
	defer c.Close()
	if _, err := roundTrip(c, "x", 2*time.Second); err == nil {
		t.Fatal("a connection to an unreachable target worked")
	}
}

func TestCloseReleasesEverything(t *testing.T) {
	p, _ := startProxy(t)
	c := dial(t, p)
	p.Set(ClientToServer, Fault{Kind: Stall})
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a stalled connection")
	}
	if err := p.Refuse(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Refuse after Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("dial after Close worked")
	}
}

// Command baselineproxy is the benchmark's yardstick: a Lambda external
// extension that proxies the Runtime API with a plain
// net/http/httputil.ReverseProxy and nothing else. It has idemproxy's life
// cycle (listen on 127.0.0.1:$IDEMPOTENCY_PROXY_PORT, register for SHUTDOWN,
// serve until SHUTDOWN) and is started the same way, through
// layer/idemproxy-wrapper, so the difference between the two is the proxy.
//
// With BASELINE_MODE=tcp it relays TCP connections byte for byte instead (no
// HTTP at all): the floor of any proxy that runs in its own process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/extension"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, filepath.Base(os.Args[0]), os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "baselineproxy:", err)
		os.Exit(1)
	}
}

// run binds the listener, registers, and serves until SHUTDOWN.
func run(ctx context.Context, name string, getenv func(string) string) error {
	api := getenv("AWS_LAMBDA_RUNTIME_API")
	port := getenv("IDEMPOTENCY_PROXY_PORT")
	if api == "" || port == "" {
		return errors.New("AWS_LAMBDA_RUNTIME_API and IDEMPOTENCY_PROXY_PORT are required")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	client := extension.NewClient(api)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = client.Register(rctx, name, extension.Shutdown)
	cancel()
	if err != nil {
		ln.Close()
		return err
	}
	var stopServing func() error
	served := make(chan error, 1)
	switch getenv("BASELINE_MODE") {
	case "tcp":
		go func() { served <- relayTCP(ln, api) }()
		stopServing = ln.Close
	case "raw":
		go func() { served <- relayRawHTTP(ln, api) }()
		stopServing = ln.Close
	default:
		rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: api})
		// Long polls must never time out; the default transport has no
		// response timeout, only dial and idle limits.
		srv := &http.Server{Handler: rp}
		go func() { served <- srv.Serve(ln) }()
		stopServing = func() error {
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		}
	}
	_, loopErr := extension.Loop(ctx, client, nil)
	_ = stopServing()
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	if loopErr != nil && !errors.Is(loopErr, extension.ErrStopped) {
		return loopErr
	}
	return nil
}

// relayTCP copies every accepted connection to a new connection to api and
// back, until ln is closed.
func relayTCP(ln net.Listener, api string) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", api)
			if err != nil {
				return
			}
			defer u.Close()
			done := make(chan struct{})
			go func() {
				_, _ = io.Copy(u, c)
				if tc, ok := u.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				close(done)
			}()
			_, _ = io.Copy(c, u)
			<-done
		}()
	}
}

// Command idemproxy is an AWS Lambda external extension that proxies the
// Runtime API for the function's runtime, to make any handler idempotent.
// Lambda starts it from /opt/extensions/idemproxy; the layer's exec wrapper
// points the runtime at the proxy.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/extension"
	"github.com/idemproxy/idemproxy/runtimeproxy"
)

// version is stamped by the build: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args, os.Getenv, os.Stdout)
	stop()
	os.Exit(code)
}

// Error types reported through /extension/init/error.
const (
	errTypeConfig = "Extension.ConfigInvalid"
	errTypeListen = "Extension.ListenFailed"
)

// run is the whole extension: bind, register, serve until SHUTDOWN. It
// returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) int {
	name := filepath.Base(args[0])
	cfg, cfgErr := LoadConfig(getenv)
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("extension", name, "version", version)
	if cfg.RuntimeAPI == "" {
		log.Error("cannot start", "error", cfgErr)
		return 1
	}

	// Bind the listener before registering: once every extension has
	// registered, Lambda starts the runtime, which connects at once.
	var (
		srv     *runtimeproxy.Server
		errType string
		initErr = cfgErr
	)
	if initErr != nil {
		errType = errTypeConfig
	} else {
		srv, initErr = runtimeproxy.New(runtimeproxy.Options{
			Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.ProxyPort)),
			Upstream: cfg.Upstream,
			Logger:   log,
		})
		if initErr != nil {
			errType = errTypeListen
			initErr = fmt.Errorf("IDEMPOTENCY_PROXY_PORT=%d: %w", cfg.ProxyPort, initErr)
		}
	}

	client := extension.NewClient(cfg.RuntimeAPI)
	regCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	reg, err := client.Register(regCtx, name, extension.Shutdown)
	cancel()
	if err != nil {
		log.Error("register with the Extensions API", "error", err)
		if srv != nil {
			_ = srv.Shutdown(context.Background())
		}
		return 1
	}
	if initErr != nil {
		log.Error("init failed", "errorType", errType, "error", initErr)
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := client.InitError(rctx, errType, initErr.Error()); err != nil {
			log.Error("report init error", "error", err)
		}
		return 1
	}
	log.Info("started", "proxy", srv.Addr().String(), "upstream", cfg.Upstream,
		"functionName", reg.FunctionName, "handler", reg.Handler)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()

	ev, err := extension.Loop(ctx, client, nil)
	stopCtx, cancel := shutdownContext(ev)
	defer cancel()
	code := 0
	switch {
	case errors.Is(err, extension.ErrStopped):
		log.Info("stopping on signal")
	case err != nil:
		log.Error("event loop failed", "error", err)
		code = 1
	default:
		log.Info("shutdown", "reason", ev.ShutdownReason)
	}
	if err := srv.Shutdown(stopCtx); err != nil {
		log.Warn("proxy shutdown", "error", err)
	}
	if err := <-serveErr; err != nil {
		log.Error("proxy stopped", "error", err)
		code = 1
	}
	return code
}

// shutdownContext ends a little before the SHUTDOWN event's deadline, or
// after a short grace period when there is none.
func shutdownContext(ev extension.Event) (context.Context, context.CancelFunc) {
	if d := ev.Deadline(); !d.IsZero() {
		return context.WithDeadline(context.Background(), d.Add(-100*time.Millisecond))
	}
	return context.WithTimeout(context.Background(), time.Second)
}

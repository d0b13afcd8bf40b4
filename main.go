// Command idemproxy is an AWS Lambda external extension that proxies the
// Runtime API for the function's runtime, to make any handler idempotent.
// Lambda starts it from /opt/extensions/idemproxy; the layer's exec wrapper
// points the runtime at the proxy.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/extension"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/dynamodb"
	"github.com/idemproxy/idemproxy/store/memory"
	"github.com/idemproxy/idemproxy/store/redis"
)

// version is stamped by the build: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	setProcs()
	if limit := memoryLimit(os.Getenv); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
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
	stdout = &syncWriter{w: stdout} // shared by the logs and the metrics
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
		ln      net.Listener
		errType string
		initErr = cfgErr
	)
	if initErr != nil {
		errType = errTypeConfig
	} else if ln, initErr = runtimeproxy.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.ProxyPort))); initErr != nil {
		errType = errTypeListen
		initErr = fmt.Errorf("IDEMPOTENCY_PROXY_PORT=%d: %w", cfg.ProxyPort, initErr)
	}

	client := extension.NewClient(cfg.RuntimeAPI)
	regCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	reg, err := client.Register(regCtx, name, extension.Shutdown)
	cancel()
	if err != nil {
		log.Error("register with the Extensions API", "error", err)
		if ln != nil {
			ln.Close()
		}
		return 1
	}
	var (
		ic      runtimeproxy.Interceptor
		closers []func() error
	)
	if initErr == nil {
		if ic, closers, initErr = newInterceptor(cfg, reg, log, stdout); initErr != nil {
			errType = errTypeConfig
		}
	}
	defer func() {
		for _, c := range closers {
			if err := c(); err != nil {
				log.Warn("close store", "error", err)
			}
		}
	}()
	if initErr != nil {
		log.Error("init failed", "errorType", errType, "error", initErr)
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := client.InitError(rctx, errType, initErr.Error()); err != nil {
			log.Error("report init error", "error", err)
		}
		if ln != nil {
			ln.Close()
		}
		return 1
	}
	var srv *runtimeproxy.Server
	local, err := newLocalAPI(cfg, ic, log, func() []runtimeproxy.InFlight { return srv.InFlight() })
	if err != nil {
		log.Error("local API", "error", err)
		return 1
	}
	srv, err = runtimeproxy.New(runtimeproxy.Options{Listener: ln, Upstream: cfg.Upstream, Interceptor: ic, Logger: log, LocalAPI: local})
	if err != nil {
		log.Error("proxy", "error", err)
		return 1
	}
	log.Info("started", "proxy", srv.Addr().String(), "upstream", cfg.Upstream,
		"functionName", reg.FunctionName, "handler", reg.Handler, "idempotency", !cfg.Disabled, "store", cfg.Store)

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
		releaseOnShutdown(stopCtx, cfg, ic, ev, log)
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

// newInterceptor builds the store and the idempotency core, or a pure
// pass-through when idempotency is disabled.
func newInterceptor(cfg Config, reg extension.RegisterResponse, log *slog.Logger, stdout io.Writer) (_ runtimeproxy.Interceptor, closers []func() error, _ error) {
	if cfg.Disabled {
		log.Warn("Disabling idempotency is intended for development environments only and should not be used in production.",
			"variable", "POWERTOOLS_IDEMPOTENCY_DISABLED")
		return runtimeproxy.PassThrough{}, nil, nil
	}
	var st store.Store
	switch cfg.Store {
	case StoreMemory:
		st = memory.New()
	case StoreDynamoDB:
		// Built once; no network call here. Credentials, region and
		// endpoint come from the SDK's standard chain.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		client, err := dynamodb.NewClient(ctx, os.Getenv)
		cancel()
		if err != nil {
			return nil, nil, fmt.Errorf("DynamoDB client: %w", err)
		}
		if st, err = dynamodb.New(client, cfg.DynamoDB); err != nil {
			return nil, nil, err
		}
	case StoreRedis:
		rs, err := redis.New(cfg.Redis)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, rs.Close)
		st = rs
	default:
		return nil, nil, fmt.Errorf("IDEMPOTENCY_STORE=%q: not supported", cfg.Store)
	}
	ic := cfg.Idempotency
	ic.Key.KeyPrefix = cfg.KeyPrefixFor(cmp.Or(reg.Handler, cfg.Handler))
	opts, err := coreOptions(cfg, reg, stdout)
	if err != nil {
		return nil, closers, err
	}
	opts = append(opts, idempotency.WithLogger(log))
	if offset := cfg.TestClockOffset; offset != 0 {
		log.Warn("IDEMPOTENCY_TEST_CLOCK_OFFSET_MS is set: the idempotency clock is shifted; this is for tests only",
			"offsetMs", offset.Milliseconds())
		opts = append(opts, idempotency.WithClock(func() time.Time { return time.Now().Add(offset) }))
	}
	core, err := idempotency.New(ic, st, opts...)
	if err != nil {
		return nil, closers, fmt.Errorf("idempotency configuration: %w", err)
	}
	log.Info("idempotency enabled", "store", cfg.Store, "keyPrefix", ic.Key.KeyPrefix,
		"eventKeyJmespath", ic.Key.EventKeyJMESPath, "expiresAfterSeconds", int64(ic.ExpiresAfter.Seconds()),
		"clockSkewToleranceMs", ic.ClockSkewTolerance.Milliseconds(), "keyFormat", ic.Key.Format,
		"releaseOnCrash", cfg.ReleaseOnCrash, "metricsNamespace", cfg.MetricsNamespace)
	logBeyondPowertools(log, ic)
	ic2, err := interceptorFor(cfg, core, log)
	return ic2, closers, err
}

// shutdownContext ends a little before the SHUTDOWN event's deadline, or
// after a short grace period when there is none.
func shutdownContext(ev extension.Event) (context.Context, context.CancelFunc) {
	if d := ev.Deadline(); !d.IsZero() {
		return context.WithDeadline(context.Background(), d.Add(-100*time.Millisecond))
	}
	return context.WithTimeout(context.Background(), time.Second)
}

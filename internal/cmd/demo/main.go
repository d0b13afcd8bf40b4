package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// maxShown is how much of a response body the transcript shows.
const maxShown = 160

// envFlag collects repeated -env KEY=VALUE flags.
type envFlag []string

// String returns the collected assignments.
func (f *envFlag) String() string { return strings.Join(*f, " ") }

// Set validates and adds one assignment.
func (f *envFlag) Set(v string) error {
	kv, err := lambdatest.ParseEnvAssignment(v)
	if err != nil {
		return err
	}
	*f = append(*f, kv)
	return nil
}

// config holds the command line.
type config struct {
	handler   string
	env       envFlag
	extension bool
	logs      bool
	timeout   int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.handler, "handler", "go", "test handler: go or python")
	flag.Var(&cfg.env, "env", "extra `KEY=VALUE` for the function and the extension (repeatable)")
	flag.BoolVar(&cfg.extension, "extension", true, "run with the idemproxy extension")
	flag.BoolVar(&cfg.logs, "logs", false, "stream the emulator's output (emulator, extension, handler) to stderr")
	flag.IntVar(&cfg.timeout, "timeout", 10, "function timeout in seconds")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		slog.Error("demo failed", "err", err)
		os.Exit(1)
	}
}

// storeSettings are the variables that choose the extension's store or
// turn idempotency off.
var storeSettings = []string{"IDEMPOTENCY_STORE=", "IDEMPOTENCY_TABLE_NAME=", "IDEMPOTENCY_REDIS_URL=", "POWERTOOLS_IDEMPOTENCY_DISABLED="}

// withDefaultStore adds IDEMPOTENCY_STORE=memory unless env already
// configures a store or disables idempotency.
func withDefaultStore(env []string) []string {
	for _, kv := range env {
		for _, prefix := range storeSettings {
			if strings.HasPrefix(kv, prefix) {
				return env
			}
		}
	}
	return append([]string{"IDEMPOTENCY_STORE=memory"}, env...)
}

// run builds everything, starts the emulator and prints the transcript.
func run(ctx context.Context, cfg config, out io.Writer) error {
	work, err := os.MkdirTemp("", "idemproxy-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	fmt.Fprintln(out, "building the emulator, the extension and the test handlers...")
	art, err := lambdatest.Build(ctx, filepath.Join(work, "bin"))
	if err != nil {
		return err
	}
	opts := lambdatest.Options{
		Artifacts:       art,
		Extension:       cfg.extension,
		Env:             withDefaultStore(cfg.env),
		FunctionTimeout: cfg.timeout,
	}
	switch cfg.handler {
	case "go":
		opts.Handler = []string{art.GoHandler}
	case "python":
		if opts.Handler, err = art.PythonHandler(); err != nil {
			return err
		}
		opts.Dir = art.PythonDir
	default:
		return fmt.Errorf("unknown -handler %q (want go or python)", cfg.handler)
	}
	if cfg.logs {
		opts.Stdout, opts.Stderr = os.Stderr, os.Stderr
	}
	emu, err := lambdatest.Start(ctx, opts)
	if err != nil {
		return err
	}
	ext := "without the extension"
	if cfg.extension {
		ext = "with the idemproxy extension, proxy on " + emu.ProxyAddr
	}
	fmt.Fprintf(out, "emulator %s: %s handler %s\nenvironment: %s\n\n", emu.InvokeAddr, cfg.handler, ext, strings.Join(opts.Env, " "))

	runErr := transcript(ctx, emu, filepath.Join(work, "executions.log"), out)
	closeErr := emu.Close()
	fmt.Fprintln(out, "emulator stopped")
	if left, err := art.Leftovers(); err == nil && len(left) > 0 {
		fmt.Fprintf(out, "WARNING: processes left behind: %v\n", left)
	}
	return errors.Join(runErr, closeErr)
}

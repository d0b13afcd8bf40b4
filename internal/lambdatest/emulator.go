package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/internal/freeport"
)

// Errors returned by Start.
var (
	// ErrOptions means the Options are incomplete.
	ErrOptions = errors.New("lambdatest: invalid options")
	// ErrNotReady means the emulator exited or did not open its invoke
	// port in time.
	ErrNotReady = errors.New("lambdatest: emulator not ready")
)

// Timeouts of the emulator's life cycle.
const (
	readyTimeout = 15 * time.Second
	// stopGrace covers the emulator's 2 s SHUTDOWN deadline.
	stopGrace = 5 * time.Second
)

// Options configure one emulator.
type Options struct {
	// Artifacts come from Build. Required.
	Artifacts *Artifacts
	// Handler is the runtime command, e.g. {art.GoHandler} or the result of
	// art.PythonHandler(). Required.
	Handler []string
	// Dir is the working directory of the emulator, hence of the runtime
	// (the task root); in Managed Instances mode it is also mounted at
	// /var/task. Default: an empty temporary folder.
	Dir string
	// Extension puts idemproxy in /opt/extensions and starts the runtime
	// through /opt/idemproxy-wrapper. False is the baseline: an empty /opt
	// and the handler as the bootstrap.
	Extension bool
	// Env holds extra KEY=VALUE variables for the emulator, the extension
	// and the runtime; later entries win.
	Env []string
	// FunctionTimeout is AWS_LAMBDA_FUNCTION_TIMEOUT in seconds (0: the
	// emulator's default of 300).
	FunctionTimeout int
	// MaxConcurrency > 0 sets AWS_LAMBDA_MAX_CONCURRENCY, which starts the
	// emulator's Lambda Managed Instances mode: concurrent invocations are
	// allowed, the runtime and the extensions run as uid 993, and the
	// bootstrap is /opt/bootstrap with /var/task as working directory.
	MaxConcurrency int
	// Stdout and Stderr, if set, also receive the emulator's output (the
	// extension's and the runtime's output is on Stdout).
	Stdout, Stderr io.Writer
}

// Emulator is one running aws-lambda-rie with its runtime and extensions.
type Emulator struct {
	// ID identifies the emulator; its processes carry LAMBDATEST_EMULATOR=ID.
	ID string
	// RuntimeAPIAddr is the emulator's Runtime API (host:port).
	RuntimeAPIAddr string
	// InvokeAddr is the emulator's invoke endpoint (host:port).
	InvokeAddr string
	// ProxyAddr is 127.0.0.1:IDEMPOTENCY_PROXY_PORT, where the extension
	// listens (the runtime's AWS_LAMBDA_RUNTIME_API when Extension is set).
	ProxyAddr string

	opts     Options
	tmp      string
	cmd      *exec.Cmd
	logs     *syncBuffer
	client   *http.Client
	done     chan struct{}
	waitErr  error
	initPID  int
	invokeMu sync.Mutex // serialises invocations (classic mode)
	outMu    sync.Mutex // serialises writes to Options.Stdout/Stderr

	closeOnce sync.Once
	closeErr  error
}

// Start launches an emulator and waits until its invoke endpoint accepts
// connections; ctx bounds that wait only. The emulator initialises the
// runtime lazily, on the first invocation, except in Managed Instances mode,
// where Start also waits for the runtime. Call Close to stop it.
func Start(ctx context.Context, opts Options) (*Emulator, error) {
	if opts.Artifacts == nil || len(opts.Handler) == 0 {
		return nil, fmt.Errorf("%w: Artifacts and Handler are required", ErrOptions)
	}
	if opts.Extension && opts.Artifacts.ExtensionErr != nil {
		return nil, opts.Artifacts.ExtensionErr
	}
	if opts.MaxConcurrency > 0 {
		// The runtime runs as another user; the extension and the wrapper
		// are copied to the private /opt, which is world-readable.
		paths := []string{opts.Handler[0]}
		if opts.Dir != "" {
			paths = append(paths, opts.Dir)
		}
		if err := checkOthersCanRun(paths...); err != nil {
			return nil, err
		}
	}
	// A port can still be taken between picking and the emulator binding
	// it (another test's server); the emulator then exits at once, and a
	// fresh set of ports is tried.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var e *Emulator
		e, err = startOnce(ctx, opts)
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, err
}

// errPortTaken marks a start that failed because a picked port was taken.
var errPortTaken = errors.New("lambdatest: port taken")

// startOnce starts an emulator on freshly picked ports.
func startOnce(ctx context.Context, opts Options) (*Emulator, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "lambdatest-")
	if err != nil {
		return nil, fmt.Errorf("lambdatest: %w", err)
	}
	e := &Emulator{
		ID:             filepath.Base(tmp),
		RuntimeAPIAddr: loopback(ports[0]),
		InvokeAddr:     loopback(ports[1]),
		ProxyAddr:      loopback(ports[2]),
		opts:           opts,
		tmp:            tmp,
		logs:           &syncBuffer{},
		client:         &http.Client{Transport: &http.Transport{}},
		done:           make(chan struct{}),
	}
	if err := e.start(ctx, ports[2]); err != nil {
		e.Close()
		if errors.Is(err, ErrNotReady) && strings.Contains(e.Logs(), "address already in use") {
			return nil, fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return nil, err
	}
	return e, nil
}

// start prepares the private /opt and runs the emulator.
func (e *Emulator) start(ctx context.Context, proxyPort int) error {
	layout, err := prepareLayout(e.tmp, e.opts)
	if err != nil {
		return err
	}
	args := []string{
		"--runtime-api-address", e.RuntimeAPIAddr,
		"--runtime-interface-emulator-address", e.InvokeAddr,
	}
	args = append(args, layout.bootstrap...)
	e.cmd = namespaceCommand(layout, e.opts.Artifacts.RIE, args)
	e.cmd.Dir = layout.taskDir
	e.cmd.Env = e.environ(proxyPort)
	e.cmd.Stdout = teeWriter(e.logs, e.opts.Stdout, &e.outMu)
	e.cmd.Stderr = teeWriter(e.logs, e.opts.Stderr, &e.outMu)
	e.cmd.WaitDelay = time.Second
	if err := e.cmd.Start(); err != nil {
		return fmt.Errorf("lambdatest: start emulator: %w", err)
	}
	go func() {
		e.waitErr = e.cmd.Wait()
		close(e.done)
	}()
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	if e.opts.MaxConcurrency > 0 {
		return e.waitRuntime(ctx)
	}
	return nil
}

// environ is the emulator's environment: the caller's, minus Lambda and
// idemproxy settings, plus the emulator's own.
func (e *Emulator) environ(proxyPort int) []string {
	env := filterEnv(os.Environ())
	env = append(env,
		"LAMBDATEST_EMULATOR="+e.ID,
		"LAMBDATEST_ARTIFACTS="+e.opts.Artifacts.Dir,
		"IDEMPOTENCY_PROXY_PORT="+strconv.Itoa(proxyPort),
	)
	if n := len(e.opts.Handler); n > 0 {
		// The function's handler setting, which the emulator reports in the
		// Extensions API's register response (as Lambda does): the last
		// argument, e.g. "app.handler", or the executable's file name.
		env = append(env, "AWS_LAMBDA_FUNCTION_HANDLER="+filepath.Base(e.opts.Handler[n-1]))
	}
	if e.opts.FunctionTimeout > 0 {
		env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(e.opts.FunctionTimeout))
	}
	if e.opts.MaxConcurrency > 0 {
		env = append(env, "AWS_LAMBDA_MAX_CONCURRENCY="+strconv.Itoa(e.opts.MaxConcurrency))
	}
	return append(env, e.opts.Env...)
}

// waitReady polls the invoke port until it accepts a connection.
func (e *Emulator) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var dialer net.Dialer
	for {
		conn, err := dialer.DialContext(ctx, "tcp", e.InvokeAddr)
		if err == nil {
			conn.Close()
			pid, err := namespaceInit(e.cmd.Process.Pid)
			if err != nil {
				return err
			}
			e.initPID = pid
			return nil
		}
		select {
		case <-e.done:
			return fmt.Errorf("%w: emulator exited (%v); output:\n%s", ErrNotReady, e.waitErr, e.Logs())
		case <-ctx.Done():
			return fmt.Errorf("%w: %w; output:\n%s", ErrNotReady, ctx.Err(), e.Logs())
		case <-tick.C:
		}
	}
}

// Logs returns everything the emulator, the extensions and the runtime
// printed so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// LogsContaining waits up to timeout for the output to hold every one of
// subs, and returns the output then, whether they all arrived or not. The
// emulator passes its processes' output on in the background: a line
// written just before an invocation's answer (or before a process exits)
// may arrive just after it.
func (e *Emulator) LogsContaining(timeout time.Duration, subs ...string) string {
	deadline := time.Now().Add(timeout)
	for {
		logs := e.Logs()
		all := true
		for _, s := range subs {
			all = all && strings.Contains(logs, s)
		}
		if all || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Done is closed when the emulator process has exited.
func (e *Emulator) Done() <-chan struct{} { return e.done }

// Close stops the emulator: SIGTERM first, so that extensions receive
// SHUTDOWN (reason SandboxTerminated), then SIGKILL after a grace period.
// Every process of the emulator dies with it (PID namespace). Close removes
// the emulator's temporary files; it is safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.closeErr = e.stop()
		e.client.CloseIdleConnections()
		if err := os.RemoveAll(e.tmp); err != nil && e.closeErr == nil {
			e.closeErr = fmt.Errorf("lambdatest: %w", err)
		}
	})
	return e.closeErr
}

// stop terminates the process tree.
func (e *Emulator) stop() error {
	if e.cmd == nil || e.cmd.Process == nil {
		return nil
	}
	if e.initPID > 0 {
		_ = syscall.Kill(e.initPID, syscall.SIGTERM)
		select {
		case <-e.done:
			return nil
		case <-time.After(stopGrace):
		}
		_ = syscall.Kill(e.initPID, syscall.SIGKILL)
	}
	// unshare ignores SIGTERM; killing it kills its child (--kill-child).
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
	return nil
}

// loopback formats 127.0.0.1:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// freePorts picks n distinct free loopback TCP ports, below the ephemeral
// range (see package freeport).
func freePorts(n int) ([]int, error) {
	ports, err := freeport.Pick(n)
	if err != nil {
		return nil, fmt.Errorf("lambdatest: %w", err)
	}
	return ports, nil
}

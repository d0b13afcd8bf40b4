package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/extension"
	"github.com/idemproxy/idemproxy/internal/freeport"
)

// InitRow is the extension's start-up under one configuration, medians
// over InitStarts starts.
type InitRow struct {
	Name string `json:"name"`
	// Registered is exec to the /register request (the proxy listens
	// before it registers); Ready is exec to the first /event/next (init
	// done: the store client is built and the proxy serves).
	Registered Summary `json:"registered"`
	Ready      Summary `json:"ready"`
	// IdleRSS is the extension's resident memory once ready, in bytes
	// (median).
	IdleRSS int64 `json:"idle_rss"`
}

// fakeExtensionsAPI is the Extensions API of one extension start: it
// notes when /register and the first /event/next arrive, and answers that
// /event/next with SHUTDOWN when released.
type fakeExtensionsAPI struct {
	srv        *http.Server
	ln         net.Listener
	registered chan time.Time
	ready      chan time.Time
	release    chan struct{}
	once       sync.Once
	initErr    chan string
}

func startFakeExtensionsAPI() (*fakeExtensionsAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeExtensionsAPI{ln: ln, registered: make(chan time.Time, 1), ready: make(chan time.Time, 1),
		release: make(chan struct{}), initErr: make(chan string, 1)}
	f.srv = &http.Server{Handler: f}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// ServeHTTP implements /register, /event/next and /init/error.
func (f *fakeExtensionsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	switch {
	case strings.HasSuffix(r.URL.Path, "/register"):
		select {
		case f.registered <- now:
		default:
		}
		w.Header().Set(extension.HeaderIdentifier, "bench-id")
		_, _ = w.Write([]byte(`{"functionName":"bench","functionVersion":"$LATEST","handler":"app.handler"}`))
	case strings.HasSuffix(r.URL.Path, "/event/next"):
		select {
		case f.ready <- now:
		default:
		}
		select {
		case <-f.release:
		case <-r.Context().Done():
			return
		}
		deadline := time.Now().Add(2 * time.Second).UnixMilli()
		_, _ = fmt.Fprintf(w, `{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":%d}`, deadline)
	case strings.HasSuffix(r.URL.Path, "/init/error"):
		select {
		case f.initErr <- r.Header.Get(extension.HeaderFunctionErrorType):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeExtensionsAPI) close() {
	f.once.Do(func() { close(f.release) })
	_ = f.srv.Close()
}

// startOnce starts bin once with vars and measures its init.
func startOnce(ctx context.Context, bin string, vars []string) (registered, ready time.Duration, rss int64, err error) {
	api, err := startFakeExtensionsAPI()
	if err != nil {
		return 0, 0, 0, err
	}
	defer api.close()
	port, err := freePort()
	if err != nil {
		return 0, 0, 0, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(withoutAWS(os.Environ()), "AWS_LAMBDA_RUNTIME_API="+api.ln.Addr().String(),
		"IDEMPOTENCY_PROXY_PORT="+strconv.Itoa(port), "AWS_LAMBDA_FUNCTION_NAME=bench")
	cmd.Env = append(cmd.Env, vars...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		api.close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	timeout := time.After(10 * time.Second)
	var reg, rdy time.Time
	for rdy.IsZero() {
		select {
		case reg = <-api.registered:
		case rdy = <-api.ready:
		case t := <-api.initErr:
			return 0, 0, 0, fmt.Errorf("bench: init error %s:\n%s", t, out.String())
		case err := <-exited:
			return 0, 0, 0, fmt.Errorf("bench: extension exited during init (%v):\n%s", err, out.String())
		case <-timeout:
			return 0, 0, 0, fmt.Errorf("bench: extension not ready after 10 s:\n%s", out.String())
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		}
	}
	if reg.IsZero() {
		reg = <-api.registered
	}
	// The proxy must be listening by now.
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("bench: the proxy does not listen once init is done: %w", err)
	}
	conn.Close()
	rss, _, err = readRSS(cmd.Process.Pid)
	return reg.Sub(start), rdy.Sub(start), rss, err
}

// MeasureInit starts the stripped extension n times per configuration.
func MeasureInit(ctx context.Context, env *Env, dynamoEndpoint, redisAddr string, n int) ([]InitRow, error) {
	configs := []struct {
		name string
		vars []string
	}{
		{"idempotency disabled", []string{"POWERTOOLS_IDEMPOTENCY_DISABLED=true"}},
		{"memory store", idemproxyEnv("IDEMPOTENCY_STORE=memory")},
		{"DynamoDB store", dynamoEnv(dynamoEndpoint, tableIdemproxy)},
		{"Redis store", redisEnv(redisAddr)},
	}
	rows := make([]InitRow, len(configs))
	regs := make([][]time.Duration, len(configs))
	readys := make([][]time.Duration, len(configs))
	rss := make([][]int64, len(configs))
	for i := range n {
		for k := range configs {
			idx := (i + k) % len(configs)
			c := configs[idx]
			reg, rdy, r, err := startOnce(ctx, env.Binary, c.vars)
			if err != nil {
				return nil, fmt.Errorf("init with %s: %w", c.name, err)
			}
			regs[idx] = append(regs[idx], reg)
			readys[idx] = append(readys[idx], rdy)
			rss[idx] = append(rss[idx], r)
		}
	}
	for k, c := range configs {
		rows[k] = InitRow{Name: c.name, Registered: Summarize(regs[k]), Ready: Summarize(readys[k]), IdleRSS: medianBytes(rss[k])}
	}
	return rows, nil
}

// readRSS returns VmRSS and VmHWM (peak) of pid, in bytes.
func readRSS(pid int) (rss, peak int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("bench: no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
	}
	return rss, peak, sc.Err()
}

func freePort() (int, error) { return freeport.One() }

// BinarySize returns the size of the stripped extension binary.
func (env *Env) BinarySize() (int64, error) {
	st, err := os.Stat(env.Binary)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

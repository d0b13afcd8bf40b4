package testservers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// AllowNoRedisEnv names the environment variable that, set to "1", lets
// tests skip (loudly) instead of failing when redis-server is not installed.
const AllowNoRedisEnv = "IDEMPOTENCY_TEST_ALLOW_NO_REDIS"

// ErrRedisNotInstalled reports that redis-server is not on PATH.
var ErrRedisNotInstalled = errors.New("testservers: redis-server not found on PATH; " +
	"run `make deps` (it installs the Debian package redis-server with apt-get as root)")

// redisBinary is the server executable StartRedis runs.
const redisBinary = "redis-server"

// StartRedis starts a throwaway redis-server on a free loopback port, with
// persistence off. Stop the returned Process when done.
func StartRedis(ctx context.Context) (*Process, error) {
	return startRedis(ctx, 1, func([]int) []string { return nil })
}

// StartRedisCluster starts a one-node Redis Cluster on a free loopback port
// that serves all 16384 slots, keeping its cluster state file in dir (use
// t.TempDir()). It returns once the cluster reports cluster_state:ok.
//
// Its cluster bus gets a free port of its own: by default it takes the
// client port plus 10000, which lands among the ports the e2e suite keeps
// for itself (from freeport.Reserved), where it could take one from under
// a test.
func StartRedisCluster(ctx context.Context, dir string) (*Process, error) {
	p, err := startRedis(ctx, 2, func(ports []int) []string {
		return []string{"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(ports[1]),
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--dir", dir}
	})
	if err != nil {
		return nil, err
	}
	if err := assignAllSlots(ctx, p.Addr); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("testservers: redis cluster: %w\n%s", err, p.Output())
	}
	return p, nil
}

// StartRedisOnPort starts a throwaway redis-server on the loopback port
// given, for tests that restart a server where its clients expect it.
func StartRedisOnPort(ctx context.Context, port int) (*Process, error) {
	return startRedisOn(ctx, port)
}

// startRedis starts a redis-server on n free ports, listening on the
// first, with the arguments extra gives for them.
func startRedis(ctx context.Context, n int, extra func(ports []int) []string) (*Process, error) {
	if _, err := exec.LookPath(redisBinary); err != nil {
		return nil, ErrRedisNotInstalled
	}
	return startFree(ctx, redisBinary, n, func(ports []int) []string { return redisArgs(ports[0], extra(ports)) })
}

func startRedisOn(ctx context.Context, port int, extra ...string) (*Process, error) {
	if _, err := exec.LookPath(redisBinary); err != nil {
		return nil, ErrRedisNotInstalled
	}
	return start(ctx, port, redisBinary, redisArgs(port, extra)...)
}

func redisArgs(port int, extra []string) []string {
	return append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, extra...)
}

// MustStartRedis starts a redis-server for t and stops it when t ends. If
// redis-server is missing it fails t, unless AllowNoRedisEnv is "1", in
// which case it skips t saying why.
func MustStartRedis(t testing.TB) *Process {
	t.Helper()
	return mustStart(t, func(ctx context.Context) (*Process, error) { return StartRedis(ctx) })
}

// MustStartRedisCluster is [MustStartRedis] for [StartRedisCluster].
func MustStartRedisCluster(t testing.TB) *Process {
	t.Helper()
	dir := t.TempDir()
	return mustStart(t, func(ctx context.Context) (*Process, error) { return StartRedisCluster(ctx, dir) })
}

func mustStart(t testing.TB, run func(context.Context) (*Process, error)) *Process {
	t.Helper()
	p, err := run(t.Context())
	if errors.Is(err, ErrRedisNotInstalled) && os.Getenv(AllowNoRedisEnv) == "1" {
		t.Skipf("SKIPPED, NOT PASSED: %v (%s=1 allows skipping)", err, AllowNoRedisEnv)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

// assignAllSlots gives every slot to the node at addr and waits until the
// cluster state is ok.
func assignAllSlots(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	rd := bufio.NewReader(conn)
	if reply, err := command(conn, rd, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
		return err
	} else if reply != "+OK" {
		return fmt.Errorf("CLUSTER ADDSLOTSRANGE: %s", reply)
	}
	for {
		info, err := command(conn, rd, "CLUSTER", "INFO")
		if err != nil {
			return err
		}
		if strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster state never became ok: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// command sends one RESP command and returns a simple reply line ("+OK",
// "-ERR ...") or the payload of a bulk string reply.
func command(conn net.Conn, rd *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "$") {
		return line, nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return "", fmt.Errorf("unexpected reply %q", line)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

package testservers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/idemproxy/idemproxy/internal/freeport"
)

// errExited reports a server that exited before it listened, typically
// because another process took its port first.
var errExited = errors.New("exited before listening")

// startFree starts a server on n free ports (freeport.Pick), args giving
// its arguments for them; it listens on the first. A port picked that way
// can be taken by another process before the server binds it (tests run in
// parallel); the server then exits, and it is started again on other
// ports, up to three times.
func startFree(ctx context.Context, name string, n int, args func(ports []int) []string) (*Process, error) {
	var err error
	for range 3 {
		var ports []int
		if ports, err = freeport.Pick(n); err != nil {
			return nil, fmt.Errorf("testservers: free port: %w", err)
		}
		var p *Process
		if p, err = start(ctx, ports[0], name, args(ports)...); err == nil || !errors.Is(err, errExited) {
			return p, err
		}
	}
	return nil, err
}

// start runs name with args in its own process group and waits until that
// process itself listens on port: a connection to the port alone could
// reach another process that holds it.
func start(ctx context.Context, port int, name string, args ...string) (*Process, error) {
	cmd := exec.Command(name, args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testservers: start %s: %w", name, err)
	}
	p := &Process{Addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if listensOn(cmd.Process.Pid, port) {
			if err := WaitPort(wctx, p.Addr); err != nil {
				_ = p.Stop()
				return nil, fmt.Errorf("testservers: %s: %w\n%s", name, err, out.String())
			}
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("testservers: %s on port %d %w (%v)\n%s", name, port, errExited, p.waitErr, out.String())
		case <-wctx.Done():
			_ = p.Stop()
			return nil, fmt.Errorf("testservers: %s never listened on port %d: %w\n%s", name, port, wctx.Err(), out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// listensOn reports whether process pid has a listening TCP socket on
// 127.0.0.1:port (or any address), from /proc.
func listensOn(pid, port int) bool {
	inodes := listeningInodes(port)
	if len(inodes) == 0 {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			return true
		}
	}
	return false
}

// listeningInodes returns the socket inodes of TCP listeners on port.
func listeningInodes(port int) map[string]bool {
	found := map[string]bool{}
	hexPort := fmt.Sprintf(":%04X", port)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], hexPort) {
				continue
			}
			found[f[9]] = true
		}
	}
	return found
}

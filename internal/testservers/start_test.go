package testservers

import (
	"errors"
	"net"
	"os/exec"
	"testing"
)

// A server whose port another process holds exits; start must report that
// rather than hand back the other process's address.
func TestStartNoticesATakenPort(t *testing.T) {
	if _, err := exec.LookPath(redisBinary); err != nil {
		t.Skip("SKIPPED, NOT PASSED: redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p, err := startRedisOn(t.Context(), port)
	if err == nil {
		_ = p.Stop()
		t.Fatal("start succeeded on a port another listener holds")
	}
	if !errors.Is(err, errExited) {
		t.Fatalf("error %v, want errExited", err)
	}
	if listensOn(0, port) {
		t.Error("listensOn matched a process that does not exist")
	}
}

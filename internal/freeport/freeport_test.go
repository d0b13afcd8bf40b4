package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestPickGivesDistinctBindablePortsBelowTheEphemeralRange(t *testing.T) {
	ports, err := Pick(8)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 8 {
		t.Fatalf("Pick(8) returned %d ports", len(ports))
	}
	start := min(ephemeralStart(), Reserved)
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Errorf("port %d returned twice", p)
		}
		seen[p] = true
		if start > lowest && (p < lowest || p >= start) {
			t.Errorf("port %d outside [%d, %d)", p, lowest, start)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Errorf("port %d cannot be bound: %v", p, err)
			continue
		}
		ln.Close()
	}
}

func TestCanBindSeesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if canBind(ln.Addr().(*net.TCPAddr).Port) {
		t.Error("canBind reported a listening port as free")
	}
}

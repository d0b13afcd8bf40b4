package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// lowest is the first port considered; below it live well-known services.
const lowest = 10000

// Reserved is the first port Pick never hands out: ports from it up to the
// ephemeral range are left to tests that hand out ports themselves, in
// sequence (the e2e suite's quietPort), so that the two never pick the same
// port at the same moment (seen in CI as an extension's "bind: address
// already in use").
const Reserved = 20000

// fallbackEphemeralStart is Linux's default start of the ephemeral range.
const fallbackEphemeralStart = 32768

// ErrNoPort is returned when no free port was found.
var ErrNoPort = errors.New("freeport: no free loopback port found")

// Pick returns n distinct ports on 127.0.0.1 that could be bound a moment
// ago, chosen at random below the kernel's ephemeral port range.
func Pick(n int) ([]int, error) {
	high := min(ephemeralStart(), Reserved) - 1
	if high <= lowest {
		return kernelPorts(n)
	}
	seen := make(map[int]bool, n)
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 200*n {
			return nil, fmt.Errorf("%w after %d tries", ErrNoPort, tries)
		}
		p := lowest + rand.IntN(high-lowest+1)
		if seen[p] || !canBind(p) {
			continue
		}
		seen[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

// One returns one port as Pick does.
func One() (int, error) {
	ports, err := Pick(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// canBind reports whether 127.0.0.1:p can be listened on now.
func canBind(p int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// ephemeralStart reads the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallbackEphemeralStart
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return fallbackEphemeralStart
	}
	v, err := strconv.Atoi(fields[0])
	if err != nil || v <= 0 {
		return fallbackEphemeralStart
	}
	return v
}

// kernelPorts asks the kernel, for systems whose ephemeral range starts low.
func kernelPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoPort, err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

//go:build unix

package runtimeproxy

import (
	"net"
	"syscall"
)

// runtimeGone reports whether the peer of c has closed the connection,
// without blocking or consuming anything: a peek at the socket.
func runtimeGone(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	var buf [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = n == 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EINTR
		return true
	}); err != nil {
		return true // closed on our side (Shutdown), so as good as gone
	}
	return gone
}

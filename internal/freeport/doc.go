// Package freeport picks loopback TCP ports for test servers and emulators.
//
// Ports from the kernel ("127.0.0.1:0") come from the ephemeral range, the
// same range every outgoing connection takes its local port from: a port
// picked that way and bound a moment later by another process can already be
// the source port of some client's connection (seen in CI as "bind: address
// already in use" from the emulator). Ports below the ephemeral range are
// never handed out that way, so this package picks them at random there and
// checks that each one can be bound.
package freeport

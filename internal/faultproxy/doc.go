// Package faultproxy is a small TCP proxy for tests that injects network
// faults between a client and a server: connections refused, data stalled
// (held until the fault is cleared or the connection dies), connections
// reset in the middle of a request or a response, added latency, and
// corrupted bytes. Faults are set per direction (client to server, server
// to client), can be limited to chunks containing a byte pattern (say, one
// DynamoDB operation or one Redis script) and to a number of triggers, and
// can be changed at any time while connections are open.
//
// It is in the spirit of Toxiproxy's toxics (latency, down, timeout,
// reset_peer), built on the standard library only so that tests can run it
// in-process.
package faultproxy

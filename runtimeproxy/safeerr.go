package runtimeproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
)

// safeErrors are errors whose text holds nothing received from upstream.
var safeErrors = [...]error{
	context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded,
	io.ErrUnexpectedEOF, io.EOF, net.ErrClosed,
	errMalformedUpstream, errUpstreamHeadTooBig, errBodyLength,
}

// safeError returns an error fit for logs and for the runtime: err's
// cause if it is an I/O failure or one of the proxy's own errors, else
// errMalformedUpstream. net/http's parse errors quote the bytes they could
// not parse (`malformed HTTP response "..."`), which may be an event's or
// a response's: those bytes must never reach a log.
func safeError(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range safeErrors {
		if errors.Is(err, e) {
			return e
		}
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op // a failed system call, with addresses only
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	return errMalformedUpstream
}

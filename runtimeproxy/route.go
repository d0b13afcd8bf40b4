package runtimeproxy

import (
	"net/url"
	"strings"
)

// route classifies a request the runtime sends to the proxy.
type route uint8

const (
	routeOther              route = iota // forwarded untouched
	routeNext                            // GET /2018-06-01/runtime/invocation/next
	routeInvocationResponse              // POST /2018-06-01/runtime/invocation/{id}/response
	routeInvocationError                 // POST /2018-06-01/runtime/invocation/{id}/error
)

// classify returns the route of a request and, for /response and /error, the
// request id, unescaped. path is the request's escaped path, exactly as the
// runtime sent it; anything that does not match the Runtime API's shapes exactly
// (extra segments, an empty id, another method) is forwarded untouched.
func classify(method, path string) (route, string) {
	if !strings.HasPrefix(path, pathInvocationPrefix) {
		return routeOther, ""
	}
	if path == pathInvocationNext {
		if method == "GET" {
			return routeNext, ""
		}
		return routeOther, ""
	}
	if method != "POST" {
		return routeOther, ""
	}
	rest := path[len(pathInvocationPrefix):]
	var r route
	switch {
	case strings.HasSuffix(rest, invocationResponseSuffix):
		r, rest = routeInvocationResponse, rest[:len(rest)-len(invocationResponseSuffix)]
	case strings.HasSuffix(rest, invocationErrorSuffix):
		r, rest = routeInvocationError, rest[:len(rest)-len(invocationErrorSuffix)]
	default:
		return routeOther, ""
	}
	if rest == "" || strings.IndexByte(rest, '/') >= 0 {
		return routeOther, ""
	}
	id, err := url.PathUnescape(rest)
	if err != nil || id == "" {
		return routeOther, ""
	}
	return r, id
}

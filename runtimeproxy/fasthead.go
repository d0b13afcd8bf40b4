package runtimeproxy

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
)

// leanFastRequest parses a request head (through its empty line) with
// leanRequest and returns the request if fastRequest would take it, or nil
// if it is left to fastRequest and net/http: a GET /next with no body
// framing or trailers, or a POST .../response or .../error, not a streamed
// response (any Lambda-Runtime-Function-Response-Mode header is left to
// fastRequest). leanRequest already refuses Connection, Expect, Upgrade,
// TE, a missing or repeated Host, repeated lengths and unusual targets.
func leanFastRequest(head []byte, br *bufio.Reader) *http.Request {
	req, ok := leanRequest(head, br)
	if !ok {
		return nil
	}
	switch rt, _ := classify(req.Method, req.URL.Path); rt {
	case routeNext:
		if req.Method != http.MethodGet || req.Header["Content-Length"] != nil || req.Header["Trailer"] != nil {
			return nil
		}
	case routeInvocationResponse, routeInvocationError:
		if req.Method != http.MethodPost {
			return nil
		}
	default:
		return nil
	}
	if _, ok := req.Header[http.CanonicalHeaderKey(HeaderResponseMode)]; ok {
		return nil
	}
	return req
}

// fastRequest reports whether a request head (request line and headers,
// through the empty line) can be served on the fast path: a runtime's GET
// /next or POST .../{id}/response or .../{id}/error, HTTP/1.1 with a Host,
// kept alive, no Expect, Upgrade or TE, not a streamed response, a body
// framed by one Content-Length or by chunked encoding (and none for GET),
// no obsolete line folding. Declared trailers are fine (aws-lambda-go
// declares two on every POST, and sends them empty unless it fails).
func fastRequest(head []byte) bool {
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	method, target, ok := strings.Cut(string(line), " ")
	if !ok {
		return false
	}
	target, proto, ok := strings.Cut(target, " ")
	if !ok || proto != "HTTP/1.1" || strings.ContainsAny(target, "?# ") {
		return false
	}
	switch rt, _ := classify(method, target); rt {
	case routeNext, routeInvocationResponse, routeInvocationError:
	default:
		return false
	}
	host, lengths, chunked, trailers := false, 0, false, false
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\n"))
		h = bytes.TrimSuffix(h, []byte("\r"))
		if len(h) == 0 {
			break
		}
		if h[0] == ' ' || h[0] == '\t' {
			return false
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return false
		}
		v := strings.TrimSpace(string(value))
		switch strings.ToLower(string(name)) {
		case "host":
			host = true
		case "content-length":
			lengths++
		case "transfer-encoding":
			if !strings.EqualFold(v, "chunked") {
				return false
			}
			chunked = true
		case "expect", "upgrade", "te":
			return false
		case "trailer":
			trailers = true
		case "connection":
			if l := strings.ToLower(v); strings.Contains(l, "close") || strings.Contains(l, "upgrade") {
				return false
			}
		case strings.ToLower(HeaderResponseMode):
			if strings.EqualFold(v, ResponseModeStreaming) {
				return false
			}
		}
	}
	if !host || lengths > 1 || lengths > 0 && chunked {
		return false
	}
	return method == "POST" || lengths == 0 && !chunked && !trailers
}

package runtimeproxy

import (
	"bufio"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
)

// The lean parsers read the heads of the hot path's plain messages (the
// runtime's GET /next and POST with a Content-Length body; upstream answers
// with a Content-Length body) with a few allocations: the head is copied
// into one string, header values are substrings of it, and keys already in
// canonical form are not copied again. They accept only a strict subset of
// HTTP/1.1 and report ok=false for anything else (chunked or other transfer
// codings, trailers, Connection, Pragma, obsolete line folding, control
// bytes, unusual targets or statuses), which the caller then hands to
// net/http unchanged. What they accept, they parse exactly as
// http.ReadRequest and http.ReadResponse do (FuzzLeanRequest and
// FuzzLeanResponse compare them).

// leanRequest parses a whole request head (through its empty line) read
// from br, whose body, if any, follows in br.
func leanRequest(head []byte, br *bufio.Reader) (*http.Request, bool) {
	s := string(head)
	line, rest, ok := cutLine(s)
	if !ok {
		return nil, false
	}
	method, target, proto := "", "", ""
	switch {
	case len(line) > 4 && line[:4] == "GET ":
		method, target = http.MethodGet, line[4:]
	case len(line) > 5 && line[:5] == "POST ":
		method, target = http.MethodPost, line[5:]
	default:
		return nil, false
	}
	if n := len(target) - len(" HTTP/1.1"); n > 0 && target[n:] == " HTTP/1.1" {
		target, proto = target[:n], target[n+1:]
	} else {
		return nil, false
	}
	if target[0] != '/' {
		return nil, false
	}
	for i := 0; i < len(target); i++ {
		if !plainPathByte(target[i]) {
			return nil, false
		}
	}
	h, n, ok := leanHeader(rest)
	if !ok || len(h["Host"]) != 1 {
		return nil, false
	}
	for _, k := range [...]string{"Expect", "Upgrade", "Te"} {
		if _, bad := h[k]; bad {
			return nil, false
		}
	}
	req := &http.Request{
		Method: method, URL: &url.URL{Path: target}, Proto: proto, ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: h["Host"][0], RequestURI: target, ContentLength: max(n, 0), Body: http.NoBody,
	}
	delete(h, "Host") // as http.ReadRequest does
	te, chunked := h["Transfer-Encoding"]
	switch {
	case chunked:
		if method != http.MethodPost || n >= 0 || len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return nil, false
		}
		delete(h, "Transfer-Encoding")
		if req.Trailer, ok = declaredTrailers(h); !ok {
			return nil, false
		}
		req.TransferEncoding, req.ContentLength = []string{"chunked"}, -1
		req.Body = &leanBody{src: &chunkedReader{req: req, br: br, cr: httputil.NewChunkedReader(br)}}
	case n > 0 && method == http.MethodGet:
		return nil, false
	case n > 0:
		req.Body = &leanBody{src: &lengthReader{r: br, n: n}}
	}
	return req, true
}

// declaredTrailers reads and removes the Trailer header of a chunked
// message, as net/http does; ok is false for a key net/http rejects.
func declaredTrailers(h http.Header) (_ http.Header, ok bool) {
	vv, declared := h["Trailer"]
	if !declared {
		return nil, true
	}
	delete(h, "Trailer")
	var trailer http.Header
	for _, v := range vv {
		for f := range strings.SplitSeq(v, ",") {
			if f = textproto.TrimString(f); f == "" {
				continue
			}
			switch f = http.CanonicalHeaderKey(f); f {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return nil, false
			}
			if trailer == nil {
				trailer = make(http.Header, 2)
			}
			trailer[f] = nil
		}
	}
	return trailer, true
}

// plainPathByte reports a byte that a request target may hold for it to be
// its own URL path, unescaped and escaped alike.
func plainPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '/' || c == '-' || c == '.' || c == '_' || c == '~'
}

// leanResponse parses a whole response head (through its empty line) read
// from br, whose body follows in br, as the answer to req.
func leanResponse(head []byte, br *bufio.Reader, req *http.Request) (*http.Response, bool) {
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		return nil, false
	}
	s := string(head)
	line, rest, ok := cutLine(s)
	if !ok || len(line) < 12 || line[:9] != "HTTP/1.1 " || len(line) > 12 && line[12] != ' ' {
		return nil, false
	}
	code := 0
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return nil, false
		}
		code = 10*code + int(c-'0')
	}
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return nil, false
	}
	for i := 12; i < len(line); i++ {
		if c := line[i]; c < ' ' && c != '\t' || c == 0x7f {
			return nil, false
		}
	}
	h, n, ok := leanHeader(rest)
	if !ok || n < 0 || h["Transfer-Encoding"] != nil || h["Trailer"] != nil {
		return nil, false
	}
	resp := &http.Response{
		Status: line[9:], StatusCode: code, Proto: line[:8], ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: n, Body: http.NoBody, Request: req,
	}
	if n > 0 {
		resp.Body = &leanBody{src: &lengthReader{r: br, n: n}}
	}
	return resp, true
}

// cutLine splits s after its first line, which it returns without its
// line end; ok is false if s holds no whole line.
func cutLine(s string) (line, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line, rest = s[:i], s[i+1:]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, rest, true
		}
	}
	return "", "", false
}

// leanHeader parses header lines through the empty line that ends s. It
// returns the Content-Length (-1 for none), and ok=false for a head the
// lean parsers leave to net/http. Transfer-Encoding and Trailer are left
// in h for the caller to judge.
func leanHeader(s string) (h http.Header, length int64, ok bool) {
	lines := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			lines++
		}
	}
	h = make(http.Header, lines)
	vals := make([]string, lines)
	length = -1
	for {
		line, rest, ok := cutLine(s)
		if !ok {
			return nil, 0, false
		}
		s = rest
		if line == "" {
			return h, length, s == ""
		}
		colon := -1
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == ':' && colon < 0 {
				colon = i
			} else if colon < 0 && !tokenByte(c) || colon >= 0 && (c < ' ' && c != '\t' || c == 0x7f) {
				return nil, 0, false
			}
		}
		if colon <= 0 {
			return nil, 0, false
		}
		key := textproto.CanonicalMIMEHeaderKey(line[:colon])
		value := textproto.TrimString(line[colon+1:])
		switch key {
		case "Connection", "Pragma":
			return nil, 0, false
		case "Content-Length":
			if length >= 0 || !plainLength(value) {
				return nil, 0, false
			}
			length = 0
			for _, c := range []byte(value) {
				length = 10*length + int64(c-'0')
			}
		}
		if vv := h[key]; vv != nil {
			h[key] = append(vv, value)
		} else {
			vals[0] = value
			h[key] = vals[:1:1]
			vals = vals[1:]
		}
	}
}

// plainLength reports a Content-Length of 1 to 15 digits.
func plainLength(v string) bool {
	if v == "" || len(v) > 15 {
		return false
	}
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// tokenByte reports a byte of an RFC 9110 token (a header field name).
func tokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

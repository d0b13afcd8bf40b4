package runtimeproxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// leanWritable reports whether writeLean can write req: a GET or POST with
// no body or a body of known length, kept alive, no transfer coding or
// trailers, a plain Host and a target without control bytes. Anything else
// is written by req.Write.
func leanWritable(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodPost || req.Close ||
		len(req.TransferEncoding) > 0 || req.Trailer != nil || req.URL == nil || req.URL.Opaque != "" {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength <= 0 {
		return false
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// reqWriteExclude are the header keys req.Write writes itself or never.
var reqWriteExclude = [...]string{"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"}

// writeLean writes a request that leanWritable accepted to bw, byte for byte
// as req.Write does (FuzzLeanWrite compares them): the request line, Host,
// User-Agent (its first value, Go's default if the header is missing, none
// if it is empty), Content-Length (for a body, and for every POST), the
// other headers in sorted order (names that are not tokens dropped, line
// breaks in values turned into spaces, values trimmed), the empty line and
// the body. keys is scratch space for the sort; it is returned for reuse.
// The body is closed, as req.Write does.
func writeLean(bw *bufio.Writer, req *http.Request, keys []string) (_ []string, err error) {
	length := int64(0)
	if req.Body != nil && req.Body != http.NoBody {
		length = req.ContentLength
		defer func() {
			if cerr := req.Body.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}()
	}
	ruri := req.URL.RequestURI()
	for i := 0; i < len(ruri); i++ {
		if c := ruri[i]; c < ' ' || c == 0x7f {
			return keys, fmt.Errorf("net/http: can't write control character in Request.URL")
		}
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	bw.WriteString(ruri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	ua := "Go-http-client/1.1"
	if vv, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(vv) > 0 {
			ua = vv[0]
		}
	}
	if ua = cleanHeaderValue(ua); ua != "" {
		bw.WriteString("User-Agent: ")
		bw.WriteString(ua)
		bw.WriteString("\r\n")
	}
	if length > 0 || req.Method == http.MethodPost {
		var num [20]byte
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(num[:0], length, 10))
		bw.WriteString("\r\n")
	}
	keys = keys[:0]
	for k := range req.Header {
		if !slices.Contains(reqWriteExclude[:], k) && validFieldName(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(cleanHeaderValue(v))
			bw.WriteString("\r\n")
		}
	}
	clear(keys)
	if _, err := bw.WriteString("\r\n"); err != nil {
		return keys, err
	}
	if length > 0 {
		n, err := io.Copy(bw, io.LimitReader(req.Body, length))
		if err != nil {
			return keys, err
		}
		var one [1]byte
		if m, _ := io.ReadFull(req.Body, one[:]); n != length || m > 0 {
			return keys, fmt.Errorf("http: ContentLength=%d with Body length %d", length, n+int64(m))
		}
	}
	return keys, nil
}

// cleanHeaderValue turns line breaks into spaces and trims surrounding
// white space, as req.Write does to header values.
func cleanHeaderValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	return strings.Trim(v, " \t")
}

// validFieldName reports a non-empty token.
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !tokenByte(k[i]) {
			return false
		}
	}
	return true
}

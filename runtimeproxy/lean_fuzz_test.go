package runtimeproxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The lean parsers and writer must agree with net/http on everything they
// accept (they hand everything else to net/http).

var leanRequestSeeds = []string{
	"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
	"POST /2018-06-01/runtime/invocation/abc-123/response HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n{\"a\"}",
	"POST /2018-06-01/runtime/invocation/abc/error HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nlambda-runtime-function-error-type: E\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort",
	"GET /x HTTP/1.1\nHost: x\nX:  a \t\nX: b\n\n",
	"GET /x HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n folded\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET /a%20b HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n1234567",
	"POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\nTrailer: Lambda-Runtime-Function-Error-Body\r\nAccept-Encoding: gzip\r\n\r\n7\r\n{\"a\":1}\r\n0\r\n\r\n",
	"POST /x/error HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nTrailer: a, ,b\r\n\r\n3;ext=1\r\nabc\r\n0\r\nA: 1\r\nLambda-Runtime-Function-Error-Type: E\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: bad\x01\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost: x\r\nTrailer: A\r\n\r\n",
}

func FuzzLeanRequest(f *testing.F) {
	for _, s := range leanRequestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		end := headEnd(data)
		if end < 0 {
			return
		}
		br := bufio.NewReader(bytes.NewReader(data))
		head, _ := br.Peek(end)
		got, ok := leanRequest(head, br)
		if !ok {
			return
		}
		_, _ = br.Discard(end)
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("lean parser accepted what net/http rejects (%v): %q", err, data)
		}
		if got.Method != want.Method || !reflect.DeepEqual(got.URL, want.URL) || got.Proto != want.Proto ||
			got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor || got.Host != want.Host ||
			got.RequestURI != want.RequestURI || got.ContentLength != want.ContentLength || got.Close != want.Close ||
			!reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) || !reflect.DeepEqual(got.Trailer, want.Trailer) {
			t.Fatalf("request %q:\nlean    %+v\nnet/http %+v", data, got, want)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("request %q: header %q, net/http %q", data, got.Header, want.Header)
		}
		compareBodies(t, data, got.Body, want.Body)
		if !reflect.DeepEqual(got.Trailer, want.Trailer) {
			t.Fatalf("request %q: trailer after the body %q, net/http %q", data, got.Trailer, want.Trailer)
		}
	})
}

// compareBodies checks that two bodies read the same bytes and both end
// cleanly or both fail.
func compareBodies(t *testing.T, data []byte, got, want io.ReadCloser) {
	t.Helper()
	if (got == http.NoBody) != (want == http.NoBody) {
		t.Fatalf("%q: body %T, net/http %T", data, got, want)
	}
	g, gerr := io.ReadAll(got)
	w, werr := io.ReadAll(want)
	if !bytes.Equal(g, w) || (gerr == nil) != (werr == nil) {
		t.Fatalf("%q: body %q (%v), net/http %q (%v)", data, g, gerr, w, werr)
	}
}

var leanResponseSeeds = []string{
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: 8476a536\r\nLambda-Runtime-Deadline-Ms: 1542409706888\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\nContent-Length: 2\r\n\r\n{}",
	"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}",
	"HTTP/1.1 202\r\ncontent-length: 0\r\n\r\n",
	"HTTP/1.1 500 Internal  Error \r\nContent-Length: 4\r\nX:\t v \r\n\r\nabc",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\nPragma: no-cache\nContent-Length: 0\n\n",
}

func FuzzLeanResponse(f *testing.F) {
	for i, s := range leanResponseSeeds {
		f.Add([]byte(s), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, post bool) {
		end := headEnd(data)
		if end < 0 {
			return
		}
		req := &http.Request{Method: http.MethodGet}
		if post {
			req.Method = http.MethodPost
		}
		br := bufio.NewReader(bytes.NewReader(data))
		head, _ := br.Peek(end)
		got, ok := leanResponse(head, br, req)
		if !ok {
			return
		}
		_, _ = br.Discard(end)
		want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
		if err != nil {
			t.Fatalf("lean parser accepted what net/http rejects (%v): %q", err, data)
		}
		if got.Status != want.Status || got.StatusCode != want.StatusCode || got.Proto != want.Proto ||
			got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor ||
			got.ContentLength != want.ContentLength || got.Close != want.Close || got.Uncompressed != want.Uncompressed ||
			got.Request != want.Request || !reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) ||
			!reflect.DeepEqual(got.Trailer, want.Trailer) {
			t.Fatalf("response %q:\nlean    %+v\nnet/http %+v", data, got, want)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("response %q: header %q, net/http %q", data, got.Header, want.Header)
		}
		compareBodies(t, data, got.Body, want.Body)
	})
}

func FuzzLeanWrite(f *testing.F) {
	f.Add(false, "127.0.0.1:9001", "/2018-06-01/runtime/invocation/next", "", "Accept-Encoding\x00gzip", "", int64(0))
	f.Add(true, "localhost", "/2018-06-01/runtime/invocation/a/response", "q=1", "User-Agent\x00aws-lambda-go\x00Content-Type\x00application/json\x00x-lower\x00 a\r\nb \x00Bad Key\x00v\x00User-Agent\x00second", "{\"x\":1}", int64(0))
	f.Add(true, "h", "/x", "", "User-Agent\x00\x00Host\x00evil\x00Content-Length\x009", "abc", int64(1))
	f.Add(true, "h", "/x\x7f", "", "X\x00\t", "", int64(-1))
	f.Fuzz(func(t *testing.T, post bool, host, path, query, headers, body string, delta int64) {
		build := func() *http.Request {
			req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path, RawQuery: query}, Host: host, Header: http.Header{}}
			if post {
				req.Method = http.MethodPost
			}
			kv := strings.Split(headers, "\x00")
			for i := 0; i+1 < len(kv); i += 2 {
				req.Header[kv[i]] = append(req.Header[kv[i]], kv[i+1])
			}
			if body != "" {
				req.Body = io.NopCloser(strings.NewReader(body))
				req.ContentLength = int64(len(body)) + delta%3
			}
			return req
		}
		req := build()
		if !leanWritable(req) {
			return
		}
		var got, want bytes.Buffer
		bw := bufio.NewWriter(&got)
		_, gerr := writeLean(bw, req, nil)
		_ = bw.Flush()
		werr := build().Write(&want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("lean error %v, net/http %v", gerr, werr)
		}
		if gerr == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("lean wrote\n%q\nnet/http\n%q", got.Bytes(), want.Bytes())
		}
	})
}

// leanFastRequest takes only requests that fastRequest takes.
func FuzzLeanFastRequest(f *testing.F) {
	for _, s := range leanRequestSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("POST /2018-06-01/runtime/invocation/a%2Fb/response HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		end := headEnd(data)
		if end < 0 {
			return
		}
		br := bufio.NewReader(bytes.NewReader(data))
		head, _ := br.Peek(end)
		if leanFastRequest(head, br) != nil && !fastRequest(head) {
			t.Fatalf("leanFastRequest took what fastRequest refuses: %q", data)
		}
	})
}

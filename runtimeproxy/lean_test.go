package runtimeproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// leanParse runs leanRequest (resp false) or leanResponse on msg.
func leanParse(t *testing.T, msg string, resp bool) bool {
	t.Helper()
	end := headEnd([]byte(msg))
	if end < 0 {
		t.Fatalf("no head in %q", msg)
	}
	br := bufio.NewReader(strings.NewReader(msg))
	head, _ := br.Peek(end)
	if resp {
		_, ok := leanResponse(head, br, &http.Request{Method: http.MethodGet})
		return ok
	}
	_, ok := leanRequest(head, br)
	return ok
}

// The runtime's and the Runtime API's usual messages take the lean path.
func TestLeanAcceptsHotPath(t *testing.T) {
	for _, i := range []int{0, 1, 2, 10} {
		if !leanParse(t, leanRequestSeeds[i], false) {
			t.Errorf("request %q left to net/http", leanRequestSeeds[i])
		}
	}
	for _, i := range []int{0, 1, 2, 3} {
		if !leanParse(t, leanResponseSeeds[i], true) {
			t.Errorf("response %q left to net/http", leanResponseSeeds[i])
		}
	}
}

// Anything unusual is left to net/http.
func TestLeanLeavesUnusual(t *testing.T) {
	requests := []string{
		"GET /x HTTP/1.0\r\nHost: x\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET /x HTTP/1.1\r\nX: a\r\n\r\n",
		"GET /x?q HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET /x HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nBad Key: v\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
		"PUT /x HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	for _, m := range requests {
		if leanParse(t, m, false) {
			t.Errorf("request %q taken by the lean parser", m)
		}
	}
	responses := []string{
		"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTrailer: X\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\r\n\tb\r\n\r\n",
		"HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
	}
	for _, m := range responses {
		if leanParse(t, m, true) {
			t.Errorf("response %q taken by the lean parser", m)
		}
	}
}

// The runtime's hot requests take the lean fast path.
func TestLeanFastRequest(t *testing.T) {
	for i, want := range map[int]bool{0: true, 1: true, 2: true, 10: true, 3: false, 4: false} {
		m := []byte(leanRequestSeeds[i])
		br := bufio.NewReader(bytes.NewReader(m))
		head, _ := br.Peek(headEnd(m))
		if got := leanFastRequest(head, br) != nil; got != want {
			t.Errorf("leanFastRequest(%q) = %v, want %v", m, got, want)
		}
	}
}

func TestLengthBody(t *testing.T) {
	b := &lengthReader{r: bufio.NewReader(strings.NewReader("abcdef")), n: 4}
	p := make([]byte, 10)
	n, err := b.Read(p)
	if n != 4 || err != io.EOF || string(p[:n]) != "abcd" {
		t.Fatalf("Read = %d %q %v, want 4 abcd EOF", n, p[:n], err)
	}
	short := &lengthReader{r: bufio.NewReader(strings.NewReader("ab")), n: 4}
	if _, err := io.ReadAll(short); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short body: %v, want ErrUnexpectedEOF", err)
	}
}

// The chunked body reads trailers with values into the request's Trailer
// and leaves the connection's reader at the next request.
func TestChunkedBodyTrailers(t *testing.T) {
	msg := "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-A\r\n\r\n" +
		"3\r\nabc\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\nGET /next"
	br := bufio.NewReader(strings.NewReader(msg))
	end := headEnd([]byte(msg))
	head, _ := br.Peek(end)
	req, ok := leanRequest(head, br)
	if !ok {
		t.Fatal("left to net/http")
	}
	_, _ = br.Discard(end)
	if req.Trailer == nil || req.Trailer["X-A"] != nil {
		t.Fatalf("declared trailer %q", req.Trailer)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil || string(body) != "abc" {
		t.Fatalf("body %q %v", body, err)
	}
	if req.Trailer.Get("X-A") != "1" || req.Trailer.Get("X-B") != "2" || req.Header.Get("Trailer") != "" {
		t.Fatalf("trailer %q, header %q", req.Trailer, req.Header)
	}
	if rest, _ := io.ReadAll(br); !bytes.Equal(rest, []byte("GET /next")) {
		t.Fatalf("left %q", rest)
	}
}

// Like net/http's bodies, a lean body reads what is left on Close, so that
// the connection's reader is at the next message, and fails reads after
// Close; Read and Close may be called from different goroutines.
func TestLeanBodyClose(t *testing.T) {
	for _, msg := range []string{
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabcdefNEXT",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\nNEXT",
	} {
		br := bufio.NewReader(strings.NewReader(msg))
		end := headEnd([]byte(msg))
		head, _ := br.Peek(end)
		req, ok := leanRequest(head, br)
		if !ok {
			t.Fatalf("%q left to net/http", msg)
		}
		_, _ = br.Discard(end)
		p := make([]byte, 2)
		if _, err := req.Body.Read(p); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- req.Body.Close() }()
		_, _ = req.Body.Read(p) // races with Close: serialised, never corrupt
		if err := <-done; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := req.Body.Read(p); !errors.Is(err, http.ErrBodyReadAfterClose) {
			t.Fatalf("Read after Close: %v", err)
		}
		if rest, _ := io.ReadAll(br); string(rest) != "NEXT" {
			t.Fatalf("%q: left %q after Close", msg, rest)
		}
	}
}

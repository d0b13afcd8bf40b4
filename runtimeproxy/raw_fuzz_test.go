package runtimeproxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"reflect"
	"testing"
)

// The byte relay's scanners must take only what net/http reads the same
// way, what an Interceptor is shown of a head (Result.Header and Trailer,
// Invocation.Header) must be what net/http reads, and writeRawRequest must
// send what the usual path would.

// rawBody returns the length on the wire and the decoded body of the
// request in data whose head scanRawRequest took, or ok=false if data
// does not hold all of it.
func rawBody(data []byte, end int, rq rawRequest) (wire int, body []byte, ok bool) {
	switch {
	case rq.chunked:
		w, _, more, ok := scanChunked(data[end:])
		if !ok || more {
			return 0, nil, false
		}
		chunkData(data[end:], func(p []byte) { body = append(body, p...) })
		return w, body, true
	case rq.length > 0:
		if len(data)-end < rq.length {
			return 0, nil, false
		}
		return rq.length, data[end : end+rq.length], true
	}
	return 0, nil, true
}

func FuzzRawRequest(f *testing.F) {
	for _, c := range relayCases {
		f.Add([]byte(c.req))
	}
	for _, s := range leanRequestSeeds {
		f.Add([]byte(s))
	}
	// net/http refuses a trailer that names a framing header.
	f.Add([]byte(goPost[:len(goPost)-2] + "Trailer: a, content-length\r\n\r\n0\r\n\r\n"))
	f.Add([]byte(goPost[:len(goPost)-2] + "Trailer: Trailer\r\n\r\n0\r\n\r\n"))
	// net/http trims trailer names of ASCII white space only.
	f.Add([]byte(goPost[:len(goPost)-2] + "Trailer: \u00a0x-a, ,b\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\ncontent-TYPE:  a/b \r\nContent-Type: c/d\r\nContent-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		end := headEnd(data)
		if end < 0 {
			return
		}
		rq, ok := scanRawRequest(data[:end])
		if !ok {
			return
		}
		wire, body, ok := rawBody(data, end, rq)
		if !ok {
			return
		}
		src := bytes.NewReader(data)
		br := bufio.NewReader(src)
		want, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("the byte relay took what net/http refuses (%v): %q", err, data)
		}
		wantBody, err := io.ReadAll(want.Body)
		if err != nil || !bytes.Equal(wantBody, body) || len(want.Trailer) > 0 && hasValues(want.Trailer) {
			t.Fatalf("%q: body %q, net/http %q (%v), trailer %q", data, body, wantBody, err, want.Trailer)
		}
		if left := br.Buffered() + src.Len(); left != len(data)-end-wire {
			t.Fatalf("%q: the request is %d bytes, net/http read %d", data, end+wire, len(data)-left)
		}
		// What an Interceptor is shown of the request, built as showResult
		// builds it (the content type read first, as the idempotency
		// Interceptor does, before the header is built).
		res := &Result{}
		res.header.lines, res.header.skip = data[rq.line:end], skipRequestField
		ctype := res.ContentType()
		header, trailer := res.Header(), rawTrailer(data[rq.line:end])
		if !reflect.DeepEqual(header, want.Header) || !reflect.DeepEqual(trailer, want.Trailer) {
			t.Fatalf("%q: header %q, trailer %q; net/http %q, trailer %q", data, header, trailer, want.Header, want.Trailer)
		}
		if got := ctype; got != want.Header.Get("Content-Type") {
			t.Fatalf("%q: ContentType %q, net/http %q", data, got, want.Header.Get("Content-Type"))
		}
		if want.Method != rq.method() || want.RequestURI != string(data[rq.targetStart:rq.targetEnd]) ||
			rq.next != (want.RequestURI == pathInvocationNext && !rq.post) {
			t.Fatalf("%q: scanned %+v, net/http %s %s", data, rq, want.Method, want.RequestURI)
		}

		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		writeRawRequest(bw, data[:end+wire], rq, "upstream:9001", end, len(body), nil)
		_ = bw.Flush()
		got, err := http.ReadRequest(bufio.NewReader(&out))
		if err != nil {
			t.Fatalf("%q: sent %q, which net/http refuses: %v", data, out.Bytes(), err)
		}
		gotBody, err := io.ReadAll(got.Body)
		if err != nil || !bytes.Equal(gotBody, body) || out.Len() != 0 {
			t.Fatalf("%q: sent body %q (%v), %d bytes left over", data, gotBody, err, out.Len())
		}
		if got.Host != "upstream:9001" || got.Method != want.Method || got.RequestURI != want.RequestURI {
			t.Fatalf("%q: sent %s %s to %s", data, got.Method, got.RequestURI, got.Host)
		}
		wantHeader := want.Header.Clone()
		for _, k := range []string{"Content-Length", "Transfer-Encoding", "Trailer"} {
			wantHeader.Del(k)
		}
		if rq.post {
			wantHeader["Content-Length"] = []string{itoa(int64(len(body)))}
		}
		if !reflect.DeepEqual(got.Header, wantHeader) {
			t.Fatalf("%q: sent header %q, want %q", data, got.Header, wantHeader)
		}
	})
}

func FuzzRawResponse(f *testing.F) {
	for _, c := range relayCases {
		f.Add([]byte(c.answer))
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id:  a \r\nlambda-runtime-aws-request-id: b\r\nLambda-Runtime-Deadline-Ms: 12\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 01\r\n\r\nx"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nhost: h\r\nx-a:\t 1 \r\nX-A: \u00a0caf\xc3\xa9\r\nx_b:\r\nContent-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		end := headEnd(data)
		if end < 0 {
			return
		}
		rs, ok := scanRawResponse(data[:end])
		if !ok {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), &http.Request{Method: http.MethodGet})
		if err != nil {
			t.Fatalf("the byte relay took what net/http refuses (%v): %q", err, data)
		}
		if resp.StatusCode != rs.status || resp.ContentLength != int64(rs.length) || resp.Close ||
			len(resp.TransferEncoding) > 0 || len(resp.Trailer) > 0 {
			t.Fatalf("%q: scanned %+v, net/http %d length %d close %v coding %q trailer %q",
				data, rs, resp.StatusCode, resp.ContentLength, resp.Close, resp.TransferEncoding, resp.Trailer)
		}
		for _, k := range hopHeaders {
			if _, ok := resp.Header[k]; ok {
				t.Fatalf("%q: hop-by-hop %s taken", data, k)
			}
		}
		if got, want := string(data[rs.requestID[0]:rs.requestID[1]]), resp.Header.Get(HeaderRequestID); got != want {
			t.Fatalf("%q: request id %q, net/http %q", data, got, want)
		}
		if got, want := string(data[rs.deadline[0]:rs.deadline[1]]), resp.Header.Get(HeaderDeadlineMs); got != want {
			t.Fatalf("%q: deadline %q, net/http %q", data, got, want)
		}
		// What an Interceptor is shown of an event's header, built as
		// relayNext builds it.
		inv := &Invocation{}
		inv.header.lines = data[bytes.IndexByte(data, '\n')+1 : end]
		if got := inv.Header(); !reflect.DeepEqual(got, resp.Header) {
			t.Fatalf("%q: header %q, net/http %q", data, got, resp.Header)
		}
	})
}

func FuzzScanChunked(f *testing.F) {
	f.Add([]byte("7\r\n{\"a\":1}\r\n0\r\n\r\n"))
	f.Add([]byte("1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nGET"))
	f.Add([]byte("0\r\n\r\n"))
	f.Add([]byte("2\r\nab"))
	f.Add([]byte("0\r\nA: b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		wire, size, more, ok := scanChunked(data)
		if !ok || more {
			return
		}
		br := bufio.NewReader(bytes.NewReader(data))
		want, err := io.ReadAll(httputil.NewChunkedReader(br))
		if err != nil {
			t.Fatalf("%q taken, net/http: %v", data, err)
		}
		var got []byte
		chunkData(data, func(p []byte) { got = append(got, p...) })
		if !bytes.Equal(got, want) || size != len(want) {
			t.Fatalf("%q: data %q (size %d), net/http %q", data, got, size, want)
		}
		// net/http stops before the (empty) trailer section's CRLF.
		if rest := br.Buffered(); rest != len(data)-wire+2 || !bytes.HasPrefix(data[wire-2:], []byte("\r\n")) {
			t.Fatalf("%q: wire %d, net/http left %d bytes", data, wire, rest)
		}
	})
}

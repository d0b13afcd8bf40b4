package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
)

// relayRawHTTP is a minimal HTTP/1.1 proxy (BASELINE_MODE=raw): each
// runtime connection gets its own upstream connection, and each message is
// copied with only the parsing that framing needs. It is a yardstick, not a
// proxy to use: chunked bodies are buffered and sent with a Content-Length,
// trailers are dropped, nothing is streamed.
func relayRawHTTP(ln net.Listener, api string) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", api)
			if err != nil {
				return
			}
			defer u.Close()
			cr, ur := bufio.NewReader(c), bufio.NewReader(u)
			cw, uw := bufio.NewWriter(c), bufio.NewWriter(u)
			for {
				if err := copyMessage(uw, textproto.NewReader(cr), cr); err != nil {
					return
				}
				if err := copyMessage(cw, textproto.NewReader(ur), ur); err != nil {
					return
				}
			}
		}()
	}
}

// copyMessage copies one HTTP/1.1 message (start line, headers, body)
// from r to w and flushes.
func copyMessage(w *bufio.Writer, tp *textproto.Reader, r *bufio.Reader) error {
	line, err := tp.ReadLine()
	if err != nil {
		return err
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return err
	}
	var body []byte
	chunked := h.Get("Transfer-Encoding") != ""
	if chunked {
		if body, err = io.ReadAll(httputil.NewChunkedReader(r)); err != nil {
			return err
		}
		if _, err := tp.ReadMIMEHeader(); err != nil { // the (dropped) trailers
			return err
		}
		h.Del("Transfer-Encoding")
		h.Del("Trailer")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	n, _ := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	w.WriteString(line)
	w.WriteString("\r\n")
	if err := http.Header(h).Write(w); err != nil {
		return err
	}
	w.WriteString("\r\n")
	switch {
	case chunked:
		w.Write(body)
	case n > 0:
		if _, err := io.CopyN(w, r, n); err != nil {
			return err
		}
	}
	return w.Flush()
}

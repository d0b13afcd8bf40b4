package runtimeproxy

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fastWriter is the http.ResponseWriter of the fast path. It writes an
// HTTP/1.1 response as net/http's server does for the proxy's handlers:
// the status line, the headers in sorted order (nil values suppressed, Date
// added when missing), then the body: with the handler's Content-Length as
// it is written, else buffered and sent with its length when the handler
// returns, or chunked (with the declared trailers) once the handler
// flushes before the end or declares trailers.
type fastWriter struct {
	bw     *bufio.Writer
	h      http.Header
	status int
	// sent: the status line and headers are written; chunked: the body is
	// sent in chunks; length: the declared Content-Length (-1 for none).
	sent, chunked bool
	length        int64
	written       int64
	buf           []byte
	err           error
	// conn, if set, is the runtime's connection (see runtimeGone).
	conn net.Conn
	// date is the last Date header written on this connection; it
	// outlives reset.
	date cachedDate
}

var errBodyLength = errors.New("runtimeproxy: response body does not match its Content-Length")

func (w *fastWriter) reset(bw *bufio.Writer, conn net.Conn) {
	*w = fastWriter{bw: bw, h: w.h, buf: w.buf[:0], conn: conn, date: w.date}
	if w.h == nil {
		w.h = make(http.Header, 8)
	} else {
		clear(w.h)
	}
}

// Header implements http.ResponseWriter.
func (w *fastWriter) Header() http.Header { return w.h }

// WriteHeader implements http.ResponseWriter (informational codes are not
// used by the proxy and are treated like any other).
func (w *fastWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// Write implements http.ResponseWriter.
func (w *fastWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.err != nil {
		return 0, w.err
	}
	if !w.sent {
		if _, ok := w.h[headerContentLength]; !ok && w.h.Get("Trailer") == "" {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.sendHeader(false)
	}
	return w.writeBody(p)
}

// FlushError sends what is buffered; see http.ResponseController.
func (w *fastWriter) FlushError() error {
	w.WriteHeader(http.StatusOK)
	if !w.sent {
		w.sendHeader(true)
		if len(w.buf) > 0 {
			_, _ = w.writeBody(w.buf)
			w.buf = w.buf[:0]
		}
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// runtimeGone reports whether the runtime closed its connection.
func (w *fastWriter) runtimeGone() bool { return w.conn != nil && runtimeGone(w.conn) }

func (w *fastWriter) writeBody(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	w.written += int64(len(p))
	if w.chunked {
		_, _ = w.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		_, _ = w.bw.WriteString("\r\n")
		_, _ = w.bw.Write(p)
		_, w.err = w.bw.WriteString("\r\n")
		return len(p), w.err
	}
	if w.length >= 0 && w.written > w.length {
		w.err = errBodyLength
		return 0, w.err
	}
	_, w.err = w.bw.Write(p)
	return len(p), w.err
}

// sendHeader writes the status line and headers. chunked asks for a
// chunked body when no length is known (a flush before the end).
func (w *fastWriter) sendHeader(chunked bool) {
	w.sent, w.length = true, -1
	h := w.h
	bodyless := w.status < 200 || w.status == http.StatusNoContent || w.status == http.StatusNotModified
	if h.Get("Trailer") != "" && !bodyless {
		delete(h, headerContentLength)
		chunked = true
	}
	if v := h.Get(headerContentLength); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			w.length, chunked = n, false
		}
	}
	if bodyless {
		chunked = false
	}
	w.chunked = chunked
	if w.chunked {
		h["Transfer-Encoding"] = []string{"chunked"}
	}
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{w.date.at(time.Now())}
	}
	bw := w.bw
	_, _ = bw.WriteString("HTTP/1.1 ")
	_, _ = bw.WriteString(strconv.Itoa(w.status))
	_ = bw.WriteByte(' ')
	if text := http.StatusText(w.status); text != "" {
		_, _ = bw.WriteString(text)
	} else {
		_, _ = bw.WriteString("status code " + strconv.Itoa(w.status))
	}
	_, _ = bw.WriteString("\r\n")
	_ = h.Write(bw)
	_, w.err = bw.WriteString("\r\n")
}

// finish completes the response after the handler returned and flushes it.
// It returns false when the connection cannot carry another response.
func (w *fastWriter) finish() bool {
	w.WriteHeader(http.StatusOK)
	if !w.sent {
		bodyless := w.status < 200 || w.status == http.StatusNoContent || w.status == http.StatusNotModified
		if _, ok := w.h[headerContentLength]; !ok && !bodyless {
			w.h[headerContentLength] = []string{strconv.Itoa(len(w.buf))}
		}
		w.sendHeader(false)
		if len(w.buf) > 0 {
			_, _ = w.writeBody(w.buf)
		}
	}
	if w.chunked && w.err == nil {
		_, _ = w.bw.WriteString("0\r\n")
		for _, k := range strings.Split(w.h.Get("Trailer"), ",") {
			k = http.CanonicalHeaderKey(strings.TrimSpace(k))
			for _, v := range w.h[k] {
				_, _ = w.bw.WriteString(k + ": " + v + "\r\n")
			}
		}
		_, w.err = w.bw.WriteString("\r\n")
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if w.err == nil && !w.chunked && w.length >= 0 && w.written != w.length {
		w.err = errBodyLength
	}
	return w.err == nil
}

// cachedDate is a Date header value and the second it is for.
type cachedDate struct {
	sec  int64
	text string
}

// at formats now for a Date header, reusing the last value within the
// same second.
func (d *cachedDate) at(now time.Time) string {
	if sec := now.Unix(); d.text == "" || d.sec != sec {
		d.sec, d.text = sec, now.UTC().Format(http.TimeFormat)
	}
	return d.text
}

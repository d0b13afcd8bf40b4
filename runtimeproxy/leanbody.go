package runtimeproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/textproto"
	"sync"
)

// leanBody is the body of a message read by the lean parsers. As net/http's
// bodies do, it serialises Read and Close (the Transport may close a request
// body it is sending from another goroutine), reads what is left on Close
// (so that the connection can carry the next message), and fails reads
// after Close.
type leanBody struct {
	mu          sync.Mutex
	src         io.Reader // *lengthReader or *chunkedReader
	eof, closed bool
}

func (b *leanBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.src.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *leanBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.eof {
		return nil
	}
	_, err := io.Copy(io.Discard, b.src)
	return err
}

// lengthReader reads a message body of known length read from a connection's
// reader. Like net/http's, it reports io.EOF with its last bytes, and
// io.ErrUnexpectedEOF if the connection ends before them.
type lengthReader struct {
	r *bufio.Reader
	n int64
}

func (b *lengthReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	k, err := b.r.Read(p)
	b.n -= int64(k)
	switch {
	case b.n == 0:
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return k, err
}

// chunkedReader reads a chunked request body from a connection's reader
// with net/http's own chunk decoder; its trailers are read into the
// request's Trailer as net/http does.
type chunkedReader struct {
	req  *http.Request
	br   *bufio.Reader
	cr   io.Reader
	done bool
	err  error
}

var errTrailer = errors.New("runtimeproxy: malformed trailer in request body")

func (b *chunkedReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	n, err := b.cr.Read(p)
	if err == io.EOF {
		b.done, b.err = true, io.EOF
		if terr := b.readTrailer(); terr != nil {
			err, b.err = terr, terr
		}
	} else if err != nil {
		b.done, b.err = true, err
	}
	return n, err
}

// readTrailer reads what follows the last chunk: the trailer section's
// empty line, or trailer fields, which are bounded by br's size.
func (b *chunkedReader) readTrailer() error {
	buf, err := b.br.Peek(2)
	if string(buf) == "\r\n" {
		_, _ = b.br.Discard(2)
		return nil
	}
	if len(buf) < 2 {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if !seeDoubleCRLF(b.br) {
		return errTrailer
	}
	hdr, err := textproto.NewReader(b.br).ReadMIMEHeader()
	if err != nil {
		return errTrailer
	}
	if b.req.Trailer == nil {
		b.req.Trailer = http.Header(hdr)
	} else {
		maps.Copy(b.req.Trailer, http.Header(hdr))
	}
	return nil
}

// seeDoubleCRLF reports whether br's buffer can show the end of a trailer
// section.
func seeDoubleCRLF(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

package readall

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAll reads bodies of every length around the chunk edges, whole
// and in short reads, and bodies that break off: it must return what
// io.ReadAll returns, the bytes before an error included.
func TestReadAll(t *testing.T) {
	body := make([]byte, 3*MaxChunk+4*FirstChunk)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	boom := errors.New("boom")
	for _, edge := range []int{0, FirstChunk, 3 * FirstChunk, 2047 * FirstChunk, 2047*FirstChunk + MaxChunk, len(body)} {
		for d := -2; d <= 2; d++ {
			n := edge + d
			if n < 0 || n > len(body) {
				continue
			}
			for _, r := range []io.Reader{bytes.NewReader(body[:n]), iotest.HalfReader(bytes.NewReader(body[:n]))} {
				if got, err := ReadAll(r); err != nil || !bytes.Equal(got, body[:n]) {
					t.Fatalf("length %d: got %d bytes (%v)", n, len(got), err)
				}
			}
			// A body that breaks off, io.ErrUnexpectedEOF as net/http says
			// it, is an error too, not an end.
			for _, fail := range []error{boom, io.ErrUnexpectedEOF} {
				got, err := ReadAll(io.MultiReader(bytes.NewReader(body[:n]), iotest.ErrReader(fail)))
				if !errors.Is(err, fail) || !bytes.Equal(got, body[:n]) {
					t.Fatalf("length %d then %v: got %d bytes (%v), want %d and the error", n, fail, len(got), err, n)
				}
			}
		}
	}
}

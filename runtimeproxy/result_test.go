package runtimeproxy

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/idemproxy/idemproxy/internal/readall"
)

// TestReadAtMost reads bodies of every length around readall's chunk
// boundaries and the limit, of known and unknown length, in reads of
// every size, and bodies that break off: it must return the body's first
// max+1 bytes, and on an error the bytes read before it.
func TestReadAtMost(t *testing.T) {
	body := make([]byte, 3*readall.MaxChunk+readall.FirstChunk*4)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	var lengths []int
	for _, edge := range []int{0, readall.FirstChunk, 3 * readall.FirstChunk, 7 * readall.FirstChunk, 2047 * readall.FirstChunk, 2047*readall.FirstChunk + readall.MaxChunk, len(body)} {
		for d := -2; d <= 2; d++ {
			if n := edge + d; n >= 0 && n <= len(body) {
				lengths = append(lengths, n)
			}
		}
	}
	limits := []int{10, readall.FirstChunk, 3*readall.FirstChunk - 1, 2 * readall.MaxChunk, len(body) + 5}
	boom := errors.New("boom")
	for _, n := range lengths {
		for _, max := range limits {
			want := body[:min(n, max+1)]
			for _, known := range []bool{false, true} {
				cl := int64(-1)
				if known {
					cl = int64(n)
				}
				readers := []io.Reader{bytes.NewReader(body[:n]), iotest.HalfReader(bytes.NewReader(body[:n]))}
				if n <= 8*readall.FirstChunk {
					readers = append(readers, iotest.OneByteReader(bytes.NewReader(body[:n])))
				}
				for _, r := range readers {
					got, err := readAtMost(r, cl, max)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("length %d (known %v), max %d: got %d bytes (%v), want %d", n, known, max, len(got), err, len(want))
					}
				}
				// A body that breaks off after n bytes (net/http says
				// io.ErrUnexpectedEOF for a truncated body).
				for _, fail := range []error{boom, io.ErrUnexpectedEOF} {
					got, err := readAtMost(io.MultiReader(bytes.NewReader(body[:n]), iotest.ErrReader(fail)), cl, max)
					if n <= max && (!errors.Is(err, fail) || !bytes.Equal(got, want)) {
						t.Fatalf("length %d then %v (known %v), max %d: got %d bytes (%v), want %d and the error", n, fail, known, max, len(got), err, len(want))
					}
					if n > max && (err != nil || !bytes.Equal(got, want)) {
						t.Fatalf("length %d then %v past max %d: got %d bytes (%v), want %d", n, fail, max, len(got), err, len(want))
					}
				}
			}
		}
	}
}

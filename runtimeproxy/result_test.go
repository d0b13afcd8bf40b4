package runtimeproxy

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAtMost reads bodies of every length around readChunks' chunk
// boundaries and the limit, of known and unknown length, in reads of
// every size, and bodies that break off: it must return the body's first
// max+1 bytes, and on an error the bytes read before it.
func TestReadAtMost(t *testing.T) {
	body := make([]byte, 3*maxChunk+firstChunk*4)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	var lengths []int
	for _, edge := range []int{0, firstChunk, 3 * firstChunk, 7 * firstChunk, 2047 * firstChunk, 2047*firstChunk + maxChunk, len(body)} {
		for d := -2; d <= 2; d++ {
			if n := edge + d; n >= 0 && n <= len(body) {
				lengths = append(lengths, n)
			}
		}
	}
	limits := []int{10, firstChunk, 3*firstChunk - 1, 2 * maxChunk, len(body) + 5}
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
				if n <= 8*firstChunk {
					readers = append(readers, iotest.OneByteReader(bytes.NewReader(body[:n])))
				}
				for _, r := range readers {
					got, err := readAtMost(r, cl, max)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("length %d (known %v), max %d: got %d bytes (%v), want %d", n, known, max, len(got), err, len(want))
					}
				}
				// A body that breaks off after n bytes.
				got, err := readAtMost(io.MultiReader(bytes.NewReader(body[:n]), iotest.ErrReader(boom)), cl, max)
				if n <= max && (!errors.Is(err, boom) || !bytes.Equal(got, want)) {
					t.Fatalf("length %d then an error (known %v), max %d: got %d bytes (%v), want %d and the error", n, known, max, len(got), err, len(want))
				}
				if n > max && (err != nil || !bytes.Equal(got, want)) {
					t.Fatalf("length %d then an error past max %d: got %d bytes (%v), want %d", n, max, len(got), err, len(want))
				}
			}
		}
	}
}

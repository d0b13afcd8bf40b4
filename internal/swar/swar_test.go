package swar

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// TestSpecial checks Special's first flagged byte against a byte loop for
// every byte value at every position, after every kind of earlier byte.
func TestSpecial(t *testing.T) {
	stop := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for _, fill := range []byte{'a', 0x7f, 0x80, 0xff, ' '} {
		for pos := range 8 {
			for c := range 256 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := 8
				for i, x := range b {
					if stop(x) {
						want = i
						break
					}
				}
				got := 8
				if m := Special(binary.LittleEndian.Uint64(b[:])); m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != want {
					t.Fatalf("%q: first special byte at %d, want %d", b, got, want)
				}
			}
		}
	}
}

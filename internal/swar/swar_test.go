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

// TestEqualControlBits checks Equal, Control and Bits against byte loops
// for every byte value at every position, beside every kind of byte.
func TestEqualControlBits(t *testing.T) {
	for _, fill := range []byte{'a', 0, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff} {
		for pos := range 8 {
			for c := range 256 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				w := binary.LittleEndian.Uint64(b[:])
				var eq, ctl uint8
				for i, x := range b {
					if x == '\\' {
						eq |= 1 << i
					}
					if x < 0x20 {
						ctl |= 1 << i
					}
				}
				if got := Bits(Equal(w, '\\')); got != eq {
					t.Fatalf("%q: Equal(\\) bits %08b, want %08b", b, got, eq)
				}
				if got := Bits(Control(w)); got != ctl {
					t.Fatalf("%q: Control bits %08b, want %08b", b, got, ctl)
				}
				if eb, eq, ec := Escapes(w); eb != Equal(w, '\\') || eq != Equal(w, '"') || ec != Control(w) {
					t.Fatalf("%q: Escapes = %#x %#x %#x", b, eb, eq, ec)
				}
				if m := Equal(w, byte(c)); m&^Highs != 0 || Bits(m)>>pos&1 != 1 {
					t.Fatalf("%q: Equal(%#x) = %#x", b, c, m)
				}
			}
		}
	}
	for m := range 256 {
		var w uint64
		for i := range 8 {
			if m>>i&1 == 1 {
				w |= 0x80 << (8 * i)
			}
		}
		if got := Bits(w); got != uint8(m) {
			t.Fatalf("Bits(%#x) = %08b, want %08b", w, got, m)
		}
	}
}

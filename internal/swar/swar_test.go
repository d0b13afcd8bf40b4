package swar

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// eachWord calls f with every word that is fill in seven bytes and c at
// pos, for every byte value c at every position.
func eachWord(fills []byte, f func(b [8]byte)) {
	for _, fill := range fills {
		for pos := range 8 {
			for c := range 256 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				f(b)
			}
		}
	}
}

// TestSpecial checks the first byte that Special and Stop flag against
// byte loops for every byte value at every position, after every kind of
// earlier byte.
func TestSpecial(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	checkFirst(t, "Special", Special, special)
	checkFirst(t, "Stop", Stop, func(c byte) bool { return special(c) || c >= 0x7f })
}

func checkFirst(t *testing.T, name string, flag func(uint64) uint64, stop func(byte) bool) {
	t.Helper()
	eachWord([]byte{'a', 0x7f, 0x80, 0xff, ' '}, func(b [8]byte) {
		want := 8
		for i, x := range b {
			if stop(x) {
				want = i
				break
			}
		}
		got := 8
		if m := flag(binary.LittleEndian.Uint64(b[:])); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != want {
			t.Fatalf("%s(%q): first flagged byte at %d, want %d", name, b, got, want)
		}
	})
}

// TestEscapesBits checks Escapes, through Bits, against byte loops for
// every byte value at every position, beside every kind of byte; and Bits
// on every mask.
func TestEscapesBits(t *testing.T) {
	eachWord([]byte{'a', 0, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff}, func(b [8]byte) {
		var bs, qt, ctl uint8
		for i, x := range b {
			bs |= b2u(x == '\\') << i
			qt |= b2u(x == '"') << i
			ctl |= b2u(x < 0x20) << i
		}
		mb, mq, mc := Escapes(binary.LittleEndian.Uint64(b[:]))
		if (mb|mq|mc)&^Highs != 0 || Bits(mb) != bs || Bits(mq) != qt || Bits(mc) != ctl {
			t.Fatalf("%q: Escapes = %#x %#x %#x, want bits %08b %08b %08b", b, mb, mq, mc, bs, qt, ctl)
		}
	})
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

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

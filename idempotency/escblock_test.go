package idempotency

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// escapeBlockByBytes is escapeBlock written one byte at a time.
func escapeBlockByBytes(block string) (bs, qt, ctl uint64, hi bool) {
	for k := range 64 {
		switch c := block[k]; {
		case c == '\\':
			bs |= 1 << k
		case c == '"':
			qt |= 1 << k
		case c < 0x20:
			ctl |= 1 << k
		case c >= 0x7f:
			hi = true
		}
	}
	return bs, qt, ctl, hi
}

// checkEscapeBlock compares escapeBlock (the SSE2 version on amd64) and
// escapeBlockWords with the byte loop on the 64 bytes of text from i.
func checkEscapeBlock(t *testing.T, text string, i int) {
	t.Helper()
	wbs, wqt, wctl, whi := escapeBlockByBytes(text[i : i+64])
	for _, f := range []struct {
		name string
		fn   func(string, int) (uint64, uint64, uint64, bool)
	}{{"escapeBlock", escapeBlock}, {"escapeBlockWords", escapeBlockWords}} {
		bs, qt, ctl, hi := f.fn(text, i)
		if bs != wbs || qt != wqt || ctl != wctl || hi != whi {
			t.Fatalf("%s(%q) = %#x %#x %#x %v, want %#x %#x %#x %v", f.name, text[i:i+64], bs, qt, ctl, hi, wbs, wqt, wctl, whi)
		}
	}
}

// TestEscapeBlock checks every byte value at every position of a block
// (each flag must land on its own bit, never a neighbour's), then random
// blocks at every alignment.
func TestEscapeBlock(t *testing.T) {
	for c := range 256 {
		for k := range 64 {
			b := []byte(strings.Repeat("a", 64))
			b[k] = byte(c)
			checkEscapeBlock(t, string(b), 0)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	text := make([]byte, 64+16)
	for range 20_000 {
		for k := range text {
			text[k] = stringAlphabet[r.IntN(len(stringAlphabet))]
			if r.IntN(16) == 0 {
				text[k] = byte(r.IntN(256))
			}
		}
		for i := range 16 {
			checkEscapeBlock(t, string(text), i)
		}
	}
}

// FuzzEscapeBlock is the same check on arbitrary blocks.
func FuzzEscapeBlock(f *testing.F) {
	f.Add(strings.Repeat(`\"`, 32))
	f.Add(strings.Repeat("\x1f\x20\x7e\x7f\x80\xff", 11))
	f.Fuzz(func(t *testing.T, text string) {
		for i := 0; i+64 <= len(text) && i < 8; i++ {
			checkEscapeBlock(t, text, i)
		}
	})
}

// plainStringByBytes is plainString written one byte at a time.
func plainStringByBytes(src string) int {
	blocks := len(src) &^ 15
	for k := 1; k < blocks; k++ {
		switch c := src[k]; {
		case c == '"':
			return k + 1
		case c < 0x20 || c >= 0x7f || c == '\\':
			return -k
		}
	}
	return -blocks
}

// checkPlainString compares plainString (the SSE2 version on amd64) and
// plainStringWords with the byte loop on src, and checks what they copied.
func checkPlainString(t *testing.T, src string) {
	t.Helper()
	want := plainStringByBytes(src)
	for _, f := range []struct {
		name string
		fn   func(dst, src *byte, n int) int
	}{{"plainString", plainString}, {"plainStringWords", plainStringWords}} {
		dst := make([]byte, len(src))
		got := f.fn(unsafe.SliceData(dst), unsafe.StringData(src), len(src))
		if got != want {
			t.Fatalf("%s(%q) = %d, want %d", f.name, src, got, want)
		}
		if n := max(got, -got); string(dst[:n]) != src[:n] {
			t.Fatalf("%s(%q) copied %q", f.name, src, dst[:n])
		}
	}
}

// TestPlainString checks every byte value at every position of the first
// two blocks, strings ending in each block and at the last byte, then
// random strings.
func TestPlainString(t *testing.T) {
	for c := range 256 {
		for k := 1; k < 48; k++ {
			b := []byte(`"` + strings.Repeat("a", 47))
			b[k] = byte(c)
			checkPlainString(t, string(b))
			checkPlainString(t, string(b[:max(16, k+1)]))
		}
	}
	for n := 2; n < 70; n++ {
		for extra := range 20 {
			checkPlainString(t, `"`+strings.Repeat("b", n-2)+`"`+strings.Repeat("c", extra)+"\xff")
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 50_000 {
		b := make([]byte, 16+r.IntN(80))
		for k := range b {
			b[k] = stringAlphabet[r.IntN(len(stringAlphabet))]
			if r.IntN(32) == 0 {
				b[k] = byte(r.IntN(256))
			}
		}
		b[0] = '"'
		checkPlainString(t, string(b))
	}
}

// FuzzPlainString is the same check on arbitrary strings.
func FuzzPlainString(f *testing.F) {
	f.Add(`"` + strings.Repeat("#", 40) + `"`)
	f.Add("\"\x1f\x20\x7e\x7f\x80\xff\"\\ab\"cdefghijklmnop")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) >= 16 {
			checkPlainString(t, text)
		}
	})
}

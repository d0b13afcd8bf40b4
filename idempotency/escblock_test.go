package idempotency

import (
	"math/rand/v2"
	"strings"
	"testing"
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

package idempotency

import "github.com/idemproxy/idemproxy/internal/swar"

// escapeBlockWords classifies the 64 bytes of text from i (which must hold
// them), eight bytes at a time: bit k of bs, qt and ctl is set when byte
// i+k is a backslash, a quote, or a control byte (below 0x20), and hi is
// true when some byte is 0x7f or above. It is escapeBlock where no vector
// version exists, and the model that version is tested against.
func escapeBlockWords(text string, i int) (bs, qt, ctl uint64, hi bool) {
	var high uint64
	for k := range 8 {
		w := load8(text, i+8*k)
		b, q, c := swar.Escapes(w)
		bs |= uint64(swar.Bits(b)) << (8 * k)
		qt |= uint64(swar.Bits(q)) << (8 * k)
		ctl |= uint64(swar.Bits(c)) << (8 * k)
		high |= w | (w + swar.Ones)
	}
	return bs, qt, ctl, high&swar.Highs != 0
}

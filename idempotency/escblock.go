package idempotency

import (
	"math/bits"
	"unsafe"

	"github.com/idemproxy/idemproxy/internal/swar"
)

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

// plainStringWords copies the JSON string whose opening quote is at src,
// of the n bytes there, to dst, in blocks of sixteen bytes while a whole
// block is within n, and stops at the first byte past the opening quote
// that is not plain: below 0x20, 0x7f or above, a quote or a backslash
// (swar.Stop). When that byte is a quote, the string is plain, and copied
// whole: it returns its length, quotes included. Otherwise it returns -k,
// k > 0: k is the offset of that byte, or of the first byte not copied (n
// rounded down to a multiple of 16), and the bytes between the opening
// quote and src+k are plain. n must be at least 16. Bytes written past the returned length or k, up to the block's
// end, are garbage. It is plainString where no vector version exists, and
// the model that version is tested against.
func plainStringWords(dst, src *byte, n int) int {
	d, s := unsafe.Pointer(dst), unsafe.Pointer(src)
	k := 0
	for ; k+16 <= n; k += 16 {
		w0, w1 := *(*uint64)(unsafe.Add(s, k)), *(*uint64)(unsafe.Add(s, k+8))
		*(*uint64)(unsafe.Add(d, k)) = w0
		*(*uint64)(unsafe.Add(d, k+8)) = w1
		c0 := w0
		if k == 0 {
			c0 = w0&^0xff | 'a' // the opening quote is not a stop
		}
		at, m := k, swar.Stop(c0)
		if m == 0 {
			at, m = k+8, swar.Stop(w1)
		}
		if m != 0 {
			if at += bits.TrailingZeros64(m) >> 3; *(*byte)(unsafe.Add(s, at)) == '"' {
				return at + 1
			}
			return -at
		}
	}
	return -k
}

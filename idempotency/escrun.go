package idempotency

import (
	"math/bits"

	"github.com/idemproxy/idemproxy/internal/swar"
)

// skipEscapeRun steps over string content that starts at the backslash at
// i, 64 bytes at a time, for as long as every escape in it is \" or \\
// and no block of 64 bytes holds the string's end, a control byte or
// another escape. It returns where the byte-wise scan goes on, which is
// always outside an escape (i itself when the first block is not of that
// kind), the high-bit accumulator (see scanStringAt) of the bytes it
// stepped over, and stop: the offset of the first byte that ended the run
// (len(text) when fewer than 64 bytes were left). A call from any offset
// up to stop would end at stop again, so scanStringAt makes none.
//
// A JSON document held in a string (an API Gateway body) has an escaped
// quote every few bytes, and the byte-wise scan stops at each; here a block
// costs the same with any number of them. Which bytes are escaped follows
// from the backslashes alone, as in simdjson's find_escaped: a run of
// backslashes escapes the byte after it when its length is odd, and the
// parity of all the runs of a block is found with one addition.
func skipEscapeRun(text string, i int) (next int, high uint64, stop int) {
	const even = 0x5555555555555555 // the bytes at even offsets of a block
	carry := uint64(0)              // 1: the block's first byte is escaped
	stop = len(text)
	for ; i+64 <= len(text); i += 64 {
		var bs, qt, ctl, hi uint64
		for k := range 8 {
			w := load8(text, i+8*k)
			b, q, c := swar.Escapes(w)
			bs |= uint64(swar.Bits(b)) << (8 * k)
			qt |= uint64(swar.Bits(q)) << (8 * k)
			ctl |= c
			hi |= w | (w + swar.Ones)
		}
		starts := bs &^ carry // a backslash that is escaped starts nothing
		follows := starts<<1 | carry
		odd := starts &^ even &^ follows // runs that start at odd offsets
		sum, out := bits.Add64(odd, starts, 0)
		escaped := (even ^ sum<<1) & follows
		if ends := qt&^escaped | escaped&^(qt|bs); ctl != 0 || ends != 0 {
			// A control byte, the string's end, or another escape.
			for k := range 8 {
				_, _, c := swar.Escapes(load8(text, i+8*k))
				ends |= uint64(swar.Bits(c)) << (8 * k)
			}
			stop = i + bits.TrailingZeros64(ends)
			break
		}
		carry = out
		high |= hi
	}
	// The loop ends at a block's start; a byte escaped there belongs to
	// the backslash just before, which the byte-wise scan steps over with
	// it.
	return i - int(carry), high, stop
}

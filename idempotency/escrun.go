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
// kind), high (swar.Highs when a byte it stepped over is 0x7f or above, as
// scanStringAt's accumulator would have it, else 0), and stop: the offset
// of the first byte that ended the run (len(text) when fewer than 64 bytes
// were left). A call from any offset up to stop would end at stop again,
// so scanStringAt makes none.
//
// A JSON document held in a string (an API Gateway body) has an escaped
// quote every few bytes, and the byte-wise scan stops at each; here a block
// costs the same with any number of them. Which bytes are escaped follows
// from the backslashes alone, as in simdjson's find_escaped: a run of
// backslashes escapes the byte after it when its length is odd, and the
// parity of all the runs of a block is found with one addition. The
// block's bytes are classified by escapeBlock: sixteen at a time with SSE2
// on amd64, eight at a time elsewhere.
func skipEscapeRun(text string, i int) (next int, high uint64, stop int) {
	carry := uint64(0) // 1: the block's first byte is escaped
	stop = len(text)
	for ; i+64 <= len(text); i += 64 {
		ends, _, out, hi := runBlock(text, i, carry)
		if ends != 0 {
			stop = i + bits.TrailingZeros64(ends)
			break
		}
		if hi {
			high = swar.Highs
		}
		carry = out
	}
	// The loop ends at a block's start; a byte escaped there belongs to
	// the backslash just before, which the byte-wise scan steps over with
	// it.
	return i - int(carry), high, stop
}

// runBlock classifies the 64 bytes of text from i for an escape run, carry
// being 1 when the block's first byte is escaped by the last backslash of
// the block before: ends flags the bytes that end a run (an unescaped
// quote, which ends the string, a control byte, and an escaped byte other
// than a quote or a backslash), drop the backslashes that start an escape,
// out the carry into the next block, and hi whether a byte is 0x7f or
// above.
func runBlock(text string, i int, carry uint64) (ends, drop, out uint64, hi bool) {
	const even = 0x5555555555555555 // the bytes at even offsets of a block
	bs, qt, ctl, hi := escapeBlock(text, i)
	starts := bs &^ carry // a backslash that is escaped starts nothing
	follows := starts<<1 | carry
	odd := starts &^ even &^ follows // runs that start at odd offsets
	sum, out := bits.Add64(odd, starts, 0)
	escaped := (even ^ sum<<1) & follows
	return qt&^escaped | escaped&^(qt|bs) | ctl, bs &^ escaped, out, hi
}

// unescapeRun is skipEscapeRun for unescapeTail: it unescapes the run it
// steps over into out from n, dropping the backslash of each escape, and
// also returns the length of the unescaped content. It writes nothing of
// the block where the run stops. out has room for a whole word past the
// content of the text it reads (as scanUnescape allocates it), which the
// word-sized stores may write into.
func unescapeRun(text string, i int, out []byte, n int) (next, m, stop int) {
	carry := uint64(0)
	stop = len(text)
	for ; i+64+8 <= len(text); i += 64 {
		ends, drop, c, _ := runBlock(text, i, carry)
		if ends != 0 {
			stop = i + bits.TrailingZeros64(ends)
			break
		}
		// Copy the block's bytes between the dropped backslashes, eight
		// at a time: the copy may read up to seven bytes past the block
		// (the loop leaves eight there) and write up to seven past the
		// piece, which the next piece (or the next write) overwrites.
		from := i
		for ; ; drop &= drop - 1 {
			to := i + 64
			if drop != 0 {
				to = i + bits.TrailingZeros64(drop)
			}
			for k := from; k < to; k += 8 {
				store8(out, n+k-from, load8(text, k))
			}
			n += to - from
			from = to + 1
			if drop == 0 {
				break
			}
		}
		carry = c
	}
	return i - int(carry), n, stop
}

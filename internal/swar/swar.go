package swar

// One byte repeated eight times.
const (
	// Ones has 0x01 in every byte.
	Ones = 0x0101010101010101
	// Highs has the high bit of every byte set.
	Highs = 0x8080808080808080
	// Slashes has a backslash in every byte.
	Slashes = '\\' * Ones

	quotes = '"' * Ones
	spaces = 0x20 * Ones
)

// Special returns a mask with the high bit set in the first byte of w (and
// maybe in later ones: a borrow only runs towards them) that is '"', '\\'
// or a control character. Bytes are in little-endian order: the first byte
// is the lowest.
func Special(w uint64) uint64 {
	q := w ^ quotes
	s := w ^ Slashes
	return ((q-Ones)&^q | (s-Ones)&^s | (w-spaces)&^w) & Highs
}

// Stop is Special that also flags the bytes >= 0x7f (which a string
// written with Python's ensure_ascii escapes), with the same guarantee: the
// first flagged byte is exact (w+Ones carries out of a byte only from a
// 0xff byte below it, itself flagged).
func Stop(w uint64) uint64 {
	return Special(w) | (w|(w+Ones))&Highs
}

// lows has every bit of a byte but its high bit, in every byte.
const lows = 0x7f7f7f7f7f7f7f7f

// Escapes returns three masks with the high bit set in exactly the bytes of
// w that are a backslash, a quote, or below 0x20. Unlike the borrow trick of
// Special, no byte is flagged because of another: the low seven bits of a
// byte, added to lows or to 0x60, cannot carry out of it. A byte >= 0x80 is
// none of the three.
func Escapes(w uint64) (backslashes, quotes, controls uint64) {
	t, below := w&lows, ^w&Highs
	backslashes = ^((t ^ Slashes) + lows) & below
	quotes = ^((t ^ '"'*Ones) + lows) & below
	controls = ^(t + 0x60*Ones) & below
	return backslashes, quotes, controls
}

// Bits packs a mask of high bits (as Escapes returns) into one bit per byte:
// bit k is the high bit of byte k. The multiplication moves the bit of byte
// k to bit 56+k; the other products land at distinct places, below bit 56
// or past bit 63, so nothing carries into the result.
func Bits(m uint64) uint8 {
	return uint8((m >> 7) * 0x0102040810204080 >> 56)
}

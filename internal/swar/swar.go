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

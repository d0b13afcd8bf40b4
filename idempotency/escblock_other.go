//go:build !amd64 || purego

package idempotency

// escapeBlock is escapeBlockWords where no vector version exists (the
// purego tag selects it on amd64 too).
func escapeBlock(text string, i int) (bs, qt, ctl uint64, hi bool) {
	return escapeBlockWords(text, i)
}

// plainString is plainStringWords where no vector version exists.
func plainString(dst, src *byte, n int) int {
	return plainStringWords(dst, src, n)
}

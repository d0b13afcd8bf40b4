//go:build amd64 && !purego

package idempotency

import "unsafe"

// escapeBlockSSE2 is escapeBlockWords on the 64 bytes at p with SSE2
// instructions (part of every amd64 processor): sixteen bytes compared at
// once, and each comparison's bytes packed into bits by PMOVMSKB. hi is
// nonzero when some byte is 0x7f or above. It is in escblock_amd64.s.
//
//go:noescape
func escapeBlockSSE2(p *byte) (bs, qt, ctl, hi uint64)

// escapeBlock is escapeBlockWords, sixteen bytes at a time.
func escapeBlock(text string, i int) (bs, qt, ctl uint64, hi bool) {
	_ = text[i+63] // the 64 bytes are there
	bs, qt, ctl, h := escapeBlockSSE2((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), i)))
	return bs, qt, ctl, h != 0
}

// plainString is plainStringWords with SSE2 instructions, sixteen bytes
// at a time. It is in escblock_amd64.s.
//
//go:noescape
func plainString(dst, src *byte, n int) int

//go:build amd64 && !purego

#include "textflag.h"

// BROADCAST fills the 16 bytes of x with the byte repeated in the
// 64-bit constant c.
#define BROADCAST(c, x) \
	MOVQ	c, AX; \
	MOVQ	AX, x; \
	PUNPCKLQDQ	x, x

// EQMASK sets r to one bit per byte of x that equals the byte of c.
#define EQMASK(x, c, r) \
	MOVOU	x, X12; \
	PCMPEQB	c, X12; \
	PMOVMSKB	X12, r

// CTLMASK sets r to one bit per byte of x that is below 0x20:
// min(x, 0x1f) == x.
#define CTLMASK(x, r) \
	MOVOU	x, X12; \
	PMINUB	X10, X12; \
	PCMPEQB	x, X12; \
	PMOVMSKB	X12, r

// JOIN packs the four 16-bit masks a, b, c, d (bytes 0-15, 16-31, 32-47
// and 48-63) into a.
#define JOIN(a, b, c, d) \
	SHLQ	$16, b; \
	SHLQ	$32, c; \
	SHLQ	$48, d; \
	ORQ	b, a; \
	ORQ	c, a; \
	ORQ	d, a

// EQMASKS stores to out one bit per byte of the block in X0-X3 that equals
// the byte of c.
#define EQMASKS(c, out) \
	EQMASK(X0, c, BX); \
	EQMASK(X1, c, CX); \
	EQMASK(X2, c, DX); \
	EQMASK(X3, c, DI); \
	JOIN(BX, CX, DX, DI); \
	MOVQ	BX, out

// func escapeBlockSSE2(p *byte) (bs, qt, ctl, hi uint64)
TEXT ·escapeBlockSSE2(SB), NOSPLIT, $0-40
	MOVQ	p+0(FP), SI
	MOVOU	0(SI), X0
	MOVOU	16(SI), X1
	MOVOU	32(SI), X2
	MOVOU	48(SI), X3
	BROADCAST($0x5c5c5c5c5c5c5c5c, X8)  // backslashes
	BROADCAST($0x2222222222222222, X9)  // quotes
	BROADCAST($0x1f1f1f1f1f1f1f1f, X10) // the last control byte
	BROADCAST($0x7f7f7f7f7f7f7f7f, X11) // the first byte hi flags

	EQMASKS(X8, bs+8(FP))
	EQMASKS(X9, qt+16(FP))

	CTLMASK(X0, BX)
	CTLMASK(X1, CX)
	CTLMASK(X2, DX)
	CTLMASK(X3, DI)
	JOIN(BX, CX, DX, DI)
	MOVQ	BX, ctl+24(FP)

	// hi: the bytes' maximum is 0x7f or above when min(max, 0x7f) == 0x7f.
	MOVOU	X0, X13
	PMAXUB	X1, X13
	PMAXUB	X2, X13
	PMAXUB	X3, X13
	PMINUB	X11, X13
	PCMPEQB	X11, X13
	PMOVMSKB	X13, BX
	MOVQ	BX, hi+32(FP)
	RET

// The constants of plainString: the first plain byte, the last one less
// the first, a quote and a backslash, each in sixteen bytes.
DATA plainConsts<>+0(SB)/8, $0x2020202020202020
DATA plainConsts<>+8(SB)/8, $0x2020202020202020
DATA plainConsts<>+16(SB)/8, $0x5e5e5e5e5e5e5e5e
DATA plainConsts<>+24(SB)/8, $0x5e5e5e5e5e5e5e5e
DATA plainConsts<>+32(SB)/8, $0x2222222222222222
DATA plainConsts<>+40(SB)/8, $0x2222222222222222
DATA plainConsts<>+48(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA plainConsts<>+56(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL plainConsts<>(SB), RODATA|NOPTR, $64

// func plainString(dst, src *byte, n int) int
//
// Sixteen bytes of src at a time, while a whole block is within n: the
// block is stored to dst, then classified. The first byte that is not
// plain (below 0x20, 0x7f or above, a quote or a backslash), past the
// opening quote at src[0], ends the run.
TEXT ·plainString(SB), NOSPLIT, $0-32
	MOVQ	dst+0(FP), DI
	MOVQ	src+8(FP), SI
	MOVQ	n+16(FP), CX
	MOVOU	plainConsts<>+0(SB), X10
	MOVOU	plainConsts<>+16(SB), X11
	MOVOU	plainConsts<>+32(SB), X9
	MOVOU	plainConsts<>+48(SB), X8
	MOVL	$0xfffe, R8 // the first block's first byte is the opening quote
	XORQ	BX, BX

loop:
	LEAQ	16(BX), DX
	CMPQ	DX, CX
	JHI	stop
	MOVOU	(SI)(BX*1), X0
	MOVOU	X0, (DI)(BX*1)
	// In range: t = x - 0x20 (wrapping) is at most 0x5e, min(t, 0x5e) == t.
	MOVOU	X0, X1
	PSUBB	X10, X1
	MOVOU	X1, X2
	PMINUB	X11, X2
	PCMPEQB	X1, X2
	MOVOU	X0, X3
	PCMPEQB	X9, X3
	MOVOU	X0, X4
	PCMPEQB	X8, X4
	POR	X4, X3
	PANDN	X2, X3 // X3 = in range and neither a quote nor a backslash
	PMOVMSKB	X3, AX
	NOTL	AX
	ANDL	R8, AX
	JNZ	found
	MOVL	$0xffff, R8
	MOVQ	DX, BX
	JMP	loop

found:
	BSFL	AX, AX
	ADDQ	AX, BX
	CMPB	(SI)(BX*1), $0x22
	JNE	stop
	INCQ	BX
	MOVQ	BX, ret+24(FP)
	RET

stop:
	NEGQ	BX
	MOVQ	BX, ret+24(FP)
	RET

#include "textflag.h"

// zero<>: 32 zero bytes, for AVX2's comparison of und with 0.
DATA zero<>+0(SB)/8, $0
DATA zero<>+8(SB)/8, $0
DATA zero<>+16(SB)/8, $0
DATA zero<>+24(SB)/8, $0
GLOBL zero<>(SB), RODATA|NOPTR, $32

// func avx512Groups(planes *uint64, stride, groups, ng int, tab, state *uint64)
//
// For each group of eight sites (one per lane): und = the OR of the group
// planes; then, level by level while some lane has undecided replicas,
// every lane steps a working copy S of its xoshiro256++ state, the lanes
// with und ≠ 0 (mask K1) commit it to their state C, the level's
// threshold bits t are gathered from the planes and the table, and
// flip |= und & t &^ r, und &^= r ^ t — decidePortable's loop. The
// working copy keeps the masks off the generator's dependency chain.
//
// Registers: C = Z0, Z1, Z12, Z13; S = Z24–Z27; und Z2, flip Z3, r Z4,
// t Z5.
TEXT ·avx512Groups(SB), NOSPLIT, $0-48
	MOVQ planes+0(FP), AX
	MOVQ stride+8(FP), BX
	MOVQ groups+16(FP), CX
	MOVQ ng+24(FP), DX
	MOVQ tab+32(FP), SI
	MOVQ state+40(FP), R8
	VMOVDQU64 (R8), Z0
	VMOVDQU64 64(R8), Z1
	VMOVDQU64 128(R8), Z12
	VMOVDQU64 192(R8), Z13

group512:
	VMOVDQA64 Z0, Z24
	VMOVDQA64 Z1, Z25
	VMOVDQA64 Z12, Z26
	VMOVDQA64 Z13, Z27
	VMOVDQU64 (AX), Z3
	VPXORQ    Z2, Z2, Z2
	MOVQ      AX, R13
	MOVQ      DX, R12

und512:
	ADDQ  BX, R13
	VPORQ (R13), Z2, Z2
	DECQ  R12
	JNZ   und512
	MOVQ  SI, R10
	MOVQ  $64, R11

level512:
	VPTESTMQ Z2, Z2, K1
	KORTESTB K1, K1
	JZ       done512

	// r = rotl(s0 + s3, 23) + s0; the state steps
	VPADDQ    Z27, Z24, Z4
	VPROLQ    $23, Z4, Z4
	VPADDQ    Z24, Z4, Z4
	VPSLLQ    $17, Z25, Z6
	VPXORQ    Z24, Z26, Z26
	VPXORQ    Z25, Z27, Z27
	VPXORQ    Z26, Z25, Z25
	VPXORQ    Z27, Z24, Z24
	VPXORQ    Z6, Z26, Z26
	VPROLQ    $45, Z27, Z27
	VMOVDQA64 Z24, K1, Z0
	VMOVDQA64 Z25, K1, Z1
	VMOVDQA64 Z26, K1, Z12
	VMOVDQA64 Z27, K1, Z13

	// t = OR over groups of plane & the level's bit of its threshold
	VPXORQ Z5, Z5, Z5
	MOVQ   AX, R13
	MOVQ   DX, R12

thr512:
	ADDQ       BX, R13
	VMOVDQU64  (R13), Z6
	VPTERNLOGQ $0xf8, (R10), Z6, Z5
	ADDQ       $64, R10
	DECQ       R12
	JNZ        thr512

	// flip |= und &^ r & t; und &= ^(r ^ t)
	VPANDNQ    Z2, Z4, Z6
	VPTERNLOGQ $0xf8, Z5, Z6, Z3
	VPTERNLOGQ $0x90, Z5, Z4, Z2
	DECQ       R11
	JNZ        level512

done512:
	VMOVDQU64 Z3, (AX)
	ADDQ      $64, AX
	DECQ      CX
	JNZ       group512
	VMOVDQU64 Z0, (R8)
	VMOVDQU64 Z1, 64(R8)
	VMOVDQU64 Z12, 128(R8)
	VMOVDQU64 Z13, 192(R8)
	VZEROUPPER
	RET

// ROTL4 rotates the four words of x left by k, with t a scratch register.
#define ROTL4(k, x, t) \
	VPSRLQ $(64-k), x, t; \
	VPSLLQ $k, x, x; \
	VPOR   t, x, x

// func avx2Groups(planes *uint64, stride, groups, ng int, tab, state *uint64)
//
// avx512Groups on four lanes: the mask K1 becomes a blend with und = 0,
// the rotations two shifts and an OR, the ternary logic two operations.
// C = Y0, Y1, Y12, Y13; S = Y8–Y11.
TEXT ·avx2Groups(SB), NOSPLIT, $0-48
	MOVQ planes+0(FP), AX
	MOVQ stride+8(FP), BX
	MOVQ groups+16(FP), CX
	MOVQ ng+24(FP), DX
	MOVQ tab+32(FP), SI
	MOVQ state+40(FP), R8
	VMOVDQU (R8), Y0
	VMOVDQU 64(R8), Y1
	VMOVDQU 128(R8), Y12
	VMOVDQU 192(R8), Y13

group2:
	VMOVDQA Y0, Y8
	VMOVDQA Y1, Y9
	VMOVDQA Y12, Y10
	VMOVDQA Y13, Y11
	VMOVDQU (AX), Y3
	VPXOR   Y2, Y2, Y2
	MOVQ    AX, R13
	MOVQ    DX, R12

und2:
	ADDQ BX, R13
	VPOR (R13), Y2, Y2
	DECQ R12
	JNZ  und2
	MOVQ SI, R10
	MOVQ $64, R11

level2:
	VPTEST Y2, Y2
	JZ     done2

	VPADDQ Y11, Y8, Y4
	ROTL4(23, Y4, Y6)
	VPADDQ Y8, Y4, Y4
	VPSLLQ $17, Y9, Y6
	VPXOR  Y8, Y10, Y10
	VPXOR  Y9, Y11, Y11
	VPXOR  Y10, Y9, Y9
	VPXOR  Y11, Y8, Y8
	VPXOR  Y6, Y10, Y10
	ROTL4(45, Y11, Y6)

	// the lanes with und = 0 keep their state
	VPCMPEQQ  zero<>(SB), Y2, Y14
	VPBLENDVB Y14, Y0, Y8, Y0
	VPBLENDVB Y14, Y1, Y9, Y1
	VPBLENDVB Y14, Y12, Y10, Y12
	VPBLENDVB Y14, Y13, Y11, Y13

	VPXOR Y5, Y5, Y5
	MOVQ  AX, R13
	MOVQ  DX, R12

thr2:
	ADDQ    BX, R13
	VMOVDQU (R13), Y6
	VPAND   (R10), Y6, Y6
	VPOR    Y6, Y5, Y5
	ADDQ    $64, R10
	DECQ    R12
	JNZ     thr2

	VPANDN Y2, Y4, Y6
	VPAND  Y5, Y6, Y6
	VPOR   Y6, Y3, Y3
	VPXOR  Y5, Y4, Y6
	VPANDN Y2, Y6, Y2
	DECQ   R11
	JNZ    level2

done2:
	VMOVDQU Y3, (AX)
	ADDQ    $64, AX
	DECQ    CX
	JNZ     group2
	VMOVDQU Y0, (R8)
	VMOVDQU Y1, 64(R8)
	VMOVDQU Y12, 128(R8)
	VMOVDQU Y13, 192(R8)
	VZEROUPPER
	RET

#include "textflag.h"

// Indices of the even and the odd words of a 16-word window (two
// registers), for VPERMI2Q.
DATA evenodd<>+0(SB)/8, $0
DATA evenodd<>+8(SB)/8, $2
DATA evenodd<>+16(SB)/8, $4
DATA evenodd<>+24(SB)/8, $6
DATA evenodd<>+32(SB)/8, $8
DATA evenodd<>+40(SB)/8, $10
DATA evenodd<>+48(SB)/8, $12
DATA evenodd<>+56(SB)/8, $14
DATA evenodd<>+64(SB)/8, $1
DATA evenodd<>+72(SB)/8, $3
DATA evenodd<>+80(SB)/8, $5
DATA evenodd<>+88(SB)/8, $7
DATA evenodd<>+96(SB)/8, $9
DATA evenodd<>+104(SB)/8, $11
DATA evenodd<>+112(SB)/8, $13
DATA evenodd<>+120(SB)/8, $15
GLOBL evenodd<>(SB), RODATA|NOPTR, $128

// func fillFerro512(row, up, dn, planes *uint64, stride, groups int)
//
// fillFerro for groups of eight sites on AVX-512: row, up and dn point at
// word q = 2k + p − 1 of the first site k of the first group (so that the
// window q … q + 15 holds its left neighbours at the even and the sites at
// the odd offsets, and q + 2 … q + 17 its right neighbours at the even
// ones); planes at the plane-0 word of that site, stride in bytes. With
// x_j = s ⊕ n_j the anti-aligned neighbours, k = 4 aligned is "no x_j"
// and k = 3 is "exactly one x_j".
TEXT ·fillFerro512(SB), NOSPLIT, $0-48
	MOVQ row+0(FP), SI
	MOVQ up+8(FP), DI
	MOVQ dn+16(FP), R8
	MOVQ planes+24(FP), AX
	MOVQ stride+32(FP), BX
	MOVQ groups+40(FP), CX
	VMOVDQU64 evenodd<>+0(SB), Z30
	VMOVDQU64 evenodd<>+64(SB), Z31

loop:
	VMOVDQU64 (SI), Z0
	VMOVDQU64 64(SI), Z1
	VMOVDQU64 16(SI), Z2
	VMOVDQU64 80(SI), Z3
	VMOVDQA64 Z30, Z4
	VPERMI2Q  Z1, Z0, Z4 // left
	VMOVDQA64 Z31, Z5
	VPERMI2Q  Z1, Z0, Z5 // the sites
	VMOVDQA64 Z30, Z6
	VPERMI2Q  Z3, Z2, Z6 // right
	VMOVDQU64 (DI), Z0
	VMOVDQU64 64(DI), Z1
	VMOVDQA64 Z31, Z7
	VPERMI2Q  Z1, Z0, Z7 // up
	VMOVDQU64 (R8), Z2
	VMOVDQU64 64(R8), Z3
	VMOVDQA64 Z31, Z8
	VPERMI2Q  Z3, Z2, Z8 // down

	VPXORQ Z5, Z4, Z4
	VPXORQ Z5, Z6, Z6
	VPXORQ Z5, Z7, Z7
	VPXORQ Z5, Z8, Z8
	VPORQ  Z6, Z4, Z9  // o12
	VPANDQ Z6, Z4, Z10 // a12
	VPORQ  Z8, Z7, Z11 // o34
	VPANDQ Z8, Z7, Z12 // a34

	// k3 = (o12 ⊕ o34) ∧ ¬a12 ∧ ¬a34
	VMOVDQA64  Z9, Z13
	VPTERNLOGQ $0x14, Z10, Z11, Z13
	VPANDNQ    Z13, Z12, Z13
	// k4 = ¬(o12 ∨ o34)
	VMOVDQA64  Z9, Z14
	VPTERNLOGQ $0x01, Z11, Z11, Z14
	// always = ¬(k3 ∨ k4)
	VMOVDQA64  Z13, Z15
	VPTERNLOGQ $0x01, Z14, Z14, Z15

	VMOVDQU64 Z15, (AX)
	VMOVDQU64 Z13, (AX)(BX*1)
	VMOVDQU64 Z14, (AX)(BX*2)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $64, AX
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

// FILL4 computes the planes of four sites for fillFerro256: the row
// window at byte off (8 words from q) holds their left neighbours at even
// and the sites at odd offsets, the window 2 words on their right
// neighbours at even ones; the planes go to byte poff. Y15 is all ones.
#define FILL4(off, poff) \
	VMOVDQU     off(SI), Y0; \
	VMOVDQU     off+32(SI), Y1; \
	VPUNPCKLQDQ Y1, Y0, Y2; \
	VPUNPCKHQDQ Y1, Y0, Y3; \
	VPERMQ      $0xd8, Y2, Y2; \
	VPERMQ      $0xd8, Y3, Y3; \
	VMOVDQU     off+16(SI), Y0; \
	VMOVDQU     off+48(SI), Y1; \
	VPUNPCKLQDQ Y1, Y0, Y4; \
	VPERMQ      $0xd8, Y4, Y4; \
	VMOVDQU     off(DI), Y0; \
	VMOVDQU     off+32(DI), Y1; \
	VPUNPCKHQDQ Y1, Y0, Y5; \
	VPERMQ      $0xd8, Y5, Y5; \
	VMOVDQU     off(R8), Y0; \
	VMOVDQU     off+32(R8), Y1; \
	VPUNPCKHQDQ Y1, Y0, Y6; \
	VPERMQ      $0xd8, Y6, Y6; \
	VPXOR       Y3, Y2, Y2; \
	VPXOR       Y3, Y4, Y4; \
	VPXOR       Y3, Y5, Y5; \
	VPXOR       Y3, Y6, Y6; \
	VPOR        Y4, Y2, Y7; \
	VPAND       Y4, Y2, Y8; \
	VPOR        Y6, Y5, Y9; \
	VPAND       Y6, Y5, Y10; \
	VPXOR       Y9, Y7, Y11; \
	VPANDN      Y11, Y8, Y11; \
	VPANDN      Y11, Y10, Y11; \
	VPOR        Y9, Y7, Y12; \
	VPXOR       Y15, Y12, Y12; \
	VPOR        Y12, Y11, Y13; \
	VPXOR       Y15, Y13, Y13; \
	VMOVDQU     Y13, poff(AX); \
	VMOVDQU     Y11, poff(AX)(BX*1); \
	VMOVDQU     Y12, poff(AX)(BX*2)

// func fillFerro256(row, up, dn, planes *uint64, stride, groups int)
//
// fillFerro512 on AVX2, four sites at a time: the even and odd words of an
// 8-word window are separated by VPUNPCKLQDQ/VPUNPCKHQDQ and VPERMQ, and
// the ternary logic is two instructions each.
TEXT ·fillFerro256(SB), NOSPLIT, $0-48
	MOVQ row+0(FP), SI
	MOVQ up+8(FP), DI
	MOVQ dn+16(FP), R8
	MOVQ planes+24(FP), AX
	MOVQ stride+32(FP), BX
	MOVQ groups+40(FP), CX
	VPCMPEQQ Y15, Y15, Y15

loop2:
	FILL4(0, 0)
	FILL4(64, 32)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $64, AX
	DECQ CX
	JNZ  loop2
	VZEROUPPER
	RET

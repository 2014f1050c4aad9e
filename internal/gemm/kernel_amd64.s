//go:build amd64 && !purego

#include "textflag.h"

// func kern6x8(k int, a, b, c *float64, ldc int)
//
// Y0, Y1: B[p, 0:4], B[p, 4:8]; Y2, Y3: broadcast A[r, p];
// Y4+2r, Y5+2r: the accumulators of tile row r.
TEXT ·kern6x8(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8

	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15

#define STEP(aoff, boff) \
	VMOVUPD      boff(DI), Y0        \
	VMOVUPD      boff+32(DI), Y1     \
	VBROADCASTSD aoff(SI), Y2        \
	VBROADCASTSD aoff+8(SI), Y3      \
	VFMADD231PD  Y0, Y2, Y4          \
	VFMADD231PD  Y1, Y2, Y5          \
	VFMADD231PD  Y0, Y3, Y6          \
	VFMADD231PD  Y1, Y3, Y7          \
	VBROADCASTSD aoff+16(SI), Y2     \
	VBROADCASTSD aoff+24(SI), Y3     \
	VFMADD231PD  Y0, Y2, Y8          \
	VFMADD231PD  Y1, Y2, Y9          \
	VFMADD231PD  Y0, Y3, Y10         \
	VFMADD231PD  Y1, Y3, Y11         \
	VBROADCASTSD aoff+32(SI), Y2     \
	VBROADCASTSD aoff+40(SI), Y3     \
	VFMADD231PD  Y0, Y2, Y12         \
	VFMADD231PD  Y1, Y2, Y13         \
	VFMADD231PD  Y0, Y3, Y14         \
	VFMADD231PD  Y1, Y3, Y15

	CMPQ CX, $4
	JL   tail

loop4:
	STEP(0, 0)
	STEP(48, 64)
	STEP(96, 128)
	STEP(144, 192)
	ADDQ $192, SI
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JE    store

loop1:
	STEP(0, 0)
	ADDQ $48, SI
	ADDQ $64, DI
	DECQ CX
	JNE  loop1

store:
	VADDPD  (DX), Y4, Y4
	VADDPD  32(DX), Y5, Y5
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y6, Y6
	VADDPD  32(DX), Y7, Y7
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y8, Y8
	VADDPD  32(DX), Y9, Y9
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y10, Y10
	VADDPD  32(DX), Y11, Y11
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y12, Y12
	VADDPD  32(DX), Y13, Y13
	VMOVUPD Y12, (DX)
	VMOVUPD Y13, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y14, Y14
	VADDPD  32(DX), Y15, Y15
	VMOVUPD Y14, (DX)
	VMOVUPD Y15, 32(DX)
	VZEROUPPER
	RET

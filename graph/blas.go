package graph

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// blasGemm sets the m×n row-major dst to op(A)·op(B) through gonum's blas64
// (pure-Go gonum, or OpenBLAS with the openblas build tag).
func blasGemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, dst []float64) {
	tA, tB := blas.NoTrans, blas.NoTrans
	ar, ac, br, bc := m, k, k, n
	if ta {
		tA, ar, ac = blas.Trans, k, m
	}
	if tb {
		tB, br, bc = blas.Trans, n, k
	}
	blas64.Gemm(tA, tB, 1,
		blas64.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas64.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		0, blas64.General{Rows: m, Cols: n, Stride: n, Data: dst})
}

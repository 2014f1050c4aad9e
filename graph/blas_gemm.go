//go:build !openblas

package graph

import "github.com/bsum-go/bsum/internal/gemm"

// largeGemm sets the m×n row-major dst to op(A)·op(B) for the matrix
// products above smallGemm flops. Without the openblas build tag it runs
// internal/gemm's cache-blocked kernel (AVX2+FMA assembly on amd64, pure Go
// elsewhere); gonum's blas64 (used by gnmatrix.go) is left as it is.
func largeGemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, dst []float64) {
	gemm.Dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, dst, n)
}

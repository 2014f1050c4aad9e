//go:build !openblas

package graph

import "github.com/bsum-go/bsum/internal/gemm"

// largeGemm sets the m×n row-major dst to op(A)·op(B) for the matrix
// products above smallGemm flops. Without the openblas build tag it runs
// internal/gemm's cache-blocked kernel where that has an assembly
// micro-kernel (amd64 with AVX-512 or AVX2+FMA), and gonum's pure-Go blas64
// elsewhere, which is faster than gemm's pure-Go kernel. The rest of blas64
// (gnmatrix.go) is left as it is.
func largeGemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, dst []float64) {
	if gemm.Accelerated() {
		gemm.Dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, dst, n)
		return
	}
	blasGemm(ta, tb, m, n, k, a, lda, b, ldb, dst)
}

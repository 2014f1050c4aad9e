//go:build openblas

// Optional OpenBLAS backend. Built with `-tags openblas` (cgo, and the
// OpenBLAS library and headers: `apt-get install libopenblas-dev`), this file
// routes every gonum blas64 call of the process — the large matrix products
// of the fast kernels (kernels.go, above 65536 flops, through largeGemm) and
// the one-pass Gauss-Newton assembly (gnmatrix.go) — to OpenBLAS through
// gonum.org/v1/netlib. Without the tag the large products run on
// internal/gemm (blas_gemm.go), the rest of blas64 on pure-Go gonum, and
// nothing here is compiled. OpenBLAS picks its kernels by CPU
// detection (override with OPENBLAS_CORETYPE, e.g. SkylakeX) and its thread
// count from OPENBLAS_NUM_THREADS (default: all cores). Measurements:
// internal/bench/README.md.

package graph

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() { blas64.Use(netlib.Implementation{}) }

// largeGemm sends the matrix products above smallGemm flops to blas64, that
// is OpenBLAS here (blas_gemm.go has the pure-Go build's version).
func largeGemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, dst []float64) {
	blasGemm(ta, tb, m, n, k, a, lda, b, ldb, dst)
}

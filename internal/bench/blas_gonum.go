//go:build !openblas

package bench

import (
	"fmt"

	"github.com/bsum-go/bsum/internal/gemm"
)

// BLASName says which implementation runs graph's large matrix products:
// without the openblas build tag, internal/gemm's blocked kernel with the
// micro-kernel this CPU supports (or gonum's pure-Go dgemm where gemm has no
// assembly kernel), goroutines up to GOMAXPROCS; the rest of blas64 (the
// Gauss-Newton assembly) is gonum's pure Go.
func BLASName() string {
	if gemm.Accelerated() {
		return fmt.Sprintf("internal/gemm %s, goroutines<=GOMAXPROCS (other blas64: gonum pure Go)", gemm.Kernel())
	}
	return "gonum pure Go (blas/gonum v0.17), goroutines=GOMAXPROCS"
}

// SetBLASThreads is a no-op for internal/gemm and gonum, which use GOMAXPROCS.
func SetBLASThreads(int) {}

// OpenBLAS reports whether the OpenBLAS backend is compiled in.
const OpenBLAS = false

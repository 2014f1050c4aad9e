//go:build openblas

// Optional OpenBLAS backend. Built with `-tags openblas` (cgo, and the
// OpenBLAS library and headers: `apt-get install libopenblas-dev`), this file
// routes every gonum blas64 call of the process — the large matrix products
// of the fast kernels (kernels.go, above 65536 flops) and the one-pass
// Gauss-Newton assembly (gnmatrix.go) — to OpenBLAS through
// gonum.org/v1/netlib. Without the tag the pure-Go gonum implementation is
// used and nothing here is compiled. OpenBLAS picks its kernels by CPU
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

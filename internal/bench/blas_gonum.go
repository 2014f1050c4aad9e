//go:build !openblas

package bench

// BLASName says which implementation runs blas64 (graph's large matrix
// products): without the openblas build tag, gonum's pure-Go kernels
// (gonum.org/v1/gonum/blas/gonum, parallel over GOMAXPROCS goroutines).
func BLASName() string { return "gonum pure Go (blas/gonum v0.14), goroutines=GOMAXPROCS" }

// SetBLASThreads is a no-op for gonum, whose Dgemm uses GOMAXPROCS.
func SetBLASThreads(int) {}

// OpenBLAS reports whether the OpenBLAS backend is compiled in.
const OpenBLAS = false

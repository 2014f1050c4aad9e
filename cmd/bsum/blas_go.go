//go:build !openblas

package main

// openBLAS reports whether this build routes the large matrix products to
// OpenBLAS (build tag openblas, see graph/blas_openblas.go). Without the
// tag they run in pure Go, and a large run prints blasHint.
const openBLAS = false

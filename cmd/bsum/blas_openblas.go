//go:build openblas

package main

// openBLAS reports whether this build routes the large matrix products to
// OpenBLAS (build tag openblas, see graph/blas_openblas.go): here it does,
// so no run prints blasHint.
const openBLAS = true

//go:build openblas

package gemm

import "gonum.org/v1/netlib/blas/netlib"

// With -tags openblas, BenchmarkDgemm also times OpenBLAS (through
// gonum.org/v1/netlib) in the same run.
func init() {
	otherName = "openblas"
	otherDgemm = netlib.Implementation{}.Dgemm
}

//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// asmKernels lists the assembly micro-kernels this CPU (and OS) supports,
// fastest first.
func asmKernels() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, microKernel{name: "avx512 8x16", mr: 8, nr: 16, run: func(k int, a, b, c []float64, ldc int) {
			_ = a[8*k-1]
			_ = b[16*k-1]
			_ = c[7*ldc+15]
			kern8x16(k, &a[0], &b[0], &c[0], ldc)
		}})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, microKernel{name: "avx2+fma 6x8", mr: 6, nr: 8, run: func(k int, a, b, c []float64, ldc int) {
			_ = a[6*k-1]
			_ = b[8*k-1]
			_ = c[5*ldc+7]
			kern6x8(k, &a[0], &b[0], &c[0], ldc)
		}})
	}
	return ks
}

// kern6x8 adds the product of a packed 6×k sliver of A (6 values per p)
// and a packed k×8 sliver of B (8 values per p) into the 6×8 tile at c,
// whose rows are ldc elements apart. AVX2 + FMA.
//
//go:noescape
func kern6x8(k int, a, b, c *float64, ldc int)

// kern8x16 is kern6x8 for an 8×16 tile, with AVX-512F.
//
//go:noescape
func kern8x16(k int, a, b, c *float64, ldc int)

//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

func asmSupported() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// kern6x8 adds the product of a packed 6×k sliver of A (6 values per p)
// and a packed k×8 sliver of B (8 values per p) into the 6×8 tile at c,
// whose rows are ldc elements apart. AVX2 + FMA.
//
//go:noescape
func kern6x8(k int, a, b, c *float64, ldc int)

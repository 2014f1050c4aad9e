//go:build !amd64 || purego

package gemm

func asmSupported() bool { return false }

func kern6x8(k int, a, b, c *float64, ldc int) {
	panic("gemm: no assembly micro-kernel on this architecture")
}

//go:build !amd64 || purego

package gemm

// asmKernels: no assembly micro-kernel outside amd64 (or with -tags purego).
func asmKernels() []microKernel { return nil }

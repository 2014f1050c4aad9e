//go:build openblas

package bench

// #cgo LDFLAGS: -lopenblas
// char* openblas_get_config(void);
// char* openblas_get_corename(void);
// int openblas_get_num_threads(void);
// void openblas_set_num_threads(int);
import "C"

import (
	"fmt"
	"os"
)

// BLASName says which implementation runs blas64 (graph's large matrix
// products): here OpenBLAS through cgo (build tag openblas), with the
// kernel family it selected (core name), its build configuration and its
// thread count.
func BLASName() string {
	core := C.GoString(C.openblas_get_corename())
	ct := os.Getenv("OPENBLAS_CORETYPE")
	if ct == "" {
		ct = "unset"
	}
	return fmt.Sprintf("OpenBLAS cgo (%s) kernels=%s threads=%d OPENBLAS_CORETYPE=%s",
		C.GoString(C.openblas_get_config()), core, int(C.openblas_get_num_threads()), ct)
}

// SetBLASThreads sets OpenBLAS's thread count.
func SetBLASThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// OpenBLAS reports whether the OpenBLAS backend is compiled in.
const OpenBLAS = true

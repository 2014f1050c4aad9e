package main

// blasHintText is the one-line hint a large pure-Go run prints.
const blasHintText = "hint: on this CPU large matrix products run on gonum's pure-Go dgemm (no assembly kernel of internal/gemm applies); for ~5× faster large steps install OpenBLAS (apt-get install -y libopenblas-dev) and build with -tags openblas"

// blasHintWork is the size p·N (weights × training samples) from which a
// run counts as large. A full step costs about 6·p·N flops. Measured on
// this project's machine (internal/bench/README.md, 1 thread): the BodyFat
// step (p·N ≈ 8.6·10⁴) takes 125 µs in pure Go and 123 µs with OpenBLAS, no
// difference; the 784-256-256-10 step at N = 10,000 (p·N ≈ 2.7·10⁹) takes
// 1853 ms against 292 ms. Interpolating the difference linearly, OpenBLAS
// saves about 6 ms per step at p·N = 10⁷, seconds over a few hundred
// iterations: the point where the hint is worth a line. Matrix products
// below 65,536 flops never reach BLAS at all (graph/kernels.go).
const blasHintWork = 1e7

// blasHint returns the OpenBLAS hint for a run of p weights on n training
// samples (or any Fashion-MNIST run), or "" when large products are already
// fast (an OpenBLAS build, or internal/gemm's AVX-512/AVX2 kernel, which is
// about even with OpenBLAS on the 784-256-256-10 step) or the run is small.
func blasHint(fast bool, n, p int, fashion bool) string {
	if fast {
		return ""
	}
	if fashion || float64(p)*float64(n) >= blasHintWork {
		return blasHintText
	}
	return ""
}

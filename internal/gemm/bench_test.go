package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// otherDgemm, when set (by bench_openblas_test.go), is timed beside ours.
var (
	otherName  string
	otherDgemm func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
)

// The products of the 784-256-256-10 step at N = 10,000 (samples are
// columns): forward W·H, weight gradient δ·Hᵀ, back-propagation Wᵀ·δ.
var benchShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"NN_256x10000x784", false, false, 256, 10000, 784},
	{"NT_256x784x10000", false, true, 256, 784, 10000},
	{"TN_256x10000x256", true, false, 256, 10000, 256},
	// examples/fashion's first layer on a batch of 128 (biases folded in):
	// forward W·[x; 1] and weight gradient δ·[x; 1]ᵀ.
	{"NN_256x128x785", false, false, 256, 128, 785},
	{"NT_256x785x128", false, true, 256, 785, 128},
}

// BenchmarkDgemm times this package's Dgemm against gonum's pure-Go dgemm
// at the large step's shapes; GFLOP/s are reported per op.
func BenchmarkDgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		ar, ac := s.m, s.k
		if s.tA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.tB {
			br, bc = s.n, s.k
		}
		x, y, c := randSlice(r, ar*ac), randSlice(r, br*bc), make([]float64, s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		tr := func(t bool) blas.Transpose {
			if t {
				return blas.Trans
			}
			return blas.NoTrans
		}
		impls := map[string]func(){
			"gemm":  func() { Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, ac, y, bc, 0, c, s.n) },
			"gonum": func() { gonum.Implementation{}.Dgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, x, ac, y, bc, 0, c, s.n) },
		}
		names := []string{"gemm", "gonum"}
		for _, kern := range kernels[1:] { // the other micro-kernels
			impls["gemm-"+kern.name] = func() {
				defer func(old microKernel) { active = old }(active)
				active = kern
				Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, ac, y, bc, 0, c, s.n)
			}
			names = append(names, "gemm-"+kern.name)
		}
		if otherDgemm != nil {
			impls[otherName] = func() { otherDgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, x, ac, y, bc, 0, c, s.n) }
			names = append(names, otherName)
		}
		for _, impl := range names {
			b.Run(fmt.Sprintf("%s/%s", s.name, impl), func(b *testing.B) {
				for b.Loop() {
					impls[impl]()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMicroKernel times each assembly micro-kernel alone on one
// L1-resident pair of slivers (KC = 256): the ceiling the blocking can reach.
func BenchmarkMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, kern := range kernels {
		a, y, c := randSlice(r, kern.mr*kc), randSlice(r, kern.nr*kc), make([]float64, kern.mr*kern.nr)
		b.Run(kern.name, func(b *testing.B) {
			for b.Loop() {
				kern.run(kc, a, y, c, kern.nr)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

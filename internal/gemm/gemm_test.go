package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// naive is the triple loop C = alpha·op(A)·op(B) + beta·C, and also returns
// bound[i,j] = Σ_p |alpha·op(A)[i,p]·op(B)[p,j]| + |beta·C[i,j]|, the scale
// against which rounding errors are judged.
func naive(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) (out, bound []float64) {
	out = make([]float64, len(c))
	copy(out, c)
	bound = make([]float64, len(c))
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, t float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
				t += math.Abs(av * bv)
			}
			cv := 0.0
			if beta != 0 {
				cv = beta * c[i*ldc+j]
			}
			out[i*ldc+j] = alpha*s + cv
			bound[i*ldc+j] = math.Abs(alpha)*t + math.Abs(cv)
		}
	}
	return out, bound
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float64
	pad         int // extra stride on every matrix
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,α=%g,β=%g,pad=%d", c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.pad)
}

func cases() []gemmCase {
	var cs []gemmCase
	sizes := []int{1, 3, 7, 17, 255, 257}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{1, 7, 257} {
						if m*n*k > 1<<22 {
							continue
						}
						cs = append(cs, gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: 1, beta: 0})
					}
				}
			}
			cs = append(cs,
				gemmCase{tA: tA, tB: tB, m: 13, n: 29, k: 600, alpha: -0.5, beta: 2, pad: 3},
				gemmCase{tA: tA, tB: tB, m: 100, n: 9, k: 300, alpha: 1, beta: 1, pad: 1},
				gemmCase{tA: tA, tB: tB, m: 6, n: 8, k: 4, alpha: 2, beta: -1},
				gemmCase{tA: tA, tB: tB, m: 10, n: 4100, k: 3, alpha: 1, beta: 0},
				gemmCase{tA: tA, tB: tB, m: 5, n: 6, k: 0, alpha: 1, beta: 3},
				gemmCase{tA: tA, tB: tB, m: 5, n: 6, k: 4, alpha: 0, beta: 0.5},
			)
		}
	}
	return cs
}

func runCase(t *testing.T, r *rand.Rand, tc gemmCase) {
	ar, ac := tc.m, tc.k
	if tc.tA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, ac)+tc.pad, max(1, bc)+tc.pad, tc.n+tc.pad
	a := randSlice(r, max(0, ar*lda))
	b := randSlice(r, max(0, br*ldb))
	c := randSlice(r, tc.m*ldc)
	want, bound := naive(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc; j++ {
			x := i*ldc + j
			if j >= tc.n { // padding is untouched
				require.Equal(t, want[x], c[x], "padding C[%d,%d]", i, j)
				continue
			}
			require.LessOrEqual(t, math.Abs(c[x]-want[x]), 1e-13*bound[x], "C[%d,%d] = %v, want %v", i, j, c[x], want[x])
		}
	}
}

// Dgemm agrees with the triple loop for every transposition, odd and
// block-straddling sizes, strides wider than the rows, and alpha/beta, on
// every micro-kernel this CPU runs (assembly and pure Go).
func TestDgemmMatchesNaive(t *testing.T) {
	for _, kern := range kernels {
		t.Run(kern.name, func(t *testing.T) {
			defer func(old microKernel) { active = old }(active)
			active = kern
			r := rand.New(rand.NewPCG(1, 2))
			for _, tc := range cases() {
				t.Run(tc.String(), func(t *testing.T) { runCase(t, r, tc) })
			}
		})
	}
}

// Beyond the block sizes (k > KC, n > NC, m > MC) and split over
// goroutines, Dgemm still agrees with gonum's dgemm.
func TestDgemmLargeMatchesGonum(t *testing.T) {
	if testing.Short() {
		t.Skip("large products")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	r := rand.New(rand.NewPCG(3, 4))
	defer func(old microKernel) { active = old }(active)
	for _, kern := range kernels {
		active = kern
		largeCases(t, r, kern.name)
	}
}

func largeCases(t *testing.T, r *rand.Rand, name string) {
	for _, tc := range []gemmCase{
		{m: 200, n: 4200, k: 530, alpha: 1},
		{tA: true, m: 97, n: 1100, k: 600, alpha: 1},
		{tB: true, m: 256, n: 100, k: 2000, alpha: 1},
		{tA: true, tB: true, m: 300, n: 50, k: 700, alpha: -1, beta: 1},
	} {
		t.Run(name+"/"+tc.String(), func(t *testing.T) {
			ar, ac := tc.m, tc.k
			if tc.tA {
				ar, ac = tc.k, tc.m
			}
			br, bc := tc.k, tc.n
			if tc.tB {
				br, bc = tc.n, tc.k
			}
			a, b, c := randSlice(r, ar*ac), randSlice(r, br*bc), randSlice(r, tc.m*tc.n)
			want := append([]float64(nil), c...)
			tr := func(x bool) blas.Transpose {
				if x {
					return blas.Trans
				}
				return blas.NoTrans
			}
			gonum.Implementation{}.Dgemm(tr(tc.tA), tr(tc.tB), tc.m, tc.n, tc.k, tc.alpha, a, ac, b, bc, tc.beta, want, tc.n)
			Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, ac, b, bc, tc.beta, c, tc.n)
			for i := range c {
				require.InDelta(t, want[i], c[i], 1e-12*math.Sqrt(float64(tc.k))*(1+math.Abs(want[i])), "C[%d]", i)
			}
		})
	}
}

// beta = 0 overwrites C without reading it, so NaNs in C do not leak.
func TestDgemmBetaZeroIgnoresC(t *testing.T) {
	a := []float64{1, 2, 3, 4}
	b := []float64{5, 6, 7, 8}
	c := []float64{math.NaN(), math.Inf(1), math.NaN(), math.NaN()}
	Dgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	require.Equal(t, []float64{19, 22, 43, 50}, c)
}

func TestDgemmPanicsOnBadArguments(t *testing.T) {
	a, b, c := make([]float64, 6), make([]float64, 6), make([]float64, 4)
	for name, f := range map[string]func(){
		"negative": func() { Dgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2) },
		"stride":   func() { Dgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) },
		"short A":  func() { Dgemm(false, false, 2, 2, 3, 1, a[:5], 3, b, 2, 0, c, 2) },
		"short B":  func() { Dgemm(false, false, 2, 2, 3, 1, a, 3, b[:5], 2, 0, c, 2) },
		"short C":  func() { Dgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c[:3], 2) },
	} {
		require.Panics(t, f, name)
	}
}

// A serial product allocates nothing once the pooled packing buffers exist.
func TestDgemmSerialDoesNotAllocate(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := rand.New(rand.NewPCG(7, 8))
	a, b, c := randSlice(r, 40*300), randSlice(r, 300*50), make([]float64, 40*50)
	Dgemm(false, true, 40, 50, 300, 1, a, 300, b, 300, 0, c, 50)
	allocs := testing.AllocsPerRun(10, func() { Dgemm(false, true, 40, 50, 300, 1, a, 300, b, 300, 0, c, 50) })
	require.Zero(t, allocs)
}

func TestKernelNames(t *testing.T) {
	require.Equal(t, goKernel.name, kernels[len(kernels)-1].name, "the pure-Go kernel is the last resort")
	require.Equal(t, kernels[0].name, Kernel())
	require.Equal(t, len(kernels) > 1, Accelerated())
}

// Concurrent Dgemm calls on distinct C share the buffer pool safely and
// give the serial result (run with -race).
func TestDgemmConcurrentCalls(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const m, n, k = 30, 70, 300
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float64, m*n)
	Dgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	got := make([][]float64, 4)
	done := make(chan int)
	for g := range got {
		got[g] = make([]float64, m*n)
		go func() {
			for range 5 {
				Dgemm(false, false, m, n, k, 1, a, k, b, n, 0, got[g], n)
			}
			done <- g
		}()
	}
	for range got {
		require.Equal(t, want, got[<-done])
	}
}

package surrogate

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// choleskySizes are block sizes bsum factors: the BodyFat output block (10),
// a 5×10 block, the BodyFat first layer with biases (10×14 = 140) and a
// 340-weight block.
var choleskySizes = []int{10, 50, 140, 340}

// spdMatrix is AᵀA/n + I for a random n×n A: symmetric positive definite,
// like a Gauss-Newton block plus damping.
func spdMatrix(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	a := make([]float64, n*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < n; k++ {
				s += a[k*n+i] * a[k*n+j]
			}
			m[i*n+j] = s / float64(n)
		}
		m[i*n+i]++
	}
	return m
}

// gonumSolve factors a + shift·I with gonum/mat and solves for b.
func gonumSolve(a []float64, n int, shift float64, b []float64) ([]float64, bool) {
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := a[i*n+j]
			if i == j {
				v += shift
			}
			s.SetSym(i, j, v)
		}
	}
	var c mat.Cholesky
	if !c.Factorize(s) {
		return nil, false
	}
	var x mat.VecDense
	if err := c.SolveVecTo(&x, mat.NewVecDense(n, append([]float64(nil), b...))); err != nil {
		return nil, false
	}
	return x.RawVector().Data, true
}

// The hand-written factor-and-solve agrees with gonum/mat's.
func TestCholeskyMatchesGonum(t *testing.T) {
	for _, n := range choleskySizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := spdMatrix(n, uint64(n))
			b := make([]float64, n)
			for i := range b {
				b[i] = float64(i%7) - 3
			}
			l := make([]float64, n*n)
			require.True(t, cholesky(l, a, n, 0.5))
			x := make([]float64, n)
			cholSolve(x, l, n, b)
			want, ok := gonumSolve(a, n, 0.5, b)
			require.True(t, ok)
			for i := range x {
				require.InDelta(t, want[i], x[i], 1e-12*(1+abs(want[i])), "x[%d]", i)
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// BenchmarkCholesky times one factorisation of a + γI and one solve, the
// work of one second-order block step by Cholesky, hand-written against
// gonum/mat (issue 9 §6).
func BenchmarkCholesky(b *testing.B) {
	for _, n := range choleskySizes {
		a := spdMatrix(n, uint64(n))
		rhs := make([]float64, n)
		for i := range rhs {
			rhs[i] = 1
		}
		b.Run(fmt.Sprintf("n=%d/bsum", n), func(b *testing.B) {
			l := make([]float64, n*n)
			x := make([]float64, n)
			for i := 0; i < b.N; i++ {
				if !cholesky(l, a, n, 0.5) {
					b.Fatal("not positive definite")
				}
				cholSolve(x, l, n, rhs)
			}
		})
		b.Run(fmt.Sprintf("n=%d/gonum", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, ok := gonumSolve(a, n, 0.5, rhs); !ok {
					b.Fatal("not positive definite")
				}
			}
		})
	}
}

package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// matMulKernel's large products (above smallGemm, through largeGemm) agree
// with a triple loop for the four transpositions Gorgonia prints.
func TestLargeMatMulKernelMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		op      string
		m, n, k int
	}{
		{"A × B", 37, 301, 65},
		{"Aᵀ × B", 40, 257, 70},
		{"A × Bᵀ", 19, 45, 1001},
		{"Aᵀ × Bᵀ", 33, 29, 300},
	} {
		t.Run(fmt.Sprintf("%s/%dx%dx%d", tc.op, tc.m, tc.n, tc.k), func(t *testing.T) {
			require.Greater(t, tc.m*tc.n*tc.k, smallGemm)
			ta, tb := tc.op[1] != ' ', tc.op[len(tc.op)-1] != 'B'
			sa, sb := []int{tc.m, tc.k}, []int{tc.k, tc.n}
			if ta {
				sa = []int{tc.k, tc.m}
			}
			if tb {
				sb = []int{tc.n, tc.k}
			}
			a, b := make([]float64, tc.m*tc.k), make([]float64, tc.k*tc.n)
			for i := range a {
				a[i] = r.NormFloat64()
			}
			for i := range b {
				b[i] = r.NormFloat64()
			}
			kern := matMulKernel(tc.op, sa, sb, []int{tc.m, tc.n})
			require.NotNil(t, kern)
			dst := make([]float64, tc.m*tc.n)
			for i := range dst {
				dst[i] = math.NaN() // must be overwritten
			}
			kern(dst, [][]float64{a, b})
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					var s, bound float64
					for p := 0; p < tc.k; p++ {
						av, bv := a[i*tc.k+p], b[p*tc.n+j]
						if ta {
							av = a[p*tc.m+i]
						}
						if tb {
							bv = b[j*tc.k+p]
						}
						s += av * bv
						bound += math.Abs(av * bv)
					}
					require.InDelta(t, s, dst[i*tc.n+j], 1e-13*bound, "C[%d,%d]", i, j)
				}
			}
		})
	}
}

package losses

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// proxOracle minimises ½(x − a)² + t|x| by comparing the three candidates
// a − t, a + t and 0 (the minimiser is one of them).
func proxOracle(a, t float64) float64 {
	obj := func(x float64) float64 { return 0.5*(x-a)*(x-a) + t*math.Abs(x) }
	best := 0.0
	for _, x := range []float64{a - t, a + t} {
		if obj(x) < obj(best) {
			best = x
		}
	}
	return best
}

func TestSoftThreshold(t *testing.T) {
	cases := []struct {
		name string
		src  []float64
		t    float64
		want []float64
	}{
		{"dead zone gives exact zeros", []float64{0.5, -0.5, 0.3, -0.2, 0}, 0.5, []float64{0, 0, 0, 0, 0}},
		{"shrinks toward zero", []float64{2, -2, 0.75, -0.75}, 0.5, []float64{1.5, -1.5, 0.25, -0.25}},
		{"t = 0 is the identity", []float64{3, -1e-300, 0}, 0, []float64{3, -1e-300, 0}},
		{"large t", []float64{1e300, -1e300, 1}, math.MaxFloat64, []float64{0, 0, 0}},
		{"infinite t", []float64{5, -5}, math.Inf(1), []float64{0, 0}},
		{"empty", nil, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]float64, len(c.src))
			SoftThreshold(dst, c.src, c.t)
			if c.want == nil {
				assert.Empty(t, dst)
				return
			}
			assert.Equal(t, c.want, dst)
			for i, v := range dst {
				if v == 0 {
					assert.False(t, math.Signbit(v), "entry %d is −0", i)
				}
			}
		})
	}

	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(20)
		thr := rng.ExpFloat64()
		src := randn(rng, n)
		for i := range src {
			src[i] *= 2
		}
		src[0] = thr // on the boundary
		if n > 1 {
			src[1] = -thr
		}
		dst := make([]float64, n)
		SoftThreshold(dst, src, thr)
		for i := range src {
			want := proxOracle(src[i], thr)
			require.InDelta(t, want, dst[i], 1e-15*math.Max(1, math.Abs(src[i])), "src %v t %v", src[i], thr)
			if math.Abs(src[i]) <= thr {
				require.Equal(t, 0.0, dst[i], "exact zero in the dead zone: src %v t %v", src[i], thr)
			}
		}
		// In place.
		in := append([]float64(nil), src...)
		SoftThreshold(in, in, thr)
		require.Equal(t, dst, in)
	}

	assert.Panics(t, func() { SoftThreshold(make([]float64, 2), make([]float64, 3), 1) })
	assert.Panics(t, func() { SoftThreshold(nil, nil, -1) })
	assert.Panics(t, func() { SoftThreshold(nil, nil, math.NaN()) })
}

func TestL1Norm(t *testing.T) {
	assert.Equal(t, 0.0, L1Norm(nil))
	assert.Equal(t, 6.5, L1Norm([]float64{1, -2, 3.5, 0}))
	assert.Equal(t, math.Inf(1), L1Norm([]float64{math.Inf(-1), 1}))
}

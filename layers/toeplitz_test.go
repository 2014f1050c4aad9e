package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// circularConv is (h ⊛ x)[k] = Σ_j h[j] x[(k − j) mod n], computed from the
// definition (over filter taps, not matrix entries).
func circularConv(h, x []float64) []float64 {
	n := len(x)
	y := make([]float64, n)
	for k := 0; k < n; k++ {
		for j := 0; j < n; j++ {
			y[k] += h[j] * x[((k-j)%n+n)%n]
		}
	}
	return y
}

var toeplitzShapes = [][2]int{{1, 1}, {4, 4}, {6, 4}, {3, 7}, {9, 2}, {1, 5}}

func TestToeplitzProjection(t *testing.T) {
	for _, sh := range toeplitzShapes {
		s := ToeplitzSet{Rows: sh[0], Cols: sh[1]}
		t.Run(fmt.Sprintf("%dx%d", s.Rows, s.Cols), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.Rows), uint64(s.Cols)))
			n := s.Rows * s.Cols
			w := randn(rng, n)
			p := append([]float64(nil), w...)
			s.Project(p)

			// Entries are constant along wrapped diagonals.
			for r := 0; r < s.Rows; r++ {
				for c := 0; c < s.Cols; c++ {
					r0, c0 := 0, ((c-r)%s.Cols+s.Cols)%s.Cols // same class, row 0
					assert.Equal(t, p[r0*s.Cols+c0], p[r*s.Cols+c], "(%d,%d)", r, c)
				}
			}
			// Idempotent.
			pp := append([]float64(nil), p...)
			s.Project(pp)
			assert.InDeltaSlice(t, p, pp, 1e-15)

			// Toeplitz matrices are unchanged.
			h := randn(rng, s.Cols)
			tm := make([]float64, n)
			s.Expand(h, tm)
			tp := append([]float64(nil), tm...)
			s.Project(tp)
			assert.InDeltaSlice(t, tm, tp, 1e-15)
			assert.InDeltaSlice(t, h, s.Filter(tm), 1e-15)

			// The residual is orthogonal to the subspace.
			for trial := 0; trial < 5; trial++ {
				s.Expand(randn(rng, s.Cols), tm)
				var ip float64
				for i := range w {
					ip += (w[i] - p[i]) * tm[i]
				}
				assert.InDelta(t, 0, ip, 1e-12)
			}
			// And P(W) is the nearest point: no random subspace point is closer.
			dist := func(a []float64) float64 {
				var d float64
				for i := range a {
					d += (w[i] - a[i]) * (w[i] - a[i])
				}
				return d
			}
			for trial := 0; trial < 20; trial++ {
				hh := s.Filter(p)
				for i := range hh {
					hh[i] += 0.1 * rng.NormFloat64()
				}
				s.Expand(hh, tm)
				assert.Less(t, dist(p), dist(tm))
			}
		})
	}
}

func TestToeplitzMatVecIsCircularConvolution(t *testing.T) {
	for _, sh := range toeplitzShapes {
		s := ToeplitzSet{Rows: sh[0], Cols: sh[1]}
		t.Run(fmt.Sprintf("%dx%d", s.Rows, s.Cols), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, uint64(s.Rows*s.Cols)))
			w := randn(rng, s.Rows*s.Cols)
			s.Project(w)
			h := s.Filter(w)
			x := randn(rng, s.Cols)
			conv := circularConv(h, x)
			for r := 0; r < s.Rows; r++ {
				var y float64
				for c := 0; c < s.Cols; c++ {
					y += w[r*s.Cols+c] * x[c]
				}
				assert.InDelta(t, conv[r%s.Cols], y, 1e-12, "row %d", r)
			}
		})
	}
}

func TestToeplitzGlorot(t *testing.T) {
	s := ToeplitzSet{Rows: 40, Cols: 30}
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, s.Rows*s.Cols)
	ToeplitzGlorot(rng, s.Rows, s.Cols, w)
	p := append([]float64(nil), w...)
	s.Project(p)
	assert.InDeltaSlice(t, w, p, 1e-15, "starts on the subspace")
	h := s.Filter(w)
	var v float64
	for _, x := range h {
		v += x * x
	}
	v /= float64(len(h))
	want := 2.0 / float64(s.Rows+s.Cols)
	assert.InDelta(t, want, v, 0.6*want, "taps have Glorot's variance")
}

func TestToeplitzSetMisuse(t *testing.T) {
	s := ToeplitzSet{Rows: 2, Cols: 3}
	assert.Contains(t, s.String(), "2×3")
	require.Panics(t, func() { s.Project(make([]float64, 5)) })
	require.Panics(t, func() { s.Expand(make([]float64, 2), make([]float64, 6)) })
	require.Panics(t, func() { ToeplitzSet{}.Project(nil) })
	assert.False(t, math.IsNaN(s.Filter(make([]float64, 6))[0]))
}

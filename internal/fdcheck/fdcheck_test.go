package fdcheck

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
)

type cubic struct{}

func (cubic) Name() string       { return "cubic" }
func (cubic) Shape() graph.Shape { return graph.Shape{} }
func (cubic) Build(h, _ *G.Node) (*G.Node, error) {
	return G.Sum(G.Must(G.Cube(h)))
}

// f(w) = Σ_n (w·x_n)³ on two samples: the differences match the closed
// forms ∇f = 3Σ(w·x)² x and ∇²f v = 6Σ(w·x)(v·x) x.
func TestAgainstClosedForms(t *testing.T) {
	net, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		return G.Mul(b.Weight("w", 1, 2), x)
	}, cubic{})
	require.NoError(t, err)
	p, err := net.Program(2)
	require.NoError(t, err)
	x := []float64{1, 2, 3, -1} // columns (1,3) and (2,−1)
	require.NoError(t, p.SetBatch(x, []float64{0, 0}))
	w := graph.Weights{{0.5, -0.25}}
	require.NoError(t, p.SetWeights(w))
	cols := [][2]float64{{1, 3}, {2, -1}}
	var grad, hv [2]float64
	v := []float64{1, 2}
	for _, c := range cols {
		u := w[0][0]*c[0] + w[0][1]*c[1]
		s := v[0]*c[0] + v[1]*c[1]
		for k := 0; k < 2; k++ {
			grad[k] += 3 * u * u * c[k]
			hv[k] += 6 * u * s * c[k]
		}
	}
	g, err := Grad(p, w, 0, 1e-5)
	require.NoError(t, err)
	h, err := HVP(p, w, 0, v, 1e-5)
	require.NoError(t, err)
	for k := 0; k < 2; k++ {
		assert.InDelta(t, grad[k], g[k], 1e-8*math.Max(1, math.Abs(grad[k])))
		assert.InDelta(t, hv[k], h[k], 1e-8*math.Max(1, math.Abs(hv[k])))
	}
	f, err := p.Objective()
	require.NoError(t, err)
	assert.InDelta(t, math.Pow(-0.25, 3)+math.Pow(1.25, 3), f, 1e-15, "weights restored")
}

package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
)

// The one-pass Gauss-Newton matrix and the pre-activation Hessian of a
// declared chain equal the matrices assembled column by column from
// Gauss-Newton products and Hessian-vector products.
func TestCurvatureMatricesOnePassMatchProducts(t *testing.T) {
	type tc struct {
		loss  graph.Loss
		out   int
		act   layers.Activation
		bias  bool
		label func(rng *rand.Rand, y []float64, out, b int)
	}
	uniform := func(rng *rand.Rand, y []float64, out, b int) {
		for i := range y {
			y[i] = rng.Float64()
		}
	}
	signs := func(rng *rand.Rand, y []float64, out, b int) {
		for i := range y {
			y[i] = float64(2*rng.IntN(2) - 1)
		}
	}
	onehot := func(rng *rand.Rand, y []float64, out, b int) {
		clear(y)
		for n := 0; n < b; n++ {
			y[rng.IntN(out)*b+n] = 1
		}
	}
	cases := []tc{
		{losses.L2(), 2, layers.Logistic(), false, uniform},
		{losses.L2(), 1, layers.Tanh(), true, uniform},
		{losses.CrossEntropy(), 1, layers.Logistic(), false, uniform},
		{losses.Logistic(), 2, layers.Identity(), true, signs},
		{losses.SquaredHinge(1), 2, layers.Identity(), false, signs},
		{losses.SoftmaxCrossEntropy(), 3, layers.Identity(), false, onehot},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%d-%s-bias=%v", c.loss.Name(), c.out, c.act.Name(), c.bias), func(t *testing.T) {
			build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				var opts []layers.DenseOption
				if c.bias {
					opts = append(opts, layers.WithBias())
				}
				h := layers.Dense(b, "W1", 4, x, layers.Tanh(), opts...)
				h = layers.Dense(b, "W2", 3, h, layers.Softplus(), opts...)
				return layers.Dense(b, "W3", c.out, h, c.act, opts...), b.Err()
			}
			net, err := graph.New(3, build, c.loss, graph.Tikhonov(0.01))
			require.NoError(t, err)
			_, chain := net.Chain()
			require.True(t, chain)
			rng := rand.New(rand.NewPCG(1, 2))
			const B = 7
			x, y := make([]float64, 3*B), make([]float64, c.out*B)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			c.label(rng, y, c.out, B)
			p, err := net.Program(B)
			require.NoError(t, err)
			require.NoError(t, p.SetBatch(x, y))
			require.NoError(t, p.SetWeights(net.Init(rng)))
			for j, blk := range net.Blocks() {
				n := blk.Size()
				fast := make([]float64, n*n)
				require.NoError(t, p.GaussNewtonMatrix(j, fast))
				e, col := make([]float64, n), make([]float64, n)
				for k := 0; k < n; k++ {
					e[k] = 1
					require.NoError(t, p.GaussNewton(j, e, col))
					e[k] = 0
					for i := 0; i < n; i++ {
						require.InDelta(t, col[i], fast[i*n+k], 1e-12*math.Max(1, math.Abs(col[i])), "block %s (%d,%d)", blk.Name, i, k)
					}
				}
				require.NoError(t, p.Hessian(j, fast))
				for k := 0; k < n; k++ {
					e[k] = 1
					require.NoError(t, p.HVP(j, e, col))
					e[k] = 0
					for i := 0; i < n; i++ {
						require.InDelta(t, col[i], fast[i*n+k], 1e-12*math.Max(1, math.Abs(col[i])), "Hessian block %s (%d,%d)", blk.Name, i, k)
					}
				}
			}
		})
	}
}

package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/internal/fdcheck"
)

// Every loss on dense, Toeplitz and deep linear networks: gradients match
// central finite differences, Hessian-vector products match finite
// differences of gradients and are symmetric, Gauss-Newton products are
// symmetric positive semi-definite, the explicit Hessian's columns are HVPs.
func TestEveryLossOnEveryArchitecture(t *testing.T) {
	type lossCase struct {
		name   string
		params []float64
		out    string // output activation
		labels func(rng *rand.Rand, y []float64, rows, cols int)
	}
	unit := func(rng *rand.Rand, y []float64, _, _ int) {
		for i := range y {
			y[i] = rng.Float64()
		}
	}
	signs := func(rng *rand.Rand, y []float64, _, _ int) {
		for i := range y {
			y[i] = float64(2*rng.IntN(2) - 1)
		}
	}
	onehot := func(rng *rand.Rand, y []float64, rows, cols int) {
		clear(y)
		for n := 0; n < cols; n++ {
			y[rng.IntN(rows)*cols+n] = 1
		}
	}
	lossCases := []lossCase{
		{"l2", nil, "", unit},
		{"exponential", []float64{2}, "", unit},
		{"cross-entropy", nil, "logistic", unit},
		{"cross-entropy-with-logits", nil, "identity", unit},
		{"squared-hinge", []float64{1}, "identity", signs},
		{"logistic", nil, "identity", signs},
		{"softmax-cross-entropy", nil, "identity", onehot},
	}
	archs := []Spec{
		{Kind: KindMLP, Sizes: []int{4, 3, 2}, Activation: "tanh", Bias: true},
		{Kind: KindConv, Sizes: []int{4, 4, 2}, Activation: "softplus"},
		{Kind: KindDeepLinear, Sizes: []int{4, 3, 2}},
	}
	for _, lc := range lossCases {
		for _, arch := range archs {
			spec := arch
			spec.Loss, spec.LossParams, spec.Tikhonov = lc.name, lc.params, 1e-3
			if spec.Kind != KindDeepLinear && lc.out != "" {
				spec.Output = lc.out
			}
			if spec.Kind == KindDeepLinear && lc.name == "cross-entropy" {
				continue // needs outputs in (0, 1)
			}
			t.Run(fmt.Sprintf("%s/%s", lc.name, spec.Kind), func(t *testing.T) {
				checkExact(t, spec, lc.labels)
			})
		}
	}
}

func checkExact(t *testing.T, spec Spec, labels func(*rand.Rand, []float64, int, int)) {
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(21, 21))
	const B = 6
	x, y := make([]float64, net.In()*B), make([]float64, net.Out()*B)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	labels(rng, y, net.Out(), B)
	w := net.Init(rng)
	p, err := net.Program(B)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	require.NoError(t, p.SetWeights(w))
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(1e-3, math.Max(math.Abs(a), math.Abs(b))) }
	for j, blk := range net.Blocks() {
		n := blk.Size()
		g := make([]float64, n)
		require.NoError(t, p.Grad(j, g))
		fd, err := fdcheck.Grad(p, w, j, 1e-6)
		require.NoError(t, err)
		for i := range g {
			assert.LessOrEqual(t, rel(fd[i], g[i]), 1e-6, "%s grad %d: fd %g, exact %g", blk.Name, i, fd[i], g[i])
		}
		v, u := make([]float64, n), make([]float64, n)
		for i := range v {
			v[i], u[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		hv, hu := make([]float64, n), make([]float64, n)
		require.NoError(t, p.HVP(j, v, hv))
		require.NoError(t, p.HVP(j, u, hu))
		assert.LessOrEqual(t, math.Abs(dot(u, hv)-dot(v, hu)), 1e-10*math.Max(1, math.Abs(dot(u, hv))), "%s HVP symmetry", blk.Name)
		fdh, err := fdcheck.HVP(p, w, j, v, 1e-5)
		require.NoError(t, err)
		for i := range v {
			assert.LessOrEqual(t, rel(fdh[i], hv[i]), 1e-5, "%s HVP %d: fd %g, exact %g", blk.Name, i, fdh[i], hv[i])
		}
		gv, gu := make([]float64, n), make([]float64, n)
		require.NoError(t, p.GaussNewton(j, v, gv))
		require.NoError(t, p.GaussNewton(j, u, gu))
		assert.LessOrEqual(t, math.Abs(dot(u, gv)-dot(v, gu)), 1e-10*math.Max(1, math.Abs(dot(u, gv))), "%s GN symmetry", blk.Name)
		assert.GreaterOrEqual(t, dot(v, gv), -1e-12, "%s GN PSD", blk.Name)
		H := make([]float64, n*n)
		require.NoError(t, p.Hessian(j, H))
		e, col := make([]float64, n), make([]float64, n)
		for k := 0; k < n; k++ {
			e[k] = 1
			require.NoError(t, p.HVP(j, e, col))
			e[k] = 0
			for i := 0; i < n; i++ {
				assert.InDelta(t, col[i], H[i*n+k], 1e-12*math.Max(1, math.Abs(col[i])))
				assert.Equal(t, H[i*n+k], H[k*n+i])
			}
		}
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

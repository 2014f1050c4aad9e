package losses

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// identityProgram compiles a network whose output is its single weight
// block: H = W·X with X the B×B identity, so H = W exactly, ∇_W f = ∇_H ℓ
// and the block Hessian and Gauss-Newton matrix are both ∇²_H ℓ.
func identityProgram(t *testing.T, loss graph.Loss, rows, cols int) *graph.Program {
	t.Helper()
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w := b.Weight("H", rows, cols)
		if err := b.Err(); err != nil {
			return nil, err
		}
		return G.Mul(w, x)
	}
	net, err := graph.New(cols, build, loss)
	require.NoError(t, err)
	p, err := net.NewProgram(cols)
	require.NoError(t, err)
	return p
}

func identity(n int) []float64 {
	x := make([]float64, n*n)
	for i := 0; i < n; i++ {
		x[i*n+i] = 1
	}
	return x
}

// bindIdentity binds H (as the weights) and Y on an identity program.
func bindIdentity(t *testing.T, p *graph.Program, h, y []float64) {
	t.Helper()
	require.NoError(t, p.SetBatch(identity(p.Batch()), y))
	require.NoError(t, p.SetWeights(graph.Weights{h}))
}

// tinyNet is 3 → 4 (sigmoid) → out (act, nil for linear), with optional
// Tikhonov regularisation.
func tinyNet(t *testing.T, loss graph.Loss, out int, act func(*G.Node) (*G.Node, error), tikhonov float64) *graph.Net {
	t.Helper()
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w1 := b.Weight("W1", 4, 3)
		w2 := b.Weight("W2", out, 4)
		if err := b.Err(); err != nil {
			return nil, err
		}
		z1, err := G.Mul(w1, x)
		if err != nil {
			return nil, err
		}
		a1, err := G.Sigmoid(z1)
		if err != nil {
			return nil, err
		}
		z2, err := G.Mul(w2, a1)
		if err != nil || act == nil {
			return z2, err
		}
		return act(z2)
	}
	net, err := graph.New(3, build, loss, graph.Tikhonov(tikhonov))
	require.NoError(t, err)
	return net
}

func gradient(t *testing.T, p *graph.Program, w graph.Weights, j int) []float64 {
	t.Helper()
	require.NoError(t, p.SetWeights(w))
	g := make([]float64, len(w[j]))
	require.NoError(t, p.Grad(j, g))
	return g
}

func output(t *testing.T, p *graph.Program, w graph.Weights) []float64 {
	t.Helper()
	require.NoError(t, p.SetWeights(w))
	h := make([]float64, p.Net().Out()*p.Batch())
	require.NoError(t, p.Output(h))
	return h
}

// shifted returns w with block j moved by s·v.
func shifted(w graph.Weights, j int, s float64, v []float64) graph.Weights {
	w2 := w.Clone()
	for i := range v {
		w2[j][i] += s * v[i]
	}
	return w2
}

func unit(n, i int) []float64 {
	e := make([]float64, n)
	e[i] = 1
	return e
}

func randn(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// relErr is max|got − want| / max|want|: the error relative to the size of
// the reference vector.
func relErr(got, want []float64) float64 {
	var d float64
	for i := range want {
		d = math.Max(d, math.Abs(got[i]-want[i]))
	}
	if d == 0 {
		return 0
	}
	return d / math.Max(maxAbs(want), 1e-300)
}

func allFinite(a []float64) bool {
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Label and output generators (rows×cols, row-major).

func uniform(lo, hi float64) func(*rand.Rand, int, int) []float64 {
	return func(rng *rand.Rand, rows, cols int) []float64 {
		v := make([]float64, rows*cols)
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float64()
		}
		return v
	}
}

func normal(s float64) func(*rand.Rand, int, int) []float64 {
	return func(rng *rand.Rand, rows, cols int) []float64 {
		v := randn(rng, rows*cols)
		for i := range v {
			v[i] *= s
		}
		return v
	}
}

// softTargets mixes hard 0/1 targets with soft ones.
func softTargets(rng *rand.Rand, rows, cols int) []float64 {
	v := make([]float64, rows*cols)
	for i := range v {
		switch i % 3 {
		case 0:
			v[i] = float64(rng.IntN(2))
		case 1:
			v[i] = rng.Float64()
		default:
			v[i] = float64(1 - i%2)
		}
	}
	return v
}

func signs(rng *rand.Rand, rows, cols int) []float64 {
	v := make([]float64, rows*cols)
	for i := range v {
		v[i] = float64(2*rng.IntN(2) - 1)
	}
	return v
}

func oneHot(rng *rand.Rand, rows, cols int) []float64 {
	v := make([]float64, rows*cols)
	for c := 0; c < cols; c++ {
		v[rng.IntN(rows)*cols+c] = 1
	}
	return v
}

package graph_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/fdcheck"
)

// sqLoss is (1/B)‖Y − H‖²_F, written here so graph's tests do not depend on
// package losses.
type sqLoss struct{}

func (sqLoss) Name() string       { return "l2" }
func (sqLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }
func (sqLoss) Build(h, y *G.Node) (*G.Node, error) {
	d, err := G.Sub(y, h)
	if err != nil {
		return nil, err
	}
	s := G.Must(G.Sum(G.Must(G.Square(d))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

func twoLayer(b *graph.Builder, x *G.Node) (*G.Node, error) {
	w1 := b.Weight("W1", 4, 3)
	w2 := b.Weight("W2", 2, 4)
	h := G.Must(G.Tanh(G.Must(G.Mul(w1, x))))
	return G.Sigmoid(G.Must(G.Mul(w2, h)))
}

// skip is a custom architecture: a two-layer net with a skip connection
// and a weight shared by two paths.
func skip(b *graph.Builder, x *G.Node) (*G.Node, error) {
	w1 := b.Weight("W1", 3, 3)
	w2 := b.Weight("W2", 3, 3)
	w3 := b.Weight("Wout", 2, 3)
	h1 := G.Must(G.Sigmoid(G.Must(G.Mul(w1, x))))
	h2 := G.Must(G.Tanh(G.Must(G.Mul(w2, h1))))
	r := G.Must(G.Add(h2, x)) // residual
	r = G.Must(G.Add(r, G.Must(G.Mul(w2, x))))
	return G.Mul(w3, r)
}

func deepLinear(b *graph.Builder, x *G.Node) (*G.Node, error) {
	w1 := b.Weight("W1", 3, 3)
	w2 := b.Weight("W2", 3, 3)
	w3 := b.Weight("W3", 2, 3)
	return G.Mul(w3, G.Must(G.Mul(w2, G.Must(G.Mul(w1, x)))))
}

type fixture struct {
	name  string
	build graph.BuildFunc
	opts  []graph.Option
}

var fixtures = []fixture{
	{"two-layer", twoLayer, []graph.Option{graph.Tikhonov(0.01)}},
	{"skip-connection", skip, nil},
	{"deep-linear", deepLinear, []graph.Option{graph.Tikhonov(0.001)}},
}

func setup(t testing.TB, f fixture, batch int) (*graph.Net, *graph.Program, graph.Weights, *rand.Rand) {
	t.Helper()
	net, err := graph.New(3, f.build, sqLoss{}, f.opts...)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 1))
	w := net.Init(rng)
	x := make([]float64, net.In()*batch)
	y := make([]float64, net.Out()*batch)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.Float64()
	}
	p, err := net.Program(batch)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	require.NoError(t, p.SetWeights(w))
	return net, p, w, rng
}

func randVec(rng *rand.Rand, n int) []float64 {
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

func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			net, p, w, _ := setup(t, f, 5)
			for j := range w {
				g := make([]float64, len(w[j]))
				require.NoError(t, p.Grad(j, g))
				fd, err := fdcheck.Grad(p, w, j, 1e-6)
				require.NoError(t, err)
				for i := range g {
					assert.LessOrEqual(t, relErr(fd[i], g[i]), 1e-6, "block %s entry %d: fd %g grad %g", net.Blocks()[j].Name, i, fd[i], g[i])
				}
			}
		})
	}
}

func TestHVPMatchesFiniteDifferencesAndIsSymmetric(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, p, w, rng := setup(t, f, 5)
			const eps = 1e-5
			for j := range w {
				n := len(w[j])
				v, u := randVec(rng, n), randVec(rng, n)
				hv, hu := make([]float64, n), make([]float64, n)
				require.NoError(t, p.HVP(j, v, hv))
				require.NoError(t, p.HVP(j, u, hu))
				a, b := dot(u, hv), dot(v, hu)
				assert.LessOrEqual(t, math.Abs(a-b), 1e-10*math.Max(1, math.Abs(a)), "symmetry block %d: %g vs %g", j, a, b)
				fd, err := fdcheck.HVP(p, w, j, v, eps)
				require.NoError(t, err)
				for i := range v {
					assert.LessOrEqual(t, relErr(fd[i], hv[i]), 1e-5, "block %d entry %d: fd %g hvp %g", j, i, fd[i], hv[i])
				}
			}
		})
	}
}

func TestExplicitHessianColumnsAreHVPs(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, p, w, _ := setup(t, f, 4)
			for j := range w {
				n := len(w[j])
				H := make([]float64, n*n)
				require.NoError(t, p.Hessian(j, H))
				e, col := make([]float64, n), make([]float64, n)
				for k := 0; k < n; k++ {
					e[k] = 1
					require.NoError(t, p.HVP(j, e, col))
					e[k] = 0
					for i := 0; i < n; i++ {
						assert.InDelta(t, col[i], H[i*n+k], 1e-12*math.Max(1, math.Abs(col[i])))
						assert.Equal(t, H[i*n+k], H[k*n+i], "symmetric")
					}
				}
			}
		})
	}
}

func TestGaussNewtonIsSymmetricPSD(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			_, p, w, rng := setup(t, f, 6)
			for j := range w {
				n := len(w[j])
				for trial := 0; trial < 5; trial++ {
					v, u := randVec(rng, n), randVec(rng, n)
					gv, gu := make([]float64, n), make([]float64, n)
					require.NoError(t, p.GaussNewton(j, v, gv))
					require.NoError(t, p.GaussNewton(j, u, gu))
					a, b := dot(u, gv), dot(v, gu)
					assert.LessOrEqual(t, math.Abs(a-b), 1e-10*math.Max(1, math.Abs(a)), "symmetry")
					assert.GreaterOrEqual(t, dot(v, gv), -1e-12, "PSD")
				}
			}
		})
	}
}

// For a deep linear network with l2 loss, H is linear in each block, so the
// block Hessian equals the Gauss-Newton matrix exactly.
func TestGaussNewtonEqualsHessianWhenOutputIsLinearInBlock(t *testing.T) {
	_, p, w, rng := setup(t, fixtures[2], 5)
	for j := range w {
		n := len(w[j])
		v := randVec(rng, n)
		hv, gv := make([]float64, n), make([]float64, n)
		require.NoError(t, p.HVP(j, v, hv))
		require.NoError(t, p.GaussNewton(j, v, gv))
		for i := range hv {
			assert.InDelta(t, hv[i], gv[i], 1e-12)
		}
	}
}

func TestBatchSizesAndReuse(t *testing.T) {
	net, err := graph.New(3, twoLayer, sqLoss{}, graph.MaxPrograms(2))
	require.NoError(t, err)
	w := net.Init(rand.New(rand.NewPCG(1, 2)))
	// The objective of a batch is the mean of per-sample objectives, so a
	// batch of 4 equals the mean over four batches of 1.
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := randVec(rng, 12), make([]float64, 8)
	for i := range y {
		y[i] = rng.Float64()
	}
	p4, err := net.Program(4)
	require.NoError(t, err)
	require.NoError(t, p4.SetBatch(x, y))
	require.NoError(t, p4.SetWeights(w))
	f4, err := p4.Objective()
	require.NoError(t, err)
	var mean float64
	for c := 0; c < 4; c++ {
		p1, err := net.Program(1)
		require.NoError(t, err)
		require.NoError(t, p1.SetBatch([]float64{x[c], x[4+c], x[8+c]}, []float64{y[c], y[4+c]}))
		require.NoError(t, p1.SetWeights(w))
		f1, err := p1.Objective()
		require.NoError(t, err)
		mean += f1 / 4
	}
	assert.InDelta(t, f4, mean, 1e-14)
	again, err := net.Program(4)
	require.NoError(t, err)
	assert.Same(t, p4, again, "compiled programs are cached")
	_, _ = net.Program(2)
	_, _ = net.Program(3) // evicts 4 (MaxPrograms 2)
	again, err = net.Program(4)
	require.NoError(t, err)
	assert.NotSame(t, p4, again, "least recently used program was dropped")
}

func TestBadInput(t *testing.T) {
	net, err := graph.New(3, twoLayer, sqLoss{})
	require.NoError(t, err)
	p, err := net.Program(2)
	require.NoError(t, err)
	_, err = p.Objective()
	assert.ErrorIs(t, err, graph.ErrArgument, "nothing bound")
	assert.ErrorIs(t, p.SetBatch(make([]float64, 5), make([]float64, 4)), graph.ErrShape)
	assert.ErrorIs(t, p.SetBatch(make([]float64, 6), make([]float64, 3)), graph.ErrShape)
	x := make([]float64, 6)
	x[4] = math.NaN()
	err = p.SetBatch(x, make([]float64, 4))
	assert.ErrorIs(t, err, graph.ErrNotFinite)
	assert.Contains(t, err.Error(), "X row 2 column 0")
	w := net.NewWeights()
	w[1] = w[1][:3]
	err = p.SetWeights(w)
	assert.ErrorIs(t, err, graph.ErrShape)
	assert.Contains(t, err.Error(), `"W2"`)
	w = net.NewWeights()
	w[0][0] = math.Inf(1)
	assert.ErrorIs(t, p.SetWeights(w), graph.ErrNotFinite)

	_, err = graph.New(3, twoLayer, sqLoss{}, graph.Tikhonov(-1))
	assert.ErrorIs(t, err, graph.ErrArgument)
	_, err = graph.New(3, twoLayer, sqLoss{}, graph.BlockRegularizer("nope", 1, 0))
	assert.ErrorContains(t, err, `"nope"`)
	// A shape mismatch inside the user's graph is an error, not a panic.
	bad := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w := b.Weight("W1", 4, 5) // 4×5 times 3×B
		return G.Mul(w, x)
	}
	_, err = graph.New(3, bad, sqLoss{})
	assert.Error(t, err)
	dup := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		b.Weight("W", 3, 3)
		return G.Mul(b.Weight("W", 3, 3), x)
	}
	_, err = graph.New(3, dup, sqLoss{})
	assert.ErrorIs(t, err, graph.ErrArgument)
	assert.ErrorContains(t, err, `"W" declared twice`)
	_, err = graph.New(3, func(b *graph.Builder, x *G.Node) (*G.Node, error) { return x, nil }, sqLoss{})
	assert.ErrorContains(t, err, "no weight blocks")
	var nilNet *graph.Net
	_ = nilNet
	assert.False(t, errors.Is(nil, graph.ErrShape))
}

func TestSetsProject(t *testing.T) {
	b := graph.Box{Lo: -1, Hi: 2}
	w := []float64{-3, 0.5, 5}
	b.Project(w)
	assert.Equal(t, []float64{-1, 0.5, 2}, w)
	ball := graph.Ball{Radius: 5}
	w = []float64{6, 8}
	ball.Project(w)
	assert.InDeltaSlice(t, []float64{3, 4}, w, 1e-15)
	w = []float64{1, 1}
	ball.Project(w)
	assert.Equal(t, []float64{1, 1}, w, "inside the ball: unchanged")
}

func BenchmarkObjectiveAndGradients(b *testing.B) {
	net, p, w, _ := setup(b, fixtures[0], 252)
	g := net.NewWeights()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w[0][0] += 1e-9 // force recomputation
		_ = p.SetWeights(w)
		if _, err := p.Objective(); err != nil {
			b.Fatal(err)
		}
		for j := range g {
			if err := p.Grad(j, g[j]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestSetWeightsChecksChangedBlocksAtomically: SetWeights checks the blocks
// that differ from the bound ones, refuses a non-finite one in any block,
// and a refused call binds nothing (the objective is still the one of the
// weights bound before).
func TestSetWeightsChecksChangedBlocksAtomically(t *testing.T) {
	net, err := graph.New(3, twoLayer, sqLoss{})
	require.NoError(t, err)
	p, err := net.NewProgram(2)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch([]float64{1, 2, 3, 4, 5, 6}, []float64{0.1, 0.2, 0.3, 0.4}))
	w := net.Init(rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, p.SetWeights(w))
	f0, err := p.Objective()
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		edit func(w graph.Weights)
	}{
		{"NaN in the second block, first changed", func(w graph.Weights) { w[0][0] += 1; w[1][1] = math.NaN() }},
		{"+Inf in the first block", func(w graph.Weights) { w[0][2] = math.Inf(1) }},
		{"-Inf in an otherwise equal second block", func(w graph.Weights) { w[1][0] = math.Inf(-1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := w.Clone()
			c.edit(bad)
			assert.ErrorIs(t, p.SetWeights(bad), graph.ErrNotFinite)
			f, err := p.Objective()
			require.NoError(t, err)
			assert.Equal(t, f0, f, "a refused SetWeights binds nothing")
		})
	}
	moved := w.Clone()
	moved[1][0] += 0.5
	require.NoError(t, p.SetWeights(moved))
	f1, err := p.Objective()
	require.NoError(t, err)
	assert.NotEqual(t, f0, f1, "a changed block is bound")
}

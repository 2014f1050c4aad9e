package solvers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

func randData(rng *rand.Rand, in, out, n int) solvers.Data {
	d := solvers.Data{X: make([]float64, in*n), Y: make([]float64, out*n), N: n}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for i := range d.Y {
		d.Y[i] = rng.Float64()
	}
	return d
}

func bodyFat(t testing.TB) (*graph.Net, solvers.Data) {
	t.Helper()
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	net, err := models.BodyFat().Net()
	require.NoError(t, err)
	return net, solvers.Data{X: set.X, Y: set.Y, N: set.N}
}

// One linear layer with l2 loss: ∇f = −(2/N)(Y − WX)Xᵀ by hand.
func TestBPReproducesHandWrittenGradientDescent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	spec := models.Spec{Kind: models.KindDeepLinear, Sizes: []int{3, 2}, Loss: "l2"}
	net, err := spec.Net()
	require.NoError(t, err)
	data := randData(rng, 3, 2, 20)
	w0 := net.Init(rng)
	step := solvers.Harmonic{C: 1}
	res, err := solvers.Minimize(context.Background(), net, data, w0, solvers.BP(step), solvers.Settings{MaxIter: 50})
	require.NoError(t, err)
	assert.Equal(t, solvers.IterationLimit, res.Status)
	assert.True(t, res.Certified)

	w := append([]float64(nil), w0[0]...)
	n := 20
	for k := 1; k <= 50; k++ {
		g := make([]float64, 6)
		for s := 0; s < n; s++ {
			for i := 0; i < 2; i++ {
				h := 0.0
				for c := 0; c < 3; c++ {
					h += w[i*3+c] * data.X[c*n+s]
				}
				r := data.Y[i*n+s] - h
				for c := 0; c < 3; c++ {
					g[i*3+c] += -2 / float64(n) * r * data.X[c*n+s]
				}
			}
		}
		alpha := 1 / (2 * float64(k))
		for i := range w {
			w[i] -= alpha * g[i] // γ = 1: D = W − ∇f, W ← (1−α)W + αD
		}
	}
	for i := range w {
		assert.InDelta(t, w[i], res.Weights[0][i], 1e-12)
	}
}

func TestConditionEight(t *testing.T) {
	_, err := newRunCheck(solvers.BP(solvers.InvSqrt{C: 0.5}))
	assert.ErrorIs(t, err, solvers.ErrCondition8, "c/√k violates Σα² < ∞")
	_, err = newRunCheck(solvers.BP(solvers.Constant{C: 0.1}))
	assert.ErrorIs(t, err, solvers.ErrCondition8)
	_, err = newRunCheck(solvers.BSUM{Surrogate: surrogate.FirstOrder{}, Step: solvers.Unit{}})
	assert.ErrorIs(t, err, solvers.ErrCondition8, "α = 1 without Lemma 2")
	_, err = newRunCheck(solvers.BP(solvers.Harmonic{C: 3}))
	assert.ErrorIs(t, err, solvers.ErrCondition8, "C/(2k) with C ≥ 2 gives α ≥ 1")
	for _, m := range []solvers.BSUM{
		solvers.BP(solvers.Harmonic{C: 1}), solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99}), solvers.BP(solvers.Armijo{}),
		solvers.GD(1), solvers.LM(), solvers.ProxL1(0.01, 1), solvers.ExactBCD(),
		solvers.BPUncertified(solvers.InvSqrt{C: 0.5}), solvers.BPCLR(0.1), solvers.AdaGrad(0.1),
	} {
		assert.NoError(t, m.Validate(), m.String())
	}
	assert.False(t, solvers.BPCLR(0.1).Certified())
	assert.True(t, solvers.LM().Certified())
}

func newRunCheck(m solvers.BSUM) (*solvers.Result, error) { return nil, m.Validate() }

func TestDiminishingRulesOverManySteps(t *testing.T) {
	for _, r := range []solvers.StepRule{solvers.Harmonic{C: 1}, solvers.Harmonic{C: 1.9}, &solvers.Recursive{Alpha0: 1, T: 0.99}, &solvers.Recursive{Alpha0: 0.001, T: 0.9}} {
		t.Run(r.Name(), func(t *testing.T) {
			require.NoError(t, r.Condition8())
			var sum, sum2, prev float64
			prev = math.Inf(1)
			for k := 1; k <= 100000; k++ {
				a, err := r.Alpha(solvers.StepContext{K: k})
				require.NoError(t, err)
				require.True(t, a > 0 && a < 1, "α_%d = %v", k, a)
				require.LessOrEqual(t, a, prev, "non-increasing")
				prev = a
				sum += a
				sum2 += a * a
				if k == 1000 {
					defer func(s1000, q1000 float64) {
						assert.Greater(t, sum, s1000+0.5*math.Log(100)*0.5, "Σα keeps growing like log k")
						assert.Less(t, sum2-q1000, 1e-2, "Σα² converges")
					}(sum, sum2)
				}
			}
			assert.Less(t, sum2, 10.0)
			assert.Less(t, prev, 1e-3, "α → 0")
		})
	}
}

func TestArmijoSufficientDecrease(t *testing.T) {
	// f(α) = (α − 0.3)², slope −0.6 at 0, σ = 0.5: α = 1 and 0.5 fail the
	// sufficient decrease f(α) ≤ 0.09 − 0.3α, α = 0.25 passes.
	f := func(a float64) (float64, error) { return (a - 0.3) * (a - 0.3), nil }
	rule := solvers.Armijo{Sigma: 0.5}
	a, err := rule.Alpha(solvers.StepContext{K: 1, F0: 0.09, Slope: -0.6, Eval: f})
	require.NoError(t, err)
	fa, _ := f(a)
	assert.LessOrEqual(t, fa, 0.09+0.5*a*-0.6)
	assert.Equal(t, 0.25, a)
	// Not a descent direction: null step.
	a, err = rule.Alpha(solvers.StepContext{K: 1, F0: 0, Slope: 0.1, Eval: f})
	require.NoError(t, err)
	assert.Zero(t, a)
}

// Each Armijo step of a real run decreases f.
func TestArmijoRunIsMonotone(t *testing.T) {
	net, data := bodyFat(t)
	res, err := solvers.Minimize(context.Background(), net, data, nil, solvers.BP(solvers.Armijo{}), solvers.Settings{MaxIter: 40, Seed: 2})
	require.NoError(t, err)
	for i := 1; i < len(res.History); i++ {
		assert.LessOrEqual(t, res.History[i].F, res.History[i-1].F+1e-15)
	}
}

func leastSquaresBlock(t *testing.T, w graph.Weights, sizes []int, x, y []float64, n, j int, lambda float64) []float64 {
	t.Helper()
	toDense := func(r, c int, d []float64) *mat.Dense { return mat.NewDense(r, c, append([]float64(nil), d...)) }
	Z := toDense(sizes[0], n, x)
	for k := 0; k < j; k++ {
		var next mat.Dense
		next.Mul(toDense(sizes[k+1], sizes[k], w[k]), Z)
		Z = &next
	}
	A := mat.NewDense(sizes[len(sizes)-1], sizes[len(sizes)-1], nil)
	for i := 0; i < sizes[len(sizes)-1]; i++ {
		A.Set(i, i, 1)
	}
	for k := len(w) - 1; k > j; k-- {
		var next mat.Dense
		next.Mul(A, toDense(sizes[k+1], sizes[k], w[k]))
		A = &next
	}
	var ata, zzt, rhs, tmp mat.Dense
	ata.Mul(A.T(), A)
	zzt.Mul(Z, Z.T())
	tmp.Mul(A.T(), toDense(sizes[len(sizes)-1], n, y))
	rhs.Mul(&tmp, Z.T())
	var K mat.Dense
	K.Kronecker(&ata, &zzt)
	p := sizes[j+1] * sizes[j]
	for i := 0; i < p; i++ {
		K.Set(i, i, K.At(i, i)/float64(n)+lambda)
		for c := 0; c < p; c++ {
			if c != i {
				K.Set(i, c, K.At(i, c)/float64(n))
			}
		}
	}
	b := mat.NewVecDense(p, nil)
	for r := 0; r < sizes[j+1]; r++ {
		for c := 0; c < sizes[j]; c++ {
			b.SetVec(r*sizes[j]+c, rhs.At(r, c)/float64(n))
		}
	}
	var sol mat.VecDense
	require.NoError(t, sol.SolveVec(&K, b))
	return append([]float64(nil), sol.RawVector().Data...)
}

func TestExactBCDOnDeepLinearNetwork(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	sizes := []int{4, 3, 3, 2}
	spec := models.DeepLinear(sizes...)
	spec.Tikhonov = 1e-3
	net, err := spec.Net()
	require.NoError(t, err)
	data := randData(rng, 4, 2, 30)

	res, err := solvers.Minimize(context.Background(), net, data, net.Init(rng), solvers.ExactBCD(), solvers.Settings{MaxIter: 12})
	require.NoError(t, err)
	for i := 1; i < len(res.History); i++ {
		assert.LessOrEqual(t, res.History[i].F, res.History[i-1].F*(1+1e-12), "f decreases monotonically")
	}

	// One iteration at a time (StartIter picks the cyclic block), each block
	// solve against the normal equations solved by gonum.
	cur := net.Init(rng)
	for k := 1; k <= 6; k++ {
		j := (k - 1) % 3
		oracle := leastSquaresBlock(t, cur, sizes, data.X, data.Y, data.N, j, spec.Tikhonov)
		r, err := solvers.Minimize(context.Background(), net, data, cur, solvers.ExactBCD(), solvers.Settings{StartIter: k, MaxIter: k})
		require.NoError(t, err)
		require.Len(t, r.History, 1)
		assert.Equal(t, []int{j}, r.History[0].Blocks)
		for i := range oracle {
			assert.InDelta(t, oracle[i], r.Weights[j][i], 1e-9, "block %d entry %d", j, i)
		}
		cur = r.Weights
	}
}

func TestProxL1ExactZerosAndOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	net, err := models.MLP("tanh", 3, 4, 1).Net()
	require.NoError(t, err)
	data := randData(rng, 3, 1, 25)
	w0 := net.Init(rng)
	const lambda, gamma = 0.05, 4.0
	res, err := solvers.Minimize(context.Background(), net, data, w0, solvers.ProxL1(lambda, gamma), solvers.Settings{MaxIter: 1})
	require.NoError(t, err)
	// Oracle: block 0 ← soft(W − ∇f/γ, λ/γ), element by element.
	p, err := net.Program(25)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(data.X, data.Y))
	require.NoError(t, p.SetWeights(w0))
	g := make([]float64, len(w0[0]))
	require.NoError(t, p.Grad(0, g))
	zeros := 0
	for i, w := range w0[0] {
		a := w - g[i]/gamma
		want := 0.0
		switch {
		case a > lambda/gamma:
			want = a - lambda/gamma
		case a < -lambda/gamma:
			want = a + lambda/gamma
		}
		assert.Equal(t, want, res.Weights[0][i], "entry %d", i)
		if res.Weights[0][i] == 0 {
			zeros++
		}
	}
	// Longer runs make many exact zeros.
	res, err = solvers.Minimize(context.Background(), net, data, w0, solvers.ProxL1(0.2, gamma), solvers.Settings{MaxIter: 200})
	require.NoError(t, err)
	zeros = 0
	for _, b := range res.Weights {
		for _, v := range b {
			if v == 0 {
				zeros++
			}
		}
	}
	assert.Greater(t, zeros, 0, "soft-thresholding produces exact zeros")
	assert.InDelta(t, res.F, res.History[len(res.History)-1].F, 1e-12, "objective includes the L1 term consistently")
}

func TestJacobiEqualsSequentialFromSamePoint(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(8, 8)))
	for _, base := range []solvers.BSUM{solvers.GD(2), solvers.LM()} {
		m := base
		m.Blocks = solvers.Jacobi
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 1})
		require.NoError(t, err)
		assert.Equal(t, []int{0, 1, 2, 3}, res.History[0].Blocks)
		// Sequential: each block's direction from the same w0, one block at
		// a time (StartIter selects block j in cyclic order).
		for j := 0; j < 4; j++ {
			seq := base
			seq.Surrogate = fresh(base.Surrogate)
			r, err := solvers.Minimize(context.Background(), net, data, w0, seq, solvers.Settings{StartIter: j + 1, MaxIter: j + 1})
			require.NoError(t, err)
			assert.Equal(t, r.Weights[j], res.Weights[j], "%s block %d", base.Name, j)
		}
	}
}

// fresh returns a surrogate with its own state (LM's damping), as a new
// run would have.
func fresh(s surrogate.Surrogate) surrogate.Surrogate {
	if so, ok := s.(*surrogate.SecondOrder); ok {
		c := *so
		c.Adaptive = &surrogate.Damping{}
		return &c
	}
	return s
}

func TestEverySolverLowersBodyFatObjective(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(9, 9)))
	f0 := objective(t, net, data, w0)
	methods := []solvers.BSUM{
		solvers.BP(solvers.Harmonic{C: 1}),
		solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99}),
		solvers.BPUncertified(solvers.InvSqrt{C: 0.9}),
		solvers.BP(solvers.Armijo{}),
		solvers.GD(1),
		solvers.LM(),
		solvers.LMHessian(),
		solvers.ProxL1(1e-4, 1),
		solvers.BPCLR(0.5),
		solvers.AdaGrad(0.05),
		{Name: "random blocks", Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true, Blocks: solvers.Random},
		{Name: "gauss-southwell", Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true, Blocks: solvers.GaussSouthwell},
		{Name: "reverse-cyclic", Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true, Blocks: solvers.ReverseCyclic},
		{Name: "stochastic B=50", Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true, Batches: solvers.FixedBatch(50)},
		{Name: "growing batch", Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true, Batches: solvers.GrowingBatch()},
	}
	for _, m := range methods {
		t.Run(m.String(), func(t *testing.T) {
			res, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 80, Seed: 1})
			require.NoError(t, err)
			assert.Equal(t, solvers.IterationLimit, res.Status)
			assert.Less(t, res.F, f0, "f decreased from %g", f0)
			assert.Len(t, res.History, 80)
			assert.False(t, math.IsNaN(res.NormMSE))
		})
	}
}

func objective(t *testing.T, net *graph.Net, data solvers.Data, w graph.Weights) float64 {
	p, err := net.Program(data.N)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(data.X, data.Y))
	require.NoError(t, p.SetWeights(w))
	f, err := p.Objective()
	require.NoError(t, err)
	return f
}

// LM with γ → 0 on a strongly convex quadratic block (one linear layer,
// l2 loss) lands on the least-squares solution in one step.
func TestLMSolvesQuadraticBlockInOneStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	net, err := models.DeepLinear(3, 2).Net()
	require.NoError(t, err)
	data := randData(rng, 3, 2, 40)
	m := solvers.BSUM{Surrogate: &surrogate.SecondOrder{Gamma: 1e-12, Curvature: surrogate.Hessian}, Step: solvers.Unit{}, Lemma2: true}
	res, err := solvers.Minimize(context.Background(), net, data, net.Init(rng), m, solvers.Settings{MaxIter: 1})
	require.NoError(t, err)
	want := leastSquaresBlock(t, res.Weights, []int{3, 2}, data.X, data.Y, data.N, 0, 0)
	assert.InDeltaSlice(t, want, res.Weights[0], 1e-9)
}

// A loss that returns NaN for some weights: the run stops, names block and
// iteration, and returns the last finite weights.
type nanAfter struct{ graph.Loss }

func (l nanAfter) Build(h, y *G.Node) (*G.Node, error) {
	base, err := l.Loss.Build(h, y)
	if err != nil {
		return nil, err
	}
	// 0.01·√(c − Σ H²) goes NaN once the outputs grow past √c: both terms
	// pull H up, and the square root's slope sends the step past the edge.
	s := G.Must(G.Sum(G.Must(G.Square(h))))
	arg := G.Must(G.Sub(G.NewConstant(float64(h.Shape()[1])*4), s))
	return G.Add(base, G.Must(G.Mul(G.NewConstant(0.01), G.Must(G.Sqrt(arg)))))
}

func TestNaNStopsRunWithLastFiniteWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		return layers.Linear(b, "W", 1, x), b.Err()
	}
	net, err := graph.New(2, build, nanAfter{losses.L2()})
	require.NoError(t, err)
	data := randData(rng, 2, 1, 10)
	for i := range data.Y {
		data.Y[i] = 10 // pulls the outputs up until the log goes NaN
	}
	w0 := graph.Weights{{0, 0}}
	var seen []solvers.Record
	res, err := solvers.Minimize(context.Background(), net, data, w0, solvers.GD(20), solvers.Settings{MaxIter: 5000, Callback: func(r solvers.Record) error { seen = append(seen, r); return nil }})
	require.Error(t, err)
	assert.ErrorIs(t, err, solvers.ErrNotFinite)
	assert.Contains(t, err.Error(), `block "W"`)
	assert.Contains(t, err.Error(), "iteration")
	assert.Equal(t, solvers.Failed, res.Status)
	require.NotEmpty(t, seen)
	assert.True(t, res.Weights.AllFinite())
	f := objective(t, net, data, res.Weights)
	assert.False(t, math.IsNaN(f), "returned weights are the last finite ones")
}

func TestStopConditions(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(12, 12)))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err := solvers.Minimize(ctx, net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 1000, Callback: func(solvers.Record) error {
		n++
		if n == 5 {
			cancel()
		}
		return nil
	}})
	require.NoError(t, err)
	assert.Equal(t, solvers.Canceled, res.Status)
	assert.Len(t, res.History, 5)

	res, err = solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 1000000, TimeBudget: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, solvers.TimeLimit, res.Status)

	stop := errors.New("enough")
	res, err = solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 100, Callback: func(r solvers.Record) error {
		if r.K == 3 {
			return stop
		}
		return nil
	}})
	require.NoError(t, err)
	assert.Equal(t, solvers.CallbackStop, res.Status)

	spec := models.DeepLinear(3, 3, 1)
	spec.Tikhonov = 1e-2
	dl, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 3))
	dd := randData(rng, 3, 1, 30)
	res, err = solvers.Minimize(context.Background(), dl, dd, nil, solvers.ExactBCD(), solvers.Settings{MaxIter: 5000, StationarityTol: 1e-6})
	require.NoError(t, err)
	assert.Equal(t, solvers.Stationary, res.Status)
	assert.Less(t, len(res.History), 5000)
	for _, r := range res.History[len(res.History)-2:] {
		assert.LessOrEqual(t, r.Stationarity, 1e-6)
	}
	res, err = solvers.Minimize(context.Background(), dl, dd, nil, solvers.ExactBCD(), solvers.Settings{MaxIter: 5000, GradTol: 1e-8})
	require.NoError(t, err)
	assert.Equal(t, solvers.GradientThreshold, res.Status)
	_, err = solvers.Minimize(context.Background(), net, solvers.Data{X: data.X, Y: data.Y[:10], N: data.N}, w0, solvers.GD(1), solvers.Settings{})
	assert.ErrorIs(t, err, graph.ErrShape)
}

func TestCertify(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	mk := func(spec models.Spec) *graph.Net {
		net, err := spec.Net()
		require.NoError(t, err)
		return net
	}
	// Deep linear + l2: convex in every block, affine output.
	dl := mk(models.DeepLinear(3, 3, 1))
	c := solvers.Certify(dl, dl.Init(rng), 0)
	assert.True(t, c.Convex && c.Affine, c.Reason)
	// Logistic activations: not certified.
	bf := mk(models.BodyFat())
	assert.False(t, solvers.Certify(bf, bf.Init(rng), 2).Convex)
	// Softplus + l2: l2 is not non-decreasing in H, so C1 fails.
	sp := models.MLP("softplus", 3, 3, 1)
	spn := mk(sp)
	assert.False(t, solvers.Certify(spn, spn.Init(rng), 1).Convex)
	// Hand-written graph: no chain, no certificate.
	raw, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) { return G.Mul(b.Weight("W", 1, 2), x) }, losses.L2())
	require.NoError(t, err)
	c = solvers.Certify(raw, raw.Init(rng), 0)
	assert.False(t, c.Convex)
	assert.Contains(t, c.Reason, "not a verified chain")
	// Proximal refuses an uncertified block with a clear error.
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	m := solvers.BSUM{Surrogate: surrogate.Proximal{Gamma: 1}, Step: solvers.Unit{}, Lemma2: true}
	_, err = solvers.Minimize(context.Background(), bf, solvers.Data{X: set.X, Y: set.Y, N: set.N}, nil, m, solvers.Settings{MaxIter: 2})
	assert.ErrorIs(t, err, surrogate.ErrNotCertified)
	assert.Contains(t, err.Error(), `block "W1"`)
}

func ExampleMinimize() {
	set, _ := dataset.BodyFatRegression()
	net, _ := models.BodyFat().Net()
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	res, err := solvers.Minimize(context.Background(), net, data, nil, solvers.LM(), solvers.Settings{MaxIter: 40, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s after %d iterations; normalised MSE below 0.5: %v\n", res.Status, len(res.History), res.NormMSE < 0.5)
	// Output: iteration limit after 40 iterations; normalised MSE below 0.5: true
}

// On a linear-subspace block (Toeplitz), the second-order direction is the
// minimiser of the quadratic model over the subspace: it lies in the
// subspace and the projected model gradient vanishes there.
func TestSecondOrderOnToeplitzSubspace(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	net, err := models.Conv("tanh", 6, 6, 3).Net()
	require.NoError(t, err)
	data := randData(rng, 6, 3, 30)
	w0 := net.Init(rng)
	const gamma = 0.5
	m := solvers.BSUM{Surrogate: &surrogate.SecondOrder{Gamma: gamma, Curvature: surrogate.GaussNewton}, Step: solvers.Unit{}, Lemma2: true}
	res, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 1})
	require.NoError(t, err)
	blk := net.Blocks()[0]
	set := blk.Set.(layers.ToeplitzSet)
	d := res.Weights[0]
	proj := append([]float64(nil), d...)
	set.Project(proj)
	assert.InDeltaSlice(t, d, proj, 1e-14, "direction on the subspace")
	p, err := net.Program(data.N)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(data.X, data.Y))
	require.NoError(t, p.SetWeights(w0))
	g := make([]float64, blk.Size())
	require.NoError(t, p.Grad(0, g))
	step := make([]float64, blk.Size())
	for i := range step {
		step[i] = d[i] - w0[0][i]
	}
	cs := make([]float64, blk.Size())
	require.NoError(t, p.GaussNewton(0, step, cs))
	grad := make([]float64, blk.Size())
	for i := range grad {
		grad[i] = g[i] + cs[i] + gamma*step[i]
	}
	set.Project(grad)
	assert.Less(t, norm2(grad), 1e-8*math.Max(1, norm2(g)), "projected model gradient vanishes")
}

func norm2(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

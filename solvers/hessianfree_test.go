package solvers_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// TestHessianFreeEqualsLMCG: with the whole batch as curvature batch, no
// warm start, no progress stop and a large CG budget, HF is LM with CG on
// Gauss-Newton products: the same weights after every iteration.
func TestHessianFreeEqualsLMCG(t *testing.T) {
	net, data := bodyFat(t)
	tests := []struct {
		name    string
		blocks  solvers.BlockRule
		batches solvers.Batches
	}{
		{"cyclic full batch", solvers.Cyclic, solvers.FullBatch()},
		{"random blocks, batches of 60", solvers.Random, solvers.FixedBatch(60)},
		{"jacobi", solvers.Jacobi, solvers.FullBatch()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hf := solvers.HessianFree(solvers.HFOptions{CurvatureFraction: 1, CGIters: 400, Progress: -1, WarmStart: -1})
			lm := solvers.BSUM{Name: "LM-CG", Surrogate: &surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Solver: surrogate.CG, CGMaxIter: 400, Adaptive: &surrogate.Damping{}}, Step: solvers.Unit{}, Lemma2: true}
			var ws [2][][]float64
			for i, m := range []solvers.BSUM{hf, lm} {
				m.Blocks, m.Batches = tc.blocks, tc.batches
				if tc.blocks == solvers.Jacobi {
					m.Step = solvers.Constant{C: 0.25}
					m.Uncertified = true
				}
				var hist [][]float64
				s := solvers.Settings{MaxIter: 8, Seed: 4, FullEvalEvery: -1, Callback: func(r solvers.Record) error {
					hist = append(hist, []float64{r.F, r.Gamma})
					return nil
				}}
				res, err := solvers.Minimize(context.Background(), net, data, nil, m, s)
				require.NoError(t, err)
				ws[i] = append(hist, hfFlatten(res.Weights))
			}
			require.Equal(t, ws[1], ws[0])
		})
	}
}

func hfFlatten(w [][]float64) []float64 {
	var s []float64
	for _, b := range w {
		s = append(s, b...)
	}
	return s
}

// TestHessianFreeDecreases: HF with a curvature mini-batch decreases f on
// BodyFat and on a synthetic 784-64-10 softmax cross-entropy problem; with
// the full batch f never increases.
func TestHessianFreeDecreases(t *testing.T) {
	bnet, bdata := bodyFat(t)
	spec := models.MLP("tanh", 784, 64, 10)
	spec.Output, spec.Loss = "identity", "softmax-cross-entropy"
	snet, err := spec.Net()
	require.NoError(t, err)
	sdata := hfTeacherData(rand.New(rand.NewPCG(2, 9)), 784, 10, 300)
	tests := []struct {
		name   string
		opts   solvers.HFOptions
		iters  int
		factor float64 // final f ≤ factor·f0
	}{
		{"bodyfat tenth", solvers.HFOptions{}, 60, 0.5},
		{"bodyfat 20 columns, warm start off", solvers.HFOptions{CurvatureBatch: 20, WarmStart: -1}, 60, 0.5},
		{"784-64-10 softmax", solvers.HFOptions{CurvatureBatch: 30, CGIters: 20}, 6, 0.7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, data := bnet, bdata
			if tc.name == "784-64-10 softmax" {
				net, data = snet, sdata
			}
			m := solvers.HessianFree(tc.opts)
			require.True(t, m.Certified())
			var fs []float64
			var rejected int
			s := solvers.Settings{MaxIter: tc.iters, Seed: 1, Callback: func(r solvers.Record) error {
				fs = append(fs, r.F)
				return nil
			}}
			w0 := net.Init(rand.New(rand.NewPCG(5, 5)))
			f0 := objective(t, net, data, w0)
			res, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
			require.NoError(t, err)
			prev := f0
			for k, f := range fs {
				assert.LessOrEqual(t, f, prev*(1+1e-12), "iteration %d: f rose", k+1)
				if f == prev {
					rejected++
				}
				prev = f
			}
			assert.Less(t, res.F, tc.factor*f0, "f0 %g, final %g", f0, res.F)
			assert.Positive(t, res.Stats.GaussNewton)
			assert.Zero(t, res.Stats.GaussNewtonMatrix+res.Stats.Hessian)
			t.Logf("f: %.4g → %.4g in %d iterations (%d null steps), %d Gauss-Newton products", f0, res.F, tc.iters, rejected, res.Stats.GaussNewton)
		})
	}
}

// hfTeacherData is n samples of in standard normal features labelled by the
// argmax of a random linear teacher over classes classes (one-hot Y).
func hfTeacherData(rng *rand.Rand, in, classes, n int) solvers.Data {
	d := solvers.Data{X: make([]float64, in*n), Y: make([]float64, classes*n), N: n}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	teacher := make([]float64, classes*in)
	for i := range teacher {
		teacher[i] = rng.NormFloat64()
	}
	for c := 0; c < n; c++ {
		best, bestV := 0, 0.0
		for k := 0; k < classes; k++ {
			var v float64
			for i := 0; i < in; i++ {
				v += teacher[k*in+i] * d.X[i*n+c]
			}
			if k == 0 || v > bestV {
				best, bestV = k, v
			}
		}
		d.Y[best*n+c] = 1
	}
	return d
}

// TestHessianFreeJacobiReproducible: under the Jacobi rule the blocks draw
// their curvature mini-batches concurrently from their own seeded streams,
// so two runs agree bit for bit and another seed draws other columns (run
// with -race).
func TestHessianFreeJacobiReproducible(t *testing.T) {
	net, data := bodyFat(t)
	run := func(seed uint64) [][]float64 {
		m := solvers.HessianFree(solvers.HFOptions{CurvatureBatch: 20, CGIters: 15})
		m.Blocks, m.Step, m.Uncertified = solvers.Jacobi, solvers.Constant{C: 0.25}, true
		w0 := net.Init(rand.New(rand.NewPCG(1, 1)))
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 4, Seed: seed, FullEvalEvery: -1})
		require.NoError(t, err)
		return res.Weights
	}
	a, b, c := run(3), run(3), run(4)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}

package solvers_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

// shardMethods exercise every evaluation a run makes through the
// evaluator: f and gradients (BP, Armijo trials), Gauss-Newton products and
// matrices (LM), curvature mini-batches drawn from the bound batch (HF),
// Jacobi's private programs fed from the batch, and mini-batches.
func shardMethods() []solvers.BSUM {
	sgd := solvers.BP(solvers.Armijo{})
	sgd.Batches = solvers.FixedBatch(64)
	jac := solvers.GD(2)
	jac.Blocks = solvers.Jacobi
	return []solvers.BSUM{
		solvers.LM(),
		solvers.LMHessian(),
		solvers.BP(solvers.Harmonic{C: 1}),
		solvers.HessianFree(solvers.HFOptions{CurvatureFraction: 0.5}),
		sgd,
		jac,
	}
}

// closeRun checks that two runs made the same decisions and reached the
// same values to rounding: same status, records, and f and weights within
// tol relative.
func closeRun(t *testing.T, want, got *solvers.Result, tol float64, name string) {
	t.Helper()
	require.Equal(t, want.Status, got.Status, name)
	require.Len(t, got.History, len(want.History), name)
	for i, a := range want.History {
		b := got.History[i]
		assert.Equal(t, a.Blocks, b.Blocks, "%s: record %d blocks", name, i)
		assert.Equal(t, a.Batch, b.Batch, "%s: record %d batch", name, i)
		assert.InDelta(t, a.F, b.F, tol*math.Abs(a.F), "%s: record %d f", name, i)
	}
	for j := range want.Weights {
		for k, v := range want.Weights[j] {
			if !assert.InDelta(t, v, got.Weights[j][k], tol*math.Max(1, math.Abs(v)), "%s: W%d[%d]", name, j+1, k) {
				return
			}
		}
	}
}

// Runs on 3 column shards equal one-program runs to rounding, and a
// sharded run repeats bit for bit.
func TestShardRunsMatchOneProgram(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(7, 8)))
	s := solvers.Settings{MaxIter: 6, Seed: 9}
	for _, m := range shardMethods() {
		s.Shards = 1
		one, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		s.Shards = 3
		sh, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		closeRun(t, one, sh, 1e-9, m.String())
		again, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		sameRun(t, sh, again, m.String()+", 3 shards again")
	}
}

// A softmax classifier on shuffled mini-batches (epochs) gives the same
// run on 4 shards as on one program, to rounding.
func TestShardSoftmaxMiniBatches(t *testing.T) {
	spec := models.MLP("tanh", 5, 8, 3)
	spec.Output, spec.Loss, spec.Bias, spec.Tikhonov = "identity", losses.NameSoftmaxCrossEntropy, true, 1e-3
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 120
	data := solvers.Data{X: make([]float64, 5*n), Y: make([]float64, 3*n), N: n}
	for i := range data.X {
		data.X[i] = rng.NormFloat64()
	}
	for c := 0; c < n; c++ {
		data.Y[rng.IntN(3)*n+c] = 1
	}
	w0 := net.Init(rng)
	for i, m := range []solvers.BSUM{solvers.BP(solvers.Harmonic{C: 1}), solvers.LM()} {
		m.Batches = solvers.Shuffled(40)
		s := solvers.Settings{MaxIter: 9, Seed: 13, Shards: 1}
		one, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		s.Shards = 4
		sh, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		closeRun(t, one, sh, 1e-9, m.String())
		if i == 0 {
			assert.Less(t, sh.F, sh.History[0].F, "%s lowers f", m.String())
		}
	}
}

// Concurrent sharded runs on one Net equal lone sharded runs bit for bit
// (run under -race in CI).
func TestConcurrentShardedRunsEqualLoneRuns(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(3, 4)))
	methods := shardMethods()[:4]
	s := solvers.Settings{MaxIter: 4, Seed: 5, Shards: 2}
	lone := make([]*solvers.Result, len(methods))
	for i, m := range methods {
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		lone[i] = res
	}
	got := make([]*solvers.Result, 2*len(methods))
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], errs[i] = solvers.Minimize(context.Background(), net, data, w0, methods[i%len(methods)], s)
		}(i)
	}
	wg.Wait()
	for i := range got {
		m := methods[i%len(methods)]
		require.NoError(t, errs[i], m.String())
		sameRun(t, lone[i%len(methods)], got[i], m.String())
	}
}

// The automatic shard count keeps BodyFat on one program: its runs are the
// one-program runs bit for bit.
func TestShardAutoKeepsBodyFatOnOneProgram(t *testing.T) {
	net, data := bodyFat(t)
	require.Equal(t, 1, graph.AutoShards(net, data.N))
	w0 := net.Init(rand.New(rand.NewPCG(1, 1)))
	for _, m := range []solvers.BSUM{solvers.LM(), solvers.BP(solvers.Harmonic{C: 1})} {
		auto, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 4})
		require.NoError(t, err)
		one, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 4, Shards: 1})
		require.NoError(t, err)
		sameRun(t, one, auto, m.String())
	}
}

// A loss that is not a mean of per-sample terms runs on one program
// whatever Shards says; a negative count is refused.
func TestShardSettings(t *testing.T) {
	spec := models.MLP("logistic", 4, 3, 1)
	spec.Loss, spec.LossParams = losses.NameExponential, []float64{1}
	net, err := spec.Net()
	require.NoError(t, err)
	data := randData(rand.New(rand.NewPCG(2, 3)), 4, 1, 30)
	w0 := net.Init(rand.New(rand.NewPCG(4, 5)))
	one, err := solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 3, Shards: 1})
	require.NoError(t, err)
	many, err := solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 3, Shards: 4})
	require.NoError(t, err)
	sameRun(t, one, many, "exponential loss")
	_, err = solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 3, Shards: -1})
	require.ErrorIs(t, err, solvers.ErrMethod)
}

package solvers_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/reducetest"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

// columns returns columns [lo, hi) of d (in input rows).
func columns(d solvers.Data, in, lo, hi int) solvers.Data {
	out := len(d.Y) / d.N
	n := hi - lo
	s := solvers.Data{X: make([]float64, in*n), Y: make([]float64, out*n), N: n}
	for i := 0; i < in; i++ {
		copy(s.X[i*n:(i+1)*n], d.X[i*d.N+lo:i*d.N+hi])
	}
	for i := 0; i < out; i++ {
		copy(s.Y[i*n:(i+1)*n], d.Y[i*d.N+lo:i*d.N+hi])
	}
	return s
}

// parallelRun runs m on size in-process participants, each on its own
// contiguous columns of data (and val, if not nil), and returns every
// participant's result.
func parallelRun(t *testing.T, net *graph.Net, data solvers.Data, val *solvers.Data, w0 graph.Weights, m solvers.BSUM, s solvers.Settings, size int) []*solvers.Result {
	t.Helper()
	reds := reducetest.New(size)
	res := make([]*solvers.Result, size)
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := 0; r < size; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			lo, hi := graph.ShardRange(data.N, r, size)
			rs := s
			rs.Partition = &solvers.Partition{Reducer: reds[r], Lo: lo, N: data.N}
			if val != nil {
				vlo, vhi := graph.ShardRange(val.N, r, size)
				v := columns(*val, net.In(), vlo, vhi)
				rs.Validation = &v
				rs.Partition.ValLo, rs.Partition.ValN = vlo, val.N
			}
			res[r], errs[r] = solvers.Minimize(context.Background(), net, columns(data, net.In(), lo, hi), w0, m, rs)
		}(r)
	}
	wg.Wait()
	for r := range errs {
		require.NoError(t, errs[r], "rank %d", r)
	}
	return res
}

// closeWeights checks f and every weight within tol relative (weights
// relative to max(1, |w|)).
func closeWeights(t *testing.T, want, got *solvers.Result, tol float64, name string) {
	t.Helper()
	require.Equal(t, want.Status, got.Status, name)
	require.Len(t, got.History, len(want.History), name)
	assert.InDelta(t, want.F, got.F, tol*math.Abs(want.F), "%s: f", name)
	for i, a := range want.History {
		b := got.History[i]
		assert.Equal(t, a.Blocks, b.Blocks, "%s: record %d blocks", name, i)
		assert.Equal(t, a.Batch, b.Batch, "%s: record %d batch", name, i)
		assert.InDelta(t, a.F, b.F, tol*math.Abs(a.F), "%s: record %d f", name, i)
		assert.InDelta(t, a.Epoch, b.Epoch, 1e-15, "%s: record %d epoch", name, i)
		if !math.IsNaN(a.ValLoss) {
			assert.InDelta(t, a.ValLoss, b.ValLoss, tol*math.Abs(a.ValLoss), "%s: record %d validation loss", name, i)
			assert.InDelta(t, a.ValMetric, b.ValMetric, tol*math.Max(1, math.Abs(a.ValMetric)), "%s: record %d validation metric", name, i)
		}
	}
	var worst float64
	for j := range want.Weights {
		for k, v := range want.Weights[j] {
			worst = math.Max(worst, math.Abs(v-got.Weights[j][k])/math.Max(1, math.Abs(v)))
		}
	}
	assert.LessOrEqual(t, worst, tol, "%s: largest relative weight difference", name)
}

// The acceptance test without MPI: 10 LM iterations and 100
// mini-batch BP iterations on BodyFat, on 2 and 3 in-process participants
// each holding its own columns, equal the one-process run to 1e-12
// relative; every participant ends with the same bits; and each
// participant count repeats bit for bit.
func TestPartitionedRunsMatchOneProcess(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(21, 22)))
	bp := solvers.BP(solvers.Harmonic{C: 1})
	bp.Batches = solvers.FixedBatch(16) // small: some draws miss a participant entirely
	shuf := solvers.BP(solvers.Armijo{})
	shuf.Batches = solvers.Shuffled(40)
	shuf.Batches.Hold = 2
	cases := []struct {
		m    solvers.BSUM
		iter int
	}{
		{solvers.LM(), 10},
		{bp, 100},
		{shuf, 30},
		{solvers.LMHessian(), 4},
		{solvers.HessianFree(solvers.HFOptions{CurvatureFraction: 1}), 4},
	}
	for _, c := range cases {
		s := solvers.Settings{MaxIter: c.iter, Seed: 5, Shards: 1, Convergers: []solvers.Converger{solvers.RelativeChange{Tol: 1e-300, Window: 3}}}
		one, err := solvers.Minimize(context.Background(), net, data, w0, c.m, s)
		require.NoError(t, err, c.m.String())
		for _, size := range []int{2, 3} {
			name := fmt.Sprintf("%s on %d participants", c.m, size)
			got := parallelRun(t, net, data, nil, w0, c.m, s, size)
			for r := 1; r < size; r++ {
				assert.Equal(t, got[0].Weights, got[r].Weights, "%s: rank %d weights", name, r)
				assert.Equal(t, got[0].F, got[r].F, "%s: rank %d f", name, r)
			}
			closeWeights(t, one, got[0], 1e-12, name)
			again := parallelRun(t, net, data, nil, w0, c.m, s, size)
			sameRun(t, got[0], again[0], name+" again")
		}
	}
}

// A softmax classifier with a validation set and early stopping: the
// validation loss and accuracy are reduced across participants and the
// best weights agree with the one-process run.
func TestPartitionedValidationMatchesOneProcess(t *testing.T) {
	spec := models.MLP("tanh", 4, 6, 3)
	spec.Output, spec.Loss, spec.Bias = "identity", losses.NameSoftmaxCrossEntropy, true
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(31, 32))
	mk := func(n int) solvers.Data {
		d := solvers.Data{X: make([]float64, 4*n), Y: make([]float64, 3*n), N: n}
		for c := 0; c < n; c++ {
			k := rng.IntN(3)
			d.Y[k*n+c] = 1
			for i := 0; i < 4; i++ {
				d.X[i*n+c] = rng.NormFloat64() + float64(k*(i%2))
			}
		}
		return d
	}
	data, val := mk(90), mk(31)
	w0 := net.Init(rng)
	m := solvers.BP(solvers.Armijo{})
	m.Batches = solvers.FixedBatch(20)
	s := solvers.Settings{MaxIter: 40, Seed: 3, Shards: 1, FullEvalEvery: 5, Validation: &val, Patience: 3}
	one, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
	require.NoError(t, err)
	s.Validation = nil
	got := parallelRun(t, net, data, &val, w0, m, s, 3)
	closeWeights(t, one, got[0], 1e-12, "softmax with validation")
	assert.InDelta(t, one.ValMetric, got[0].ValMetric, 1e-12)
	if one.Best != nil {
		require.NotNil(t, got[0].Best)
		assert.Equal(t, one.Best.K, got[0].Best.K)
	}
}

// Rank 0's wall-clock and observer decisions bind every participant: an
// observer on rank 0 alone stops all of them at the same iteration.
func TestPartitionedRankZeroStops(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(1, 2)))
	reds := reducetest.New(2)
	res := make([]*solvers.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			lo, hi := graph.ShardRange(data.N, r, 2)
			s := solvers.Settings{MaxIter: 50, Partition: &solvers.Partition{Reducer: reds[r], Lo: lo, N: data.N}}
			if r == 0 {
				s.Callback = func(rec solvers.Record) error {
					if rec.K == 3 {
						return fmt.Errorf("enough")
					}
					return nil
				}
			}
			res[r], errs[r] = solvers.Minimize(context.Background(), net, columns(data, net.In(), lo, hi), w0, solvers.GD(1), s)
		}(r)
	}
	wg.Wait()
	for r := range res {
		require.NoError(t, errs[r])
		assert.Equal(t, solvers.CallbackStop, res[r].Status, "rank %d", r)
		assert.Len(t, res[r].History, 3, "rank %d", r)
	}
	assert.Equal(t, "enough", res[0].Reason)
	assert.Contains(t, res[1].Reason, "rank 0 stopped")
	assert.Equal(t, res[0].Weights, res[1].Weights)
}

// Ill-formed partitions and unsupported methods are refused on every
// participant.
func TestPartitionRefusals(t *testing.T) {
	net, data := bodyFat(t)
	jac := solvers.GD(1)
	jac.Blocks = solvers.Jacobi
	_, err := solvers.Minimize(context.Background(), net, data, nil, solvers.GD(1), solvers.Settings{MaxIter: 1, Partition: &solvers.Partition{Lo: 3, N: data.N}})
	require.ErrorIs(t, err, solvers.ErrSettings)
	reds := reducetest.New(2)
	cases := []struct {
		name string
		m    solvers.BSUM
		lo   [2]int
		n    int
		want error
	}{
		{"counts do not add up", solvers.GD(1), [2]int{0, 100}, 300, solvers.ErrSettings},
		{"jacobi", jac, [2]int{0, 126}, data.N, solvers.ErrMethod},
		{"outside", solvers.GD(1), [2]int{200, 126}, data.N, solvers.ErrSettings},
	}
	for _, c := range cases {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r := 0; r < 2; r++ {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				lo := c.lo[r]
				hi := min(lo+126, data.N)
				if lo >= data.N {
					lo, hi = 0, 126
				}
				_, errs[r] = solvers.Minimize(context.Background(), net, columns(data, net.In(), lo, hi), nil, c.m, solvers.Settings{MaxIter: 1, Partition: &solvers.Partition{Reducer: reds[r], Lo: c.lo[r], N: c.n}})
			}(r)
		}
		wg.Wait()
		for r := range errs {
			assert.ErrorIs(t, errs[r], c.want, "%s: rank %d", c.name, r)
		}
	}
}

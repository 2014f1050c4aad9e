package solvers

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/reducetest"
	"github.com/bsum-go/bsum/models"
)

// A data-parallel mini-batch run compiles one evaluator per local batch
// size it meets (plus the full evaluation's) and never compiles one twice
// while they fit under MaxPartitionPrograms; a run that meets more sizes
// keeps at most MaxPartitionPrograms.
func TestPartitionEvaluatorCache(t *testing.T) {
	spec := models.MLP("tanh", 3, 4, 1)
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 400
	x, y := make([]float64, 3*n), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	for _, c := range []struct {
		batches Batches
		iters   int
	}{
		{FixedBatch(24), 150},
		{GrowingBatch(), 2*MaxPartitionPrograms + 20},
	} {
		m := GD(1)
		m.Batches = c.batches
		reds := reducetest.New(2)
		runs := make([]*run, 2)
		var wg sync.WaitGroup
		for r := 0; r < 2; r++ {
			lo, hi := graph.ShardRange(n, r, 2)
			nl := hi - lo
			d := Data{X: make([]float64, 3*nl), Y: append([]float64(nil), y[lo:hi]...), N: nl}
			for i := 0; i < 3; i++ {
				copy(d.X[i*nl:(i+1)*nl], x[i*n+lo:i*n+hi])
			}
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				ru, err := newRun(net, d, nil, m, Settings{MaxIter: c.iters, Seed: 4, FullEvalEvery: 50, Shards: 1, Partition: &Partition{Reducer: reds[r], Lo: lo, N: n}})
				if !assert.NoError(t, err) {
					return
				}
				_, err = ru.run(context.Background())
				assert.NoError(t, err)
				runs[r] = ru
			}(r)
		}
		wg.Wait()
		for r, ru := range runs {
			require.NotNil(t, ru)
			assert.LessOrEqual(t, len(ru.par.evals), MaxPartitionPrograms, "rank %d", r)
			if c.batches.Growing {
				assert.Greater(t, ru.par.compiled, MaxPartitionPrograms, "rank %d: more sizes than the bound", r)
			} else {
				assert.Equal(t, len(ru.par.evals), ru.par.compiled, "rank %d: no evaluator compiled twice", r)
				assert.Less(t, ru.par.compiled, 26, "rank %d: at most one per local size 0…24 and the full set", r)
			}
		}
	}
}

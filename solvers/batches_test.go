package solvers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

func TestRecordEpoch(t *testing.T) {
	net, data := bodyFat(t) // N = 252
	n := float64(data.N)
	for _, tc := range []struct {
		name    string
		batches solvers.Batches
		want    func(k int) float64
	}{
		{"full batch", solvers.FullBatch(), func(k int) float64 { return float64(k) }},
		{"fixed", solvers.FixedBatch(50), func(k int) float64 { return float64(50*k) / n }},
		{"shuffled", solvers.Shuffled(100), func(k int) float64 { return float64(100*k) / n }},
		{"growing", solvers.GrowingBatch(), func(k int) float64 { return float64(k*(k+1)/2) / n }},
		{"held", solvers.Batches{Size: 60, Epochs: true, Hold: 4}, func(k int) float64 { return float64(60*((k+3)/4)) / n }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := solvers.GD(2)
			m.Batches = tc.batches
			res, err := solvers.Minimize(context.Background(), net, data, nil, m, solvers.Settings{MaxIter: 12, Seed: 1, FullEvalEvery: -1})
			require.NoError(t, err)
			require.Len(t, res.History, 12)
			for _, r := range res.History {
				assert.InDelta(t, tc.want(r.K), r.Epoch, 1e-12, "iteration %d", r.K)
			}
		})
	}
}

func TestBatchesValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		batches solvers.Batches
		ok      bool
	}{
		{"shuffled", solvers.Shuffled(32), true},
		{"held", solvers.Batches{Size: 32, Hold: 2}, true},
		{"negative size", solvers.Batches{Size: -1}, false},
		{"epochs without size", solvers.Batches{Epochs: true}, false},
		{"epochs and growing", solvers.Batches{Size: 4, Epochs: true, Growing: true}, false},
		{"negative hold", solvers.Batches{Size: 4, Hold: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := solvers.GD(1)
			m.Batches = tc.batches
			err := m.Validate()
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, solvers.ErrMethod)
			}
		})
	}
	assert.Equal(t, "B=32, epochs", solvers.Shuffled(32).String())
	assert.Equal(t, "B=32, epochs, held 2 iterations", solvers.Batches{Size: 32, Epochs: true, Hold: 2}.String())
}

// One Batches value (inside one BSUM) serves concurrent runs on one net:
// the permutation stream is per run, so each equals a lone run bit for bit.
func TestShuffledConcurrentRunsEqualLoneRun(t *testing.T) {
	_, data := bodyFat(t)
	m := solvers.BP(solvers.Armijo{})
	m.Batches = solvers.Batches{Size: 40, Epochs: true, Hold: 4}
	s := solvers.Settings{MaxIter: 25, Seed: 9, FullEvalEvery: 5}
	net, err := models.BodyFat().Net()
	require.NoError(t, err)
	w0 := net.Init(rand.New(rand.NewPCG(4, 4)))
	one := func() (*solvers.Result, error) {
		return solvers.Minimize(context.Background(), net, data, w0, m, s)
	}
	lone, err := one()
	require.NoError(t, err)
	results := make([]*solvers.Result, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i], errs[i] = one() })
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, lone.Weights, r.Weights, "run %d", i)
		require.Len(t, r.History, len(lone.History))
		for k := range r.History {
			assert.Equal(t, lone.History[k].F, r.History[k].F, "run %d iteration %d", i, k+1)
			assert.Equal(t, lone.History[k].Epoch, r.History[k].Epoch)
		}
	}
	assert.InDelta(t, 7*40/252.0, lone.Last().Epoch, 1e-12, "25 iterations hold 7 batches")
}

// Walking BodyFat (N = 252) in epochs of batches of 100: every batch has
// 100 columns (the partial third batch of each epoch is completed from the
// next epoch's permutation), and Record.Epoch counts samples seen / N.
func ExampleShuffled() {
	net, data := exampleBodyFat()
	m := solvers.BP(solvers.Armijo{})
	m.Batches = solvers.Shuffled(100)
	res, err := solvers.Minimize(context.Background(), net, data, nil, m, solvers.Settings{MaxIter: 6, Seed: 1, FullEvalEvery: -1})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Batches)
	for _, r := range res.History {
		fmt.Printf("k=%d B=%d epoch=%.3f\n", r.K, r.Batch, r.Epoch)
	}
	// Output:
	// B=100, epochs
	// k=1 B=100 epoch=0.397
	// k=2 B=100 epoch=0.794
	// k=3 B=100 epoch=1.190
	// k=4 B=100 epoch=1.587
	// k=5 B=100 epoch=1.984
	// k=6 B=100 epoch=2.381
}

func exampleBodyFat() (*graph.Net, solvers.Data) {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		panic(err)
	}
	net, err := models.BodyFat().Net()
	if err != nil {
		panic(err)
	}
	return net, solvers.Data{X: set.X, Y: set.Y, N: set.N}
}

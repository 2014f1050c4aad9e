package main

import (
	"context"
	"io"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/internal/reducetest"
)

// TestRanksMatchOneProcess runs the example as 2 and 3 data-parallel ranks
// (goroutines with an in-process Reducer, the code path mpirun takes): every
// rank reports the same test accuracies and training losses as the
// one-process run to 1e-12, only rank 0 writes files, and the test counts
// cover the whole test set.
func TestRanksMatchOneProcess(t *testing.T) {
	cfg := syntheticConfig(t)
	cfg.Methods = []string{"bp-recursive", "adagrad"}
	cfg.Epochs = 2
	one, err := run(context.Background(), cfg, io.Discard)
	require.NoError(t, err)
	for _, size := range []int{2, 3} {
		reds := reducetest.New(size)
		sums := make([]summary, size)
		errs := make([]error, size)
		var wg sync.WaitGroup
		for r := range size {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				c := cfg
				c.Out = t.TempDir()
				sums[r], errs[r] = runRanks(context.Background(), c, io.Discard, reds[r])
			}(r)
		}
		wg.Wait()
		for r := range size {
			require.NoError(t, errs[r], "rank %d of %d", r, size)
			assert.Equal(t, one.TrainN, sums[r].TrainN)
			assert.Equal(t, one.TestN, sums[r].TestN)
			require.Len(t, sums[r].Rows, len(one.Rows))
			for i, row := range sums[r].Rows {
				want := one.Rows[i]
				require.NoError(t, row.Err)
				require.Len(t, row.Points, len(want.Points))
				for e, p := range row.Points {
					assert.Equal(t, want.Points[e].TestAcc, p.TestAcc, "%d ranks, rank %d, %s epoch %d", size, r, row.Method, e)
					if e > 0 {
						assert.InDelta(t, want.Points[e].TrainLoss, p.TrainLoss, 1e-12*math.Abs(want.Points[e].TrainLoss), "%d ranks, rank %d, %s epoch %d", size, r, row.Method, e)
					}
				}
			}
			if r == 0 {
				assert.NotEmpty(t, sums[r].Files, "rank 0 writes the CSV and plots")
			} else {
				assert.Empty(t, sums[r].Files, "rank %d writes nothing", r)
			}
		}
	}
}

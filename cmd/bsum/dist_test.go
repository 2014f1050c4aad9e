package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/internal/mpi"
	"github.com/bsum-go/bsum/internal/reducetest"
	"github.com/bsum-go/bsum/models"
)

// Launched as one of several MPI ranks, predict refuses (it has no
// data-parallel mode), and so does train in a binary built without the tag
// mpi; both exit with the usage code 2 and say why.
func TestRefuseSeveralRanks(t *testing.T) {
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"predict", "--model", "none.json", "--data", "bodyfat"}, "predict runs as one process, but mpirun started 2 ranks"},
	}
	if !mpi.Available() {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"train", "--data", "bodyfat", "--iters", "1"}, "built without MPI support"})
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &out, &errb)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, errb.String())
		assert.Contains(t, errb.String(), c.want, "%v", c.args)
		assert.Empty(t, out.String(), "%v", c.args)
	}
}

// bsum train as 2 and 3 in-process ranks (goroutines with
// internal/reducetest, through the same code path as under mpirun): every
// rank loads its shard of BodyFat, rank 0 alone writes the model, and its
// weights equal the one-process run's to 1e-12 relative.
func TestTrainRanksInProcess(t *testing.T) {
	dir := t.TempDir()
	args := func(save string) []string {
		return []string{"train", "--data", "bodyfat", "--solver", "lm", "--iters", "10", "--seed", "3", "--shards", "1", "-q", "--save", save}
	}
	one := filepath.Join(dir, "one.json")
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), args(one), strings.NewReader(""), &out, &errb), errb.String())
	want, err := models.Load(one)
	require.NoError(t, err)
	for _, size := range []int{2, 3} {
		reds := reducetest.New(size)
		next := make(chan *distRun, size)
		for r := 0; r < size; r++ {
			next <- &distRun{red: reds[r], fatal: func(err error) { t.Errorf("rank fatal: %v", err) }, finish: func() error { return nil }}
		}
		testHookStartDist = func() (*distRun, error) { return <-next, nil }
		save := filepath.Join(dir, fmt.Sprintf("ranks%d.json", size))
		codes := make([]int, size)
		outs := make([]bytes.Buffer, size)
		var wg sync.WaitGroup
		for r := 0; r < size; r++ {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				var e bytes.Buffer
				codes[r] = run(context.Background(), args(save), strings.NewReader(""), &outs[r], &e)
			}(r)
		}
		wg.Wait()
		testHookStartDist = nil
		nonEmpty := 0
		for r := range codes {
			assert.Equal(t, 0, codes[r], "%d ranks: exit code", size)
			if outs[r].Len() > 0 {
				nonEmpty++
			}
		}
		assert.Equal(t, 1, nonEmpty, "%d ranks: one rank prints the summary", size)
		got, err := models.Load(save)
		require.NoError(t, err)
		assert.Equal(t, "252", got.Meta["train_rows"], "%d ranks: the summary counts all rows", size)
		for j := range want.Weights {
			for k, v := range want.Weights[j] {
				assert.InDelta(t, v, got.Weights[j][k], 1e-12*math.Max(1, math.Abs(v)), "%d ranks: W%d[%d]", size, j+1, k)
			}
		}
	}
}

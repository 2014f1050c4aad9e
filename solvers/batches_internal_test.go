package solvers

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
)

// indexedRun returns a run on a 2-1 network whose data carry the sample
// index in X's first row, so a bound batch tells which samples it holds.
func indexedRun(t *testing.T, n int, m BSUM, s Settings) *run {
	t.Helper()
	net, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		return layers.Dense(b, "W1", 1, x, layers.Identity()), b.Err()
	}, losses.L2())
	require.NoError(t, err)
	d := Data{X: make([]float64, 2*n), Y: make([]float64, n), N: n}
	for c := 0; c < n; c++ {
		d.X[c] = float64(c)
		d.X[n+c] = 1
		d.Y[c] = float64(c % 3)
	}
	r, err := newRun(net, d, nil, m, s)
	require.NoError(t, err)
	return r
}

// drawBatches binds iterations 1..iters and returns the sample indices of
// each batch, checking that Y moved with X.
func drawBatches(t *testing.T, r *run, iters int) [][]int {
	t.Helper()
	var out [][]int
	for k := r.s.StartIter; k < r.s.StartIter+iters; k++ {
		p, err := r.batch(k)
		require.NoError(t, err)
		x, y, err := p.BatchValues()
		require.NoError(t, err)
		b := p.Batch()
		idx := make([]int, b)
		for c := range idx {
			idx[c] = int(x[c])
			require.Equal(t, float64(idx[c]%3), y[c], "target of sample %d", idx[c])
			require.Equal(t, 1.0, x[b+c])
		}
		out = append(out, idx)
	}
	return out
}

func TestShuffledSeesEverySampleOncePerEpoch(t *testing.T) {
	for _, tc := range []struct{ n, b, epochs int }{
		{n: 12, b: 4, epochs: 3},   // b divides N
		{n: 10, b: 3, epochs: 4},   // partial last batch wraps
		{n: 7, b: 7, epochs: 3},    // one batch per epoch
		{n: 5, b: 8, epochs: 3},    // Size above N means N
		{n: 101, b: 16, epochs: 5}, // many wraps
		{n: 1, b: 1, epochs: 2},
	} {
		t.Run(fmt.Sprintf("N=%d,B=%d", tc.n, tc.b), func(t *testing.T) {
			b := min(tc.b, tc.n)
			iters := (tc.epochs*tc.n + b - 1) / b
			m := GD(1)
			m.Batches = Shuffled(tc.b)
			r := indexedRun(t, tc.n, m, Settings{Seed: 3})
			batches := drawBatches(t, r, iters)
			var stream []int
			for _, bt := range batches {
				require.Len(t, bt, b, "every batch has the fixed size")
				stream = append(stream, bt...)
			}
			assert.Equal(t, iters*b, r.drawn)
			for e := 0; (e+1)*tc.n <= len(stream); e++ {
				window := slices.Clone(stream[e*tc.n : (e+1)*tc.n])
				slices.Sort(window)
				for c, v := range window {
					require.Equal(t, c, v, "epoch %d is a permutation of 0…N−1", e)
				}
			}
			if tc.n >= 3 {
				assert.NotEqual(t, stream[:tc.n], stream[tc.n:2*tc.n], "each epoch draws a fresh permutation")
			}
		})
	}
}

func TestShuffledIsReproducibleAndMethodIndependent(t *testing.T) {
	draw := func(seed uint64, blocks BlockRule) [][]int {
		m := GD(1)
		m.Blocks, m.Batches = blocks, Shuffled(3)
		return drawBatches(t, indexedRun(t, 10, m, Settings{Seed: seed}), 9)
	}
	a := draw(5, Cyclic)
	assert.Equal(t, a, draw(5, Cyclic), "same seed, same batches")
	assert.Equal(t, a, draw(5, Random), "the permutation stream is the run's own: block selection does not shift it")
	assert.NotEqual(t, a, draw(6, Cyclic), "another seed, other batches")
}

func TestBatchHold(t *testing.T) {
	for _, tc := range []struct {
		name    string
		batches Batches
		start   int
	}{
		{"shuffled", Batches{Size: 3, Epochs: true, Hold: 2}, 1},
		{"fixed", Batches{Size: 3, Hold: 2}, 1},
		{"resumed", Batches{Size: 3, Epochs: true, Hold: 2}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := GD(1)
			m.Batches = tc.batches
			r := indexedRun(t, 10, m, Settings{Seed: 1, StartIter: tc.start, MaxIter: tc.start + 10})
			got := drawBatches(t, r, 6)
			for i := 0; i < 6; i += 2 {
				assert.Equal(t, got[i], got[i+1], "iterations %d and %d share a batch", tc.start+i, tc.start+i+1)
			}
			assert.NotEqual(t, got[0], got[2])
			assert.Equal(t, 9, r.drawn, "a held batch counts once")
		})
	}
}

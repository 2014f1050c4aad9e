package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// The running mean equals the hand-computed arithmetic mean and leaves
// its inputs alone; shape changes are errors.
func TestTailAverage(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  []graph.Weights
		want graph.Weights
	}{
		{"one", []graph.Weights{{{1, -2}, {3}}}, graph.Weights{{1, -2}, {3}}},
		{"two", []graph.Weights{{{1, 2}, {3}}, {{3, 4}, {-3}}}, graph.Weights{{2, 3}, {0}}},
		{"four", []graph.Weights{{{4, 0}}, {{2, 0}}, {{0, 2}}, {{0, 2}}}, graph.Weights{{1.5, 1}}},
		{"constant", []graph.Weights{{{0.1}}, {{0.1}}, {{0.1}}}, graph.Weights{{0.1}}},
		{"three", []graph.Weights{{{1}, {0}}, {{2}, {0}}, {{6}, {3}}}, graph.Weights{{3}, {1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a tailAverage
			var kept []graph.Weights
			for _, w := range tc.seq {
				kept = append(kept, w.Clone())
				require.NoError(t, a.add(w))
			}
			assert.Equal(t, len(tc.seq), a.n)
			require.Len(t, a.mean, len(tc.want))
			for j := range tc.want {
				assert.InDeltaSlice(t, tc.want[j], a.mean[j], 1e-15, "block %d", j)
			}
			assert.Equal(t, kept, tc.seq, "the inputs are not written")
			tc.seq[0][0][0] = 1e9
			assert.InDeltaSlice(t, tc.want[0], a.mean[0], 1e-15, "the mean is a copy")
		})
	}
	var a tailAverage
	require.NoError(t, a.add(graph.Weights{{1, 2}, {3}}))
	assert.ErrorContains(t, a.add(graph.Weights{{1, 2}}), "1 blocks, want 2")
	assert.ErrorContains(t, a.add(graph.Weights{{1, 2}, {3, 4}}), "block 1 has 2 weights, want 1")
	assert.Equal(t, 1, a.n, "a rejected add changes nothing")
}

// The observer averages the weights at sweep ends from epoch AverageFrom
// on and reports the mean's test accuracy beside the raw one.
func TestEpochObserverAverages(t *testing.T) {
	net, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		return layers.Linear(b, "W1", 2, x), b.Err()
	}, losses.SoftmaxCrossEntropy())
	require.NoError(t, err)
	// As in TestEpochObserver: the identity predicts 0, 1, 0, 1 against
	// labels 0, 1, 1, 1 (0.75), the swap 1, 0, 1, 0 (0.25).
	test := &dataset.Set{X: []float64{2, 0, 5, 1, 1, 3, 0, 4}, Y: []float64{1, 0, 0, 0, 0, 1, 1, 1}, In: 2, Out: 2, N: 4}
	// Sweep ends (even k) get these weights; odd k a large swap that must
	// never enter the average.
	sweeps := []graph.Weights{{{4, 0, 0, 4}}, {{2, 0, 0, 2}}, {{0, 2, 2, 0}}, {{0, 2, 2, 0}}}
	odd := graph.Weights{{0, 100, 100, 0}}
	for _, tc := range []struct {
		name    string
		from    int
		n       int
		mean    []float64
		avgAcc  float64
		logPart string
	}{
		// Batches of 3 of N = 10 held for 2: epochs 0.3, 0.3, 0.6, 0.6,
		// 0.9, 0.9, 1.2, 1.2; epoch 1 is reported at k = 8.
		{"from 1: every sweep", 1, 4, []float64{1.5, 1, 1, 1.5}, 0.75, "averaged 0.7500 (4 iterates)"},
		{"from 2: sweeps past epoch 1", 2, 1, []float64{0, 2, 2, 0}, 0.25, "averaged 0.2500 (1 iterates)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			o, err := newEpochObserver(net, test, 2, &log, nil)
			require.NoError(t, err)
			o.avg, o.avgFrom = &tailAverage{}, tc.from
			for k := 1; k <= 8; k++ {
				w := odd
				if k%2 == 0 {
					w = sweeps[k/2-1]
				}
				before := w.Clone()
				require.NoError(t, o.Observe(solvers.Record{K: k, F: 1, Epoch: float64(3*((k+1)/2)) / 10}, w))
				assert.Equal(t, before, w, "k=%d: the run's weights are not written", k)
			}
			assert.Equal(t, tc.n, o.avg.n)
			assert.InDeltaSlice(t, tc.mean, o.avg.mean[0], 1e-15)
			require.Len(t, o.points, 1)
			assert.Equal(t, 0.25, o.points[0].TestAcc, "raw weights at k = 8: the swap")
			assert.Equal(t, tc.avgAcc, o.points[0].AvgTestAcc)
			assert.Contains(t, log.String(), tc.logPart)
		})
	}
	o, err := newEpochObserver(net, test, 2, io.Discard, nil)
	require.NoError(t, err)
	o.avg, o.avgFrom = &tailAverage{}, 3
	require.NoError(t, o.start(sweeps[0]))
	for k := 1; k <= 8; k++ {
		require.NoError(t, o.Observe(solvers.Record{K: k, F: 1, Epoch: float64(3*((k+1)/2)) / 10}, sweeps[0]))
	}
	require.Len(t, o.points, 2)
	assert.True(t, math.IsNaN(o.points[0].AvgTestAcc), "start: nothing averaged")
	assert.True(t, math.IsNaN(o.points[1].AvgTestAcc), "epoch 1 is before epoch 3")
	assert.Zero(t, o.avg.n)
}

// Averaging is the observer's alone: the runs with and without it end at
// bitwise identical weights with identical histories and raw accuracies.
func TestAveragingLeavesRunAlone(t *testing.T) {
	cfg := syntheticConfig(t)
	cfg.Methods = []string{"bp-recursive", "bp-armijo"}
	cfg.Seeds = []uint64{1, 2}
	plain, err := run(context.Background(), cfg, io.Discard)
	require.NoError(t, err)
	cfg.AverageFrom = 2
	var out bytes.Buffer
	avg, err := run(context.Background(), cfg, &out)
	require.NoError(t, err)
	require.Len(t, avg.Rows, len(plain.Rows))
	for i, a := range avg.Rows {
		p := plain.Rows[i]
		require.NoError(t, a.Err)
		require.NoError(t, p.Err)
		require.Len(t, a.Result.Weights, len(p.Result.Weights))
		for j := range p.Result.Weights {
			require.Len(t, a.Result.Weights[j], len(p.Result.Weights[j]))
			for q, v := range p.Result.Weights[j] {
				require.Equal(t, math.Float64bits(v), math.Float64bits(a.Result.Weights[j][q]), "%s seed %d: W%d[%d]", a.Method, a.Seed, j+1, q)
			}
		}
		require.Len(t, a.Result.History, len(p.Result.History))
		for k := range p.Result.History {
			require.Equal(t, math.Float64bits(p.Result.History[k].F), math.Float64bits(a.Result.History[k].F), "%s: record %d", a.Method, k)
		}
		assert.Equal(t, p.Result.Certified, a.Result.Certified)
		require.Len(t, a.Points, len(p.Points))
		for e, pt := range a.Points {
			assert.Equal(t, p.Points[e].TestAcc, pt.TestAcc, "%s epoch %d: raw accuracy", a.Method, e)
			assert.True(t, math.IsNaN(p.Points[e].AvgTestAcc), "no averaging without the flag")
			if e < cfg.AverageFrom-1 {
				assert.True(t, math.IsNaN(pt.AvgTestAcc), "%s epoch %d: before averaging", a.Method, e)
			} else {
				assert.True(t, pt.AvgTestAcc >= 0 && pt.AvgTestAcc <= 1, "%s epoch %d: averaged %v", a.Method, e, pt.AvgTestAcc)
			}
		}
		assert.False(t, math.IsNaN(a.finalAvgAcc()))
	}
	assert.Contains(t, out.String(), "mean weights after every batch from epoch 2")
	assert.Contains(t, out.String(), "averaged")
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// writeFakeFashion writes the four Fashion-MNIST IDX files to dir with
// nTrain and nTest 28×28 images of an easy task: class k lights rows
// 2k+4 and 2k+5 on top of uniform noise.
func writeFakeFashion(t *testing.T, dir string, nTrain, nTest int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	write := func(name string, a *dataset.IDX) {
		f, err := os.Create(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, dataset.WriteIDX(f, a))
		require.NoError(t, f.Close())
	}
	for _, set := range []struct {
		images, labels string
		n              int
	}{
		{dataset.FashionMNISTTrainImages, dataset.FashionMNISTTrainLabels, nTrain},
		{dataset.FashionMNISTTestImages, dataset.FashionMNISTTestLabels, nTest},
	} {
		img := &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{set.n, 28, 28}, Data: make([]byte, set.n*784)}
		lbl := &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{set.n}, Data: make([]byte, set.n)}
		for i := 0; i < set.n; i++ {
			k := rng.IntN(10)
			lbl.Data[i] = byte(k)
			px := img.Data[i*784 : (i+1)*784]
			for p := range px {
				px[p] = byte(rng.IntN(60))
			}
			for r := 2*k + 4; r <= 2*k+5; r++ {
				for c := 4; c < 24; c++ {
					px[r*28+c] = 200 + byte(rng.IntN(56))
				}
			}
		}
		write(set.images, img)
		write(set.labels, lbl)
	}
}

func syntheticConfig(t *testing.T) config {
	dir := t.TempDir()
	writeFakeFashion(t, dir, 240, 100)
	cfg := defaultConfig()
	cfg.Data, cfg.Out = dir, t.TempDir()
	cfg.Epochs, cfg.Batch, cfg.Width = 3, 32, 16
	return cfg
}

// Every method trains on generated IDX files, reports one point per
// epoch with consistent times, and the files are written.
func TestRunOnSyntheticData(t *testing.T) {
	cfg := syntheticConfig(t)
	cfg.Seeds = []uint64{1, 2}
	cfg.Methods = append(cfg.Methods, "hf")
	var out bytes.Buffer
	sum, err := run(context.Background(), cfg, &out)
	require.NoError(t, err)
	assert.Equal(t, 240, sum.TrainN)
	assert.Equal(t, 100, sum.TestN)
	require.Len(t, sum.Rows, len(cfg.Methods)*len(cfg.Seeds))
	points := 0
	for _, r := range sum.Rows {
		require.NoError(t, r.Err, r.Method)
		require.Len(t, r.Points, cfg.Epochs+1, r.Method)
		points += len(r.Points)
		assert.Zero(t, r.Points[0].Epoch)
		assert.Zero(t, r.Points[0].Train)
		assert.Less(t, r.Points[0].TestAcc, 0.5, "%s: the start is not trained", r.Method)
		for e, p := range r.Points[1:] {
			assert.GreaterOrEqual(t, p.Epoch, float64(e+1), "%s: point %d ends epoch %d", r.Method, e, e+1)
			assert.Less(t, p.Epoch, float64(e+1)+float64(cfg.Batch)/240+1e-9, "%s: reported at the first sweep past the boundary", r.Method)
			assert.Zero(t, p.K%2, "%s: epochs end with a sweep of both blocks", r.Method)
			assert.LessOrEqual(t, p.Train, p.Wall)
			assert.True(t, p.TestAcc >= 0 && p.TestAcc <= 1)
			assert.False(t, math.IsNaN(p.TrainLoss) || math.IsInf(p.TrainLoss, 0))
			assert.Greater(t, p.Train, r.Points[e].Train)
		}
		if r.Method == "bp-armijo" || r.Method == "lm-small" {
			assert.GreaterOrEqual(t, r.finalAcc(), 0.9, "%s seed %d learns the easy task", r.Method, r.Seed)
		}
	}
	for _, f := range sum.Files {
		st, err := os.Stat(f)
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(100), f)
	}
	f, err := os.Open(filepath.Join(cfg.Out, "epochs.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, points+1)
	assert.Equal(t, []string{"method", "seed", "epoch", "iteration", "train_loss", "test_accuracy", "train_seconds", "wall_seconds", "avg_test_accuracy"}, recs[0])
	assert.Equal(t, "NaN", recs[1][8], "no averaging by default")
	assert.Contains(t, out.String(), "summary")
	assert.Contains(t, out.String(), "BLAS:")
}

// The same seed gives the same batches, weights and accuracies.
func TestRunIsReproducible(t *testing.T) {
	cfg := syntheticConfig(t)
	cfg.Methods = []string{"bp-armijo", "adagrad"}
	accs := func() [][]float64 {
		sum, err := run(context.Background(), cfg, io.Discard)
		require.NoError(t, err)
		var a [][]float64
		for _, r := range sum.Rows {
			var v []float64
			v = append(v, r.Points[0].TestAcc) // the start has no training loss
			for _, p := range r.Points[1:] {
				v = append(v, p.TestAcc, p.TrainLoss)
			}
			a = append(a, v)
		}
		return a
	}
	assert.Equal(t, accs(), accs())
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config)
		want string
	}{
		{"epochs", func(c *config) { c.Epochs = 0 }, "-epochs"},
		{"batch", func(c *config) { c.Batch = 0 }, "-batch"},
		{"hidden", func(c *config) { c.Hidden = "softsign" }, "-hidden"},
		{"method", func(c *config) { c.Methods = []string{"sgd"} }, "unknown method"},
		{"blocks", func(c *config) { c.Blocks = "diagonal" }, "block rule"},
		{"sizes", func(c *config) { c.TrainN = -1 }, "negative"},
		{"gamma", func(c *config) { c.Gamma = 0 }, "-gamma"},
		{"recursive T", func(c *config) { c.RecT = 1 }, "-rec-t"},
		{"recursive α0", func(c *config) { c.RecAlpha0 = 1.5 }, "-rec-alpha0"},
		{"recursive α0 zero", func(c *config) { c.RecAlpha0 = 0 }, "-rec-alpha0"},
		{"armijo σ", func(c *config) { c.ArmijoSigma = 1 }, "-armijo-sigma"},
		{"average negative", func(c *config) { c.AverageFrom = -1 }, "-average-from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			tc.edit(&cfg)
			assert.ErrorContains(t, cfg.validate(), tc.want)
		})
	}
	assert.NoError(t, defaultConfig().validate())
}

// The data folder comes from the flag; a missing one says how to install.
func TestMissingData(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data, cfg.Out = t.TempDir(), t.TempDir()
	_, err := run(context.Background(), cfg, io.Discard)
	require.ErrorIs(t, err, dataset.ErrNotInstalled)
	assert.ErrorContains(t, err, dataset.FashionMNISTInstall)
}

func TestTimeToAndSecondsPerEpoch(t *testing.T) {
	r := runRow{Points: []epochPoint{
		{Epoch: 1.02, TestAcc: 0.80, Train: 2 * time.Second},
		{Epoch: 2.01, TestAcc: 0.86, Train: 4 * time.Second},
		{Epoch: 3.0, TestAcc: 0.85, Train: 6 * time.Second},
	}}
	for _, tc := range []struct {
		acc, want float64
	}{{0.5, 2}, {0.80, 2}, {0.85, 4}, {0.86, 4}, {0.88, math.NaN()}} {
		got := r.timeTo(tc.acc)
		if math.IsNaN(tc.want) {
			assert.True(t, math.IsNaN(got), "acc %g", tc.acc)
		} else {
			assert.Equal(t, tc.want, got, "acc %g", tc.acc)
		}
	}
	assert.InDelta(t, 2.0, r.secondsPerEpoch(), 1e-12)
	assert.Equal(t, 0.85, r.finalAcc())
	assert.True(t, math.IsNaN(runRow{}.secondsPerEpoch()))
	assert.True(t, math.IsNaN(runRow{Points: []epochPoint{{TestAcc: 0.1}}}.secondsPerEpoch()), "only the start")
}

// A 2-2 linear net with identity weights predicts the larger input: the
// observer's accuracy, loss mean and epoch boundaries are checked by hand.
func TestEpochObserver(t *testing.T) {
	net, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		return layers.Linear(b, "W1", 2, x), b.Err()
	}, losses.SoftmaxCrossEntropy())
	require.NoError(t, err)
	// Four samples, columns (x0, x1): predictions 0, 1, 0, 1; labels 0, 1, 1, 1.
	test := &dataset.Set{X: []float64{2, 0, 5, 1, 1, 3, 0, 4}, Y: []float64{1, 0, 0, 0, 0, 1, 1, 1}, In: 2, Out: 2, N: 4}
	var log bytes.Buffer
	o, err := newEpochObserver(net, test, 2, &log, nil)
	require.NoError(t, err)
	w := graph.Weights{{1, 0, 0, 1}}
	// Batches of 3 of N = 10 held for 2 iterations: epochs 0.3, 0.3, 0.6, …
	for k := 1; k <= 8; k++ {
		epoch := float64(3*((k+1)/2)) / 10
		require.NoError(t, o.Observe(solvers.Record{K: k, F: float64(k), Epoch: epoch, Elapsed: time.Duration(k) * time.Second}, w))
	}
	// Epoch 1 is crossed by the 4th batch (1.2), at k = 7, and reported
	// when its sweep ends, at k = 8.
	require.Len(t, o.points, 1)
	p := o.points[0]
	assert.Equal(t, 8, p.K)
	assert.InDelta(t, 1.2, p.Epoch, 1e-12)
	assert.Equal(t, 0.75, p.TestAcc)
	assert.InDelta(t, 4.5, p.TrainLoss, 1e-12, "mean of F over k = 1…8")
	assert.Equal(t, 8*time.Second, p.Train, "no evaluation before the first report")
	assert.Contains(t, log.String(), "test accuracy 0.7500")
	// The evaluation time of the first report is left out of the next one.
	firstEval := o.evalTime
	assert.Positive(t, firstEval)
	require.NoError(t, o.Observe(solvers.Record{K: 9, F: 1, Epoch: 1.5, Elapsed: 9 * time.Second}, w))
	o.Finish(&solvers.Result{History: []solvers.Record{{K: 9, Epoch: 1.5, Elapsed: 9 * time.Second}}, Weights: w})
	require.Len(t, o.points, 2, "a run ending between boundaries gets a last point")
	assert.Equal(t, 9*time.Second-firstEval, o.points[1].Train)
	assert.Equal(t, 9*time.Second, o.points[1].Wall)
	o.Finish(&solvers.Result{History: []solvers.Record{{K: 9, Epoch: 1.5}}, Weights: w})
	assert.Len(t, o.points, 2, "nothing new to report")

	o0, err := newEpochObserver(net, test, 1, io.Discard, nil)
	require.NoError(t, err)
	require.NoError(t, o0.start(graph.Weights{{0, 1, 1, 0}})) // swapped: predictions 1, 0, 1, 0
	require.Len(t, o0.points, 1)
	assert.Equal(t, 0.25, o0.points[0].TestAcc, "only sample 2 (label 1) is right")
	assert.Zero(t, o0.points[0].Epoch)
	assert.True(t, math.IsNaN(o0.points[0].TrainLoss))
}

func TestPerBlock(t *testing.T) {
	ada := &surrogate.AdaGrad{Eta: 0.1}
	lm := &surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Solver: surrogate.CG, Adaptive: &surrogate.Damping{}}
	pb := &perBlock{Small: lm, Large: ada, MaxSmall: 6}
	n := pb.Needs()
	assert.True(t, n.GaussNewton, "union of the needs")
	assert.True(t, n.Eval)
	assert.False(t, n.Hessian)
	assert.Contains(t, pb.Name(), "≤6")
	for _, tc := range []struct {
		rows, cols int
		want       surrogate.Surrogate
	}{{2, 3, lm}, {1, 6, lm}, {2, 4, ada}} {
		p := fakeProblem{blk: graph.Block{Name: "W", Rows: tc.rows, Cols: tc.cols}}
		assert.Same(t, tc.want, pb.pick(p), "%d×%d", tc.rows, tc.cols)
	}
	pb.Reset(2) // forwarded to both stateful parts: must not panic
}

type fakeProblem struct {
	surrogate.Problem
	blk graph.Block
}

func (p fakeProblem) Block() graph.Block { return p.blk }

// -quick on the installed Debian package: skipped when it is absent or
// under -short.
func TestQuickOnInstalledData(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real data for a few seconds")
	}
	if _, _, err := dataset.FashionMNIST(dataset.FashionMNISTOptions{TrainN: 1, TestN: 1}); errors.Is(err, dataset.ErrNotInstalled) {
		t.Skipf("Fashion-MNIST is not installed: %v", err)
	}
	cfg := defaultConfig()
	cfg.Epochs, cfg.TrainN, cfg.TestN, cfg.Out = 1, 2000, 1000, t.TempDir()
	var out bytes.Buffer
	sum, err := run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	require.Len(t, sum.Rows, len(cfg.Methods))
	for _, r := range sum.Rows {
		require.NoError(t, r.Err)
		require.Len(t, r.Points, 2)
		assert.Greater(t, r.finalAcc(), 0.3, "%s beats chance (0.1) after one epoch of 2,000 images", r.Method)
	}
	assert.True(t, strings.Contains(out.String(), "2000 training, 1000 test images"))
}

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []uint64
		ok   bool
	}{
		{"1", []uint64{1}, true},
		{"1,2, 3", []uint64{1, 2, 3}, true},
		{" 7 ,", []uint64{7}, true},
		{"", nil, false},
		{",", nil, false},
		{"1,x", nil, false},
		{"-1", nil, false},
	} {
		got, err := parseSeeds(tc.in)
		if tc.ok {
			require.NoError(t, err, tc.in)
			assert.Equal(t, tc.want, got, tc.in)
		} else {
			assert.Error(t, err, tc.in)
		}
	}
}

// FuzzParseSeeds: parsing never panics, and what parses prints back to a
// list that parses to the same seeds.
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"1", "1,2,3", " 4 , 5 ,", "", "x", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seeds, err := parseSeeds(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, seeds)
		parts := make([]string, len(seeds))
		for i, v := range seeds {
			parts[i] = fmt.Sprint(v)
		}
		again, err := parseSeeds(strings.Join(parts, ","))
		require.NoError(t, err)
		assert.Equal(t, seeds, again)
	})
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want func(*config)
		err  string
	}{
		{"defaults", nil, func(*config) {}, ""},
		{"quick", []string{"-quick"}, func(c *config) { c.Epochs, c.TrainN, c.TestN = 1, 2000, 1000 }, ""},
		{"quick keeps explicit sizes", []string{"-quick", "-epochs", "3", "-train-n", "500"},
			func(c *config) { c.Epochs, c.TrainN, c.TestN = 3, 500, 1000 }, ""},
		{"preset", []string{"-preset", "recommended"}, func(c *config) {
			c.Methods, c.Standardize, c.RecAlpha0, c.RecT, c.Epochs = []string{"bp-recursive", "adagrad"}, true, 0.2, 2.5e-3, 30
			c.AverageFrom, c.Blocks, c.Tikhonov = 16, "reverse-cyclic", 1e-4
		}, ""},
		{"explicit flags win over the preset", []string{"-epochs", "2", "-preset", "recommended", "-methods", "adagrad", "-standardize=false", "-blocks", "cyclic"},
			func(c *config) {
				c.Methods, c.RecAlpha0, c.RecT, c.Epochs, c.AverageFrom, c.Tikhonov = []string{"adagrad"}, 0.2, 2.5e-3, 2, 16, 1e-4
			}, ""},
		{"explicit -average-from 0 turns the preset's off", []string{"-preset", "recommended", "-average-from", "0"}, func(c *config) {
			c.Methods, c.Standardize, c.RecAlpha0, c.RecT, c.Epochs = []string{"bp-recursive", "adagrad"}, true, 0.2, 2.5e-3, 30
			c.Blocks, c.Tikhonov = "reverse-cyclic", 1e-4
		}, ""},
		{"preset and quick", []string{"-preset", "recommended", "-quick"}, func(c *config) {
			c.Methods, c.Standardize, c.RecAlpha0, c.RecT, c.AverageFrom = []string{"bp-recursive", "adagrad"}, true, 0.2, 2.5e-3, 16
			c.Epochs, c.TrainN, c.TestN, c.Blocks, c.Tikhonov = 1, 2000, 1000, "reverse-cyclic", 1e-4
		}, ""},
		{"seeds", []string{"-seeds", "1,2,3"}, func(c *config) { c.Seeds = []uint64{1, 2, 3} }, ""},
		{"unknown preset", []string{"-preset", "fastest"}, nil, "-preset"},
		{"bad seeds", []string{"-seeds", "x"}, nil, "seed"},
		{"empty methods", []string{"-methods", ","}, nil, "empty list"},
		{"stray argument", []string{"-epochs", "2", "extra"}, nil, "unexpected"},
		{"unknown flag", []string{"-learning-rate", "1"}, nil, "not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.args, io.Discard)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			want := defaultConfig()
			tc.want(&want)
			assert.Equal(t, want, got)
			assert.NoError(t, got.validate())
		})
	}
}

// Every preset names real flags with values they accept, gives a valid
// configuration, and its certified methods are certified.
func TestPresets(t *testing.T) {
	require.NotEmpty(t, presets)
	for name := range presets {
		cfg, err := parseFlags([]string{"-preset", name}, io.Discard)
		require.NoError(t, err, name)
		require.NoError(t, cfg.validate(), name)
		for _, m := range cfg.Methods {
			bsum := methods[m](cfg)
			assert.Equal(t, m != "adagrad", bsum.Certified(), "%s: %s", name, m)
		}
	}
}

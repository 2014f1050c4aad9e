package main

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// writeFashionIDX writes a tiny Fashion-MNIST look-alike (plain IDX files
// of nTrain and nTest 28×28 images, labels 0…9 in turn) into a new folder
// and returns it. Each class lights its own band of rows, plus a
// sample-dependent speckle, so the classes are learnable.
func writeFashionIDX(t *testing.T, nTrain, nTest int) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, n, offset int) {
		img := &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{n, 28, 28}, Data: make([]byte, n*784)}
		lbl := &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{n}, Data: make([]byte, n)}
		for j := range n {
			k := (j + offset) % 10
			lbl.Data[j] = byte(k)
			for r := range 28 {
				for c := range 28 {
					v := (j*31 + r*7 + c*13) % 60
					if r/3 == k {
						v += 180
					}
					img.Data[j*784+r*28+c] = byte(v)
				}
			}
		}
		for _, f := range []struct {
			path string
			a    *dataset.IDX
		}{{name + "-images-idx3-ubyte", img}, {name + "-labels-idx1-ubyte", lbl}} {
			file, err := os.Create(filepath.Join(dir, f.path))
			require.NoError(t, err)
			require.NoError(t, dataset.WriteIDX(file, f.a))
			require.NoError(t, file.Close())
		}
	}
	write("train", nTrain, 0)
	write("t10k", nTest, 3)
	return dir
}

// controlExitCases are the exit-code rows of the run-control, Fashion-MNIST
// and hint flags (part of TestExitCodes' table).
func controlExitCases(t *testing.T, dir, model string) []exitCase {
	t.Helper()
	fm := writeFashionIDX(t, 30, 20)
	empty := t.TempDir()
	fmModel := filepath.Join(dir, "fashion.json")
	r := runInProcess(t, context.Background(), "train", "--data", "fashion-mnist", "--data-dir", fm, "--arch", "784-10", "--solver", "adagrad", "--iters", "4", "--save", fmModel)
	require.Equal(t, 0, r.code, r.stderr)
	train := func(extra ...string) []string {
		return append([]string{"train", "--data", "bodyfat", "--iters", "2", "--quiet"}, extra...)
	}
	fashion := func(extra ...string) []string {
		return append([]string{"train", "--data", "fashion-mnist", "--data-dir", fm, "--iters", "2", "--quiet"}, extra...)
	}
	return []exitCase{
		// 0: success.
		{name: "validation and patience", args: train("--val-frac", "0.2", "--patience", "3"), code: 0, want: []string{"validation:  50 of 252 rows held out", "weights:     iteration"}},
		{name: "log every", args: train("--log-every", "1"), code: 0, want: []string{"status:      iteration limit"}},
		{name: "fashion train", args: fashion("--arch", "784-10", "--solver", "adagrad"), code: 0, want: []string{"test accuracy:", "Ankle boot"}},
		{name: "fashion predict", args: []string{"predict", "--model", fmModel, "--data", "fashion-mnist", "--data-dir", fm}, code: 0, want: []string{"test accuracy:", "confusion"}},

		// 2: bad invocation.
		{name: "val-frac zero", args: train("--val-frac", "0"), code: 2, want: []string{"--val-frac", "between 0 and 1"}},
		{name: "val-frac one", args: train("--val-frac", "1"), code: 2, want: []string{"--val-frac", "between 0 and 1"}},
		{name: "val-frac negative", args: train("--val-frac=-0.2"), code: 2, want: []string{"--val-frac", "-0.2"}},
		{name: "val-frac NaN", args: train("--val-frac", "nan"), code: 2, want: []string{"--val-frac", "NaN"}},
		{name: "patience negative", args: train("--val-frac", "0.2", "--patience=-1"), code: 2, want: []string{"--patience", "≥ 0"}},
		{name: "patience without validation", args: train("--patience", "5"), code: 2, want: []string{"--patience 5", "--val-frac"}},
		{name: "goal negative", args: train("--goal=-1"), code: 2, want: []string{"--goal", "≥ 0"}},
		{name: "goal NaN", args: train("--goal", "nan"), code: 2, want: []string{"--goal", "finite"}},
		{name: "goal infinite", args: train("--goal", "inf"), code: 2, want: []string{"--goal", "finite"}},
		{name: "ftol negative", args: train("--ftol=-1e-6"), code: 2, want: []string{"--ftol", "0 ≤ T < 1"}},
		{name: "ftol one", args: train("--ftol", "1"), code: 2, want: []string{"--ftol", "stop at once"}},
		{name: "ftol NaN", args: train("--ftol", "nan"), code: 2, want: []string{"--ftol"}},
		{name: "gtol negative", args: train("--gtol=-1"), code: 2, want: []string{"--gtol", "≥ 0"}},
		{name: "gtol infinite", args: train("--gtol", "inf"), code: 2, want: []string{"--gtol", "finite"}},
		{name: "gamma-max zero", args: train("--gamma-max", "0"), code: 2, want: []string{"--gamma-max", "> 0"}},
		{name: "gamma-max negative", args: train("--gamma-max=-3"), code: 2, want: []string{"--gamma-max", "> 0"}},
		{name: "gamma-max NaN", args: train("--gamma-max", "nan"), code: 2, want: []string{"--gamma-max"}},
		{name: "eval-every zero", args: train("--eval-every", "0"), code: 2, want: []string{"--eval-every", "at least 1"}},
		{name: "log-every negative", args: train("--log-every=-1"), code: 2, want: []string{"--log-every", "≥ 0"}},
		{name: "log-every not a number", args: train("--log-every", "often"), code: 2, want: []string{"--log-every", "often"}},
		{name: "train-n without fashion", args: train("--train-n", "100"), code: 2, want: []string{"--train-n", "fashion-mnist"}},
		{name: "data-dir without fashion", args: train("--data-dir", fm), code: 2, want: []string{"--data-dir", "fashion-mnist"}},
		{name: "fashion negative train-n", args: fashion("--arch", "784-10", "--train-n=-5"), code: 2, want: []string{"--train-n", "≥ 0"}},
		{name: "fashion with target", args: fashion("--arch", "784-10", "--target", "y"), code: 2, want: []string{"fixed features", "--target"}},
		{name: "fashion missing arch", args: fashion(), code: 2, want: []string{"missing --arch", "784-256-10"}},
		{name: "fashion arch mismatch", args: fashion("--arch", "784-10-3"), code: 2, want: []string{"last size is 3", "10 targets", "T-shirt/top"}},
		{name: "fashion not installed", args: fashion("--arch", "784-10", "--data-dir", empty), code: 2, want: []string{"apt-get install -y dataset-fashion-mnist", empty}},
		{name: "fashion loss for other labels", args: fashion("--arch", "784-10", "--loss", "logistic"), code: 2, want: []string{"targets do not suit --loss logistic"}},
		{name: "fashion corrupt file", args: fashion("--arch", "784-10", "--data-dir", corruptFashion(t, fm)), code: 2, want: []string{"train-labels-idx1-ubyte"}},
		{name: "predict fashion with csv model", args: []string{"predict", "--model", model, "--data", "fashion-mnist", "--data-dir", fm}, code: 2, want: []string{"13 inputs to 1 outputs", "784 pixels"}},
		{name: "predict fashion keep", args: []string{"predict", "--model", fmModel, "--data", "fashion-mnist", "--keep", "id"}, code: 2, want: []string{"--keep"}},
		{name: "predict fashion not installed", args: []string{"predict", "--model", fmModel, "--data", "fashion-mnist", "--data-dir", empty}, code: 2, want: []string{"apt-get install -y dataset-fashion-mnist"}},
		{name: "predict test-n without fashion", args: []string{"predict", "--model", model, "--data", "bodyfat", "--test-n", "3"}, code: 2, want: []string{"--test-n", "fashion-mnist"}},
	}
}

// corruptFashion copies the tiny data set with a truncated training-label
// file and returns the new folder.
func corruptFashion(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		if e.Name() == "train-labels-idx1-ubyte" {
			b = b[:len(b)-5]
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644))
	}
	return dir
}

// TestStopStatuses: every stop rule of the command line ends the run with
// its own status, named in the summary with its reason, and all but a
// failure or interruption keep "certified: yes" for LM.
func TestStopStatuses(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		status string
		reason string
	}{
		{"iteration limit", []string{"--iters", "3"}, "iteration limit", "iteration 3 of 3 done"},
		{"goal", []string{"--iters", "200", "--goal", "0.05"}, "goal reached", "≤ goal 0.05"},
		{"ftol", []string{"--iters", "200", "--ftol", "0.5"}, "function convergence", "≤ 0.5·|f|"},
		{"gtol", []string{"--iters", "200", "--gtol", "10"}, "gradient threshold", "≤ 10 for every block"},
		{"gamma-max", []string{"--iters", "200", "--gamma-max", "0.01"}, "damping limit", "reached the ceiling 0.01"},
		{"stationary", []string{"--iters", "200", "--tol", "100"}, "stationary", "≤ 100 for every block"},
		{"patience", []string{"--iters", "300", "--val-frac", "0.2", "--patience", "2"}, "early stopped", "did not improve for 2 validated records"},
		{"time", []string{"--iters", "200", "--time", "1ns"}, "time limit", "time budget 1ns spent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, context.Background(), append([]string{"train", "--data", "bodyfat", "--solver", "lm"}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "status:      "+tc.status+"\n")
			assert.Regexp(t, "reason:      .*"+regexp.QuoteMeta(tc.reason), r.stdout)
			assert.Contains(t, r.stdout, "certified:   yes")
			assert.Contains(t, r.stdout, "evaluations: objective ")
		})
	}
}

// TestPatienceSavesBestWeights: early stopping saves the weights of the
// best validated iteration K, which the summary names; they equal those of
// a run of exactly K iterations on the same split.
func TestPatienceSavesBestWeights(t *testing.T) {
	dir := t.TempDir()
	early := filepath.Join(dir, "early.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "300", "--val-frac", "0.2", "--patience", "3", "--save", early)
	require.Equal(t, 0, r.code, r.stderr)
	m := regexp.MustCompile(`weights:     iteration (\d+) \(best validation loss [^;]+; early stopping after iteration (\d+)\)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	best, last := m[1], m[2]
	bestK, _ := strconv.Atoi(best)
	lastK, _ := strconv.Atoi(last)
	assert.Equal(t, bestK+3, lastK, "patience 3 stops 3 validated records after the best")
	assert.Regexp(t, "at iteration "+best+"\n", r.stdout)

	exact := filepath.Join(dir, "exact.json")
	r2 := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", best, "--val-frac", "0.2", "--save", exact)
	require.Equal(t, 0, r2.code, r2.stderr)
	a, err := models.Load(early)
	require.NoError(t, err)
	b, err := models.Load(exact)
	require.NoError(t, err)
	assert.Equal(t, b.Weights, a.Weights, "saved weights are those after iteration %s", best)
	assert.Contains(t, a.Meta["weights"], "iteration "+best)
	assert.Equal(t, "50", a.Meta["validation_rows"])
	assert.Equal(t, "202", a.Meta["train_rows"])
}

// TestValidationHistory: with --val-frac the history gains val_loss and
// val_metric; the split is reproducible with --seed and changes with it.
func TestValidationHistory(t *testing.T) {
	dir := t.TempDir()
	hist := func(seed string) [][]string {
		path := filepath.Join(dir, "h"+seed+".csv")
		r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--solver", "gd", "--iters", "4", "--val-frac", "0.25", "--seed", seed, "--history", path)
		require.Equal(t, 0, r.code, r.stderr)
		recs, err := csv.NewReader(mustOpen(t, path)).ReadAll()
		require.NoError(t, err)
		return recs
	}
	a, b, c := hist("7"), hist("7"), hist("8")
	require.Equal(t, append(append([]string(nil), historyHeader...), "val_loss", "val_metric"), a[0])
	require.Len(t, a, 5)
	for _, row := range a[1:] {
		v, err := strconv.ParseFloat(row[len(row)-2], 64)
		require.NoError(t, err)
		assert.False(t, math.IsNaN(v), "every record is validated")
		assert.Positive(t, v)
	}
	assert.Equal(t, dropTimes(a), dropTimes(b), "same seed, same split and history")
	assert.NotEqual(t, dropTimes(a), dropTimes(c), "another seed, another split")

	plain := filepath.Join(dir, "plain.csv")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "2", "--history", plain)
	require.Equal(t, 0, r.code, r.stderr)
	recs, err := csv.NewReader(mustOpen(t, plain)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, historyHeader, recs[0], "no validation columns without --val-frac")
}

// dropTimes removes the elapsed_seconds column of a history.
func dropTimes(recs [][]string) [][]string {
	col := -1
	for i, h := range recs[0] {
		if h == "elapsed_seconds" {
			col = i
		}
	}
	out := make([][]string, len(recs))
	for i, r := range recs {
		out[i] = append(append([]string(nil), r[:col]...), r[col+1:]...)
	}
	return out
}

// TestLogEvery: --log-every N writes the Printer's heading, every N-th
// record (the first and last always) and the stop line to standard error,
// and nothing of it to standard output.
func TestLogEvery(t *testing.T) {
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "12", "--log-every", "5", "--val-frac", "0.2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "LM, 4 blocks, iterations 1..12")
	assert.Contains(t, r.stderr, "val nMSE")
	var iters []string
	for _, line := range strings.Split(r.stderr, "\n") {
		if f := strings.Fields(line); len(f) == 6 {
			if _, err := strconv.Atoi(f[0]); err == nil {
				iters = append(iters, f[0])
			}
		}
	}
	assert.Equal(t, []string{"1", "6", "11", "12"}, iters)
	assert.Contains(t, r.stderr, "stopped: iteration limit")
	assert.NotContains(t, r.stdout, "stopped:")
}

// TestShowProgressBar: the bar is drawn only on a terminal, without
// --quiet and without --log-every (log lines and the bar share standard
// error; the bar's carriage returns would overwrite them).
func TestShowProgressBar(t *testing.T) {
	cases := []struct {
		quiet    bool
		logEvery int
		terminal bool
		want     bool
	}{
		{false, 0, true, true},
		{true, 0, true, false},
		{false, 10, true, false},
		{false, 0, false, false},
		{false, 1, false, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, showProgressBar(tc.quiet, tc.logEvery, tc.terminal), "%+v", tc)
	}
}

// TestStatsLine: the evaluation counts name what the method used and skip
// what it did not.
func TestStatsLine(t *testing.T) {
	assert.Equal(t, "objective 3, gradient 2, full data set 4", statsLine(solvers.Stats{Objective: 3, Gradient: 2, FullEvaluations: 4}))
	assert.Equal(t, "objective 1, gradient 1, HVP 5, Gauss-Newton products 6, Hessians 7, Gauss-Newton matrices 8, full data set 2, validation 2",
		statsLine(solvers.Stats{Objective: 1, Gradient: 1, HVP: 5, GaussNewton: 6, Hessian: 7, GaussNewtonMatrix: 8, FullEvaluations: 2, Validation: 2}))
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "5")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "evaluations: objective ")
	assert.Contains(t, r.stdout, "Gauss-Newton matrices 5, full data set 6\n", "LM builds one explicit matrix per block update")
}

// TestGammaMaxNoteForOtherSolvers: --gamma-max is noted and ignored for a
// solver without adaptive damping.
func TestGammaMaxNoteForOtherSolvers(t *testing.T) {
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--solver", "gd", "--iters", "3", "--gamma-max", "0.5")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--gamma-max is ignored by solver gd")
	assert.Contains(t, r.stdout, "status:      iteration limit")
}

// TestEvalEvery: --eval-every N evaluates the whole training set and the
// validation set every N iterations and at the last; the other rows of the
// history hold batch values of f and no nMSE or validation values.
func TestEvalEvery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.csv")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--solver", "adagrad", "--batch", "32", "--iters", "12",
		"--eval-every", "5", "--val-frac", "0.2", "--history", path)
	require.Equal(t, 0, r.code, r.stderr)
	recs, err := csv.NewReader(mustOpen(t, path)).ReadAll()
	require.NoError(t, err)
	var full []string
	for _, rec := range recs[1:] {
		nmse := rec[4]
		if nmse != "NaN" {
			full = append(full, rec[0])
			assert.NotEqual(t, "NaN", rec[len(rec)-2], "iteration %s is validated", rec[0])
		} else {
			assert.Equal(t, "NaN", rec[len(rec)-2], "iteration %s is not validated", rec[0])
		}
	}
	assert.Equal(t, []string{"5", "10", "12"}, full)
	assert.Contains(t, r.stdout, "full data set 4, validation 4", "three records and the final weights")
}

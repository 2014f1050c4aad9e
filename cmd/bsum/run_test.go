package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// result is what one invocation of bsum produced.
type result struct {
	code           int
	stdout, stderr string
}

// runInProcess calls run with args and captures its output.
func runInProcess(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, &errw)
	return result{code: code, stdout: out.String(), stderr: errw.String()}
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// writeBodyFatRows writes the first n rows of the embedded BodyFat table
// (all 15 columns) as CSV and returns its path.
func writeBodyFatRows(t *testing.T, dir string, n int, drop ...string) string {
	t.Helper()
	tab, err := dataset.BodyFat()
	require.NoError(t, err)
	var keep []int
	for j, c := range tab.Columns {
		if !contains(drop, c) {
			keep = append(keep, j)
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	row := make([]string, len(keep))
	for i, j := range keep {
		row[i] = tab.Columns[j]
	}
	require.NoError(t, w.Write(row))
	for r := 0; r < n; r++ {
		for i, j := range keep {
			row[i] = strconv.FormatFloat(tab.Rows[r][j], 'g', -1, 64)
		}
		require.NoError(t, w.Write(row))
	}
	w.Flush()
	return writeFile(t, dir, fmt.Sprintf("bodyfat-%d.csv", n), b.String())
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// readCSV parses a CSV text into its header and rows of numbers, failing the
// test on any non-finite or non-numeric value.
func readCSV(t *testing.T, text string, skip ...int) (header []string, rows [][]float64) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs, "no header")
	for _, rec := range recs[1:] {
		row := make([]float64, len(rec))
		for j, s := range rec {
			if intsContain(skip, j) {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err, "column %s", recs[0][j])
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "column %s: %v", recs[0][j], v)
			row[j] = v
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func intsContain(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// exitCase is a command line and the exit code and messages it must give.
type exitCase struct {
	name string
	args []string
	code int
	want []string // substrings of stderr (of stdout for exit code 0)
	// inProcess marks cases that need run() itself: an interrupted context
	// or a replaced memory probe.
	inProcess   bool
	interrupted bool
}

// exitCases is the exit-code table of every subcommand (train, predict,
// solvers, version, help and the root): 0 success, 2 bad invocation or bad
// input data (CSV content included), 1 a failed run, 130 interrupted. Files
// go in dir; model is a valid model file.
func exitCases(t *testing.T, dir, model string) []exitCase {
	t.Helper()
	nonNumeric := writeFile(t, dir, "nonnumeric.csv", "a,b,y\n1,2,3\n4,x,6\n7,8,9\n")
	textColumn := writeFile(t, dir, "text.csv", "id,area,street,price\nH1,50,Elm St,100\nH2,70,Oak Ave,140\nH3,90,Mill Ln,170\n")
	ragged := writeFile(t, dir, "ragged.csv", "a,b,y\n1,2,3\n4,5\n")
	empty := writeFile(t, dir, "empty.csv", "")
	constant := writeFile(t, dir, "constant.csv", "a,b,y\n1,2,3\n1,5,6\n1,7,9\n")
	constTarget := writeFile(t, dir, "const-target.csv", "a,b,y\n1,2,5\n2,5,5\n3,7,5\n4,1,5\n")
	good := writeFile(t, dir, "good.csv", "a,b,y\n1,2,3\n2,5,6\n3,7,9\n4,1,2\n")
	truncated := writeFile(t, dir, "truncated.json", `{"format":"bsum-model","version":1,"spec":`)
	wrongFormat := writeFile(t, dir, "wrongformat.json", `{"format":"something-else","version":1,"spec":{"sizes":[2,1],"loss":"l2"},"weights":[[1,2]]}`)
	missingFeature := writeBodyFatRows(t, dir, 3, "Height")
	newData := writeBodyFatRows(t, dir, 4)
	features := strings.Join(dataset.BodyFatFeatures(), ",")
	row := "40,180,70,38,100,90,100,60,38,23,32,29,18"
	badFeatures := writeFile(t, dir, "bad-features.csv", "id,"+features+"\nA1,"+row+"\nA2,"+strings.Replace(row, "180", "heavy", 1)+"\n")
	missing := filepath.Join(dir, "does-not-exist.csv")
	aFile := writeFile(t, dir, "a-file.txt", "x")
	linear := writeFile(t, dir, "linear.csv", "x,y\n1,1000\n2,2000\n3,3000\n4,4000\n")
	linModel := filepath.Join(dir, "linear.json")
	r := runInProcess(t, context.Background(), "train", "--data", linear, "--target", "y", "--arch", "1-1",
		"--activation", "identity", "--iters", "5", "--save", linModel)
	require.Equal(t, 0, r.code, r.stderr)
	huge := writeFile(t, dir, "huge.csv", "x\n2\n\n1.7e308\n-1.7e308\n")

	train := func(extra ...string) []string {
		return append([]string{"train", "--iters", "2", "--quiet"}, extra...)
	}
	cases := []exitCase{
		// 0: success, every subcommand.
		{name: "train", args: train("--data", "bodyfat"), code: 0, want: []string{"status:      iteration limit"}},
		{name: "predict", args: []string{"predict", "--model", model, "--data", newData}, code: 0, want: []string{"BodyFat"}},
		{name: "predict keep", args: []string{"predict", "--model", model, "--data", newData, "--keep", "BodyFat,Age"}, code: 0, want: []string{"BodyFat,Age,BodyFat"}},
		{name: "solvers", args: []string{"solvers"}, code: 0, want: []string{"KIND", "harmonic:C"}},
		{name: "version", args: []string{"version"}, code: 0, want: []string{"bsum "}},
		{name: "help", args: []string{"--help"}, code: 0, want: []string{"Exit codes", "130"}},
		{name: "help train", args: []string{"help", "train"}, code: 0, want: []string{"--sweeps"}},

		// 2: bad invocation.
		{name: "missing file", args: train("--data", missing, "--target", "y", "--arch", "2-1"), code: 2, want: []string{"does-not-exist.csv", "not found"}},
		{name: "unknown target", args: train("--data", good, "--target", "price", "--arch", "2-1"), code: 2, want: []string{`"price"`, "unknown column", "a, b, y"}},
		{name: "unknown feature", args: train("--data", "bodyfat", "--features", "Age,Shoe"), code: 2, want: []string{`"Shoe"`, "unknown column"}},
		{name: "unknown feature in csv", args: train("--data", good, "--target", "y", "--features", "a,c", "--arch", "2-1"), code: 2, want: []string{`"c"`, "unknown column"}},
		{name: "empty feature item", args: train("--data", good, "--target", "y", "--features", "a,,b", "--arch", "2-1"), code: 2, want: []string{"--features", "item 2 of 3 is empty"}},
		{name: "trailing empty feature", args: train("--data", good, "--target", "y", "--features", "a,", "--arch", "1-1"), code: 2, want: []string{"--features", "is empty"}},
		{name: "feature is target", args: train("--data", good, "--target", "y", "--features", "a,y", "--arch", "2-1"), code: 2, want: []string{"names the target"}},
		{name: "arch first size", args: train("--data", "bodyfat", "--arch", "12-10-1"), code: 2, want: []string{"--arch 12-10-1", "first size is 12", "13 features"}},
		{name: "arch last size", args: train("--data", "bodyfat", "--arch", "13-10-2"), code: 2, want: []string{"last size is 2", "1 targets"}},
		{name: "bad arch", args: train("--data", "bodyfat", "--arch", "13-x-1"), code: 2, want: []string{"--arch", `"x"`}},
		{name: "arch empty part", args: train("--data", good, "--target", "y", "--arch", "2--3-1"), code: 2, want: []string{"--arch", `"2--3-1"`, "size 2 of 4 is empty"}},
		{name: "arch trailing dash", args: train("--data", good, "--target", "y", "--arch", "2-3-1-"), code: 2, want: []string{"--arch", "size 4 of 4 is empty"}},
		{name: "arch leading dash", args: train("--data", good, "--target", "y", "--arch", "-2-1"), code: 2, want: []string{"--arch", "size 1 of 3 is empty"}},
		{name: "arch out of memory", args: train("--data", good, "--target", "y", "--arch", "2-100000000-1"), code: 2, want: []string{"needs about", "GiB", "weights", "1 GiB available", "--arch"}, inProcess: true},
		{name: "missing arch", args: train("--data", good, "--target", "y"), code: 2, want: []string{"missing --arch", "2-10-1"}},
		{name: "unknown solver", args: train("--data", "bodyfat", "--solver", "sgd"), code: 2, want: []string{`unknown solver "sgd"`, "bp, gd, lm"}},
		{name: "unknown activation", args: train("--data", "bodyfat", "--activation", "swish"), code: 2, want: []string{`unknown activation "swish"`, "logistic"}},
		{name: "unknown output activation", args: train("--data", "bodyfat", "--output-activation", "swish"), code: 2, want: []string{"--output-activation", `"swish"`}},
		{name: "bad activation parameter", args: train("--data", "bodyfat", "--activation", "leakyrelu:x"), code: 2, want: []string{"--activation", `"x"`, "not a number"}},
		{name: "unknown loss", args: train("--data", "bodyfat", "--loss", "hinge"), code: 2, want: []string{`unknown loss "hinge"`, "l2"}},
		{name: "bad loss parameter", args: train("--data", "bodyfat", "--loss", "exponential", "--loss-param", "-1"), code: 2, want: []string{"exponential", "positive"}},
		{name: "non-numeric loss parameter", args: train("--data", "bodyfat", "--loss", "exponential", "--loss-param", "big"), code: 2, want: []string{"--loss-param", `"big"`}},
		{name: "bad step", args: train("--data", "bodyfat", "--step", "fast:2"), code: 2, want: []string{`unknown step rule "fast:2"`, "harmonic:C"}},
		{name: "step parameters", args: train("--data", "bodyfat", "--step", "harmonic"), code: 2, want: []string{"harmonic", "1 parameter"}},
		{name: "step outside condition 8", args: train("--data", "bodyfat", "--solver", "lm", "--step", "const:0.5"), code: 2, want: []string{"condition (8)", "--uncertified"}},
		{name: "bad blocks", args: train("--data", "bodyfat", "--blocks", "diagonal"), code: 2, want: []string{`unknown block rule "diagonal"`, "cyclic"}},
		{name: "bad batch", args: train("--data", "bodyfat", "--batch", "many"), code: 2, want: []string{"--batch", "growing"}},
		{name: "batch too large", args: train("--data", "bodyfat", "--batch", "1000"), code: 2, want: []string{"--batch 1000", "252 rows"}},
		{name: "negative tikhonov", args: train("--data", "bodyfat", "--tikhonov=-1"), code: 2, want: []string{"--tikhonov", "≥ 0", "-1"}},
		{name: "negative l1", args: train("--data", "bodyfat", "--l1=-0.5"), code: 2, want: []string{"--l1", "≥ 0"}},
		{name: "NaN gamma", args: train("--data", "bodyfat", "--solver", "gd", "--gamma", "nan"), code: 2, want: []string{"--gamma", "finite"}},
		{name: "zero iterations", args: train("--data", "bodyfat", "--iters", "0"), code: 2, want: []string{"--iters", "at least 1"}},
		{name: "zero sweeps", args: []string{"train", "--data", "bodyfat", "--sweeps", "0"}, code: 2, want: []string{"--sweeps", "at least 1"}},
		{name: "iters and sweeps", args: train("--data", "bodyfat", "--sweeps", "2"), code: 2, want: []string{"--iters and --sweeps"}},
		{name: "unknown kind", args: train("--data", "bodyfat", "--kind", "rnn"), code: 2, want: []string{`unknown --kind "rnn"`}},
		{name: "missing data", args: train("--target", "y"), code: 2, want: []string{"missing --data"}},
		{name: "missing target", args: train("--data", good, "--arch", "2-1"), code: 2, want: []string{"missing --target"}},
		{name: "unknown flag", args: train("--data", "bodyfat", "--epochs", "3"), code: 2, want: []string{"unknown flag: --epochs"}},
		{name: "bad flag value", args: train("--data", "bodyfat", "--seed", "abc"), code: 2, want: []string{"--seed", "abc"}},
		{name: "save folder missing", args: train("--data", "bodyfat", "--save", filepath.Join(dir, "nope", "m.json")), code: 2, want: []string{"--save", "does not exist"}},
		{name: "history folder is a file", args: train("--data", "bodyfat", "--history", filepath.Join(aFile, "h.csv")), code: 2, want: []string{"--history", "does not exist"}},
		{name: "plot is a folder", args: train("--data", "bodyfat", "--plot", dir+string(filepath.Separator)+"."), code: 2, want: []string{"--plot"}},
		{name: "plot extension", args: train("--data", "bodyfat", "--plot", filepath.Join(dir, "curve.txt")), code: 2, want: []string{"--plot", ".png"}},
		{name: "same file twice", args: train("--data", "bodyfat", "--save", filepath.Join(dir, "x.csv"), "--history", filepath.Join(dir, "x.csv")), code: 2, want: []string{"both write"}},
		{name: "predict missing model flag", args: []string{"predict", "--data", newData}, code: 2, want: []string{"missing --model"}},
		{name: "predict missing data flag", args: []string{"predict", "--model", model}, code: 2, want: []string{"missing --data"}},
		{name: "predict missing model file", args: []string{"predict", "--model", filepath.Join(dir, "none.json"), "--data", newData}, code: 2, want: []string{"none.json", "not found"}},
		{name: "predict out folder missing", args: []string{"predict", "--model", model, "--data", newData, "--out", filepath.Join(dir, "nope", "p.csv")}, code: 2, want: []string{"--out", "does not exist"}},
		{name: "predict keep unknown column", args: []string{"predict", "--model", model, "--data", newData, "--keep", "Name"}, code: 2, want: []string{"--keep", `"Name"`}},
		{name: "predict keep empty item", args: []string{"predict", "--model", model, "--data", newData, "--keep", "Age,"}, code: 2, want: []string{"--keep", "is empty"}},
		{name: "unknown command", args: []string{"fit"}, code: 2, want: []string{`unknown command "fit"`}},
		{name: "no command", args: nil, code: 2, want: []string{"missing command"}},
		{name: "stray argument", args: []string{"solvers", "extra"}, code: 2, want: []string{`"extra"`}},
		{name: "version stray argument", args: []string{"version", "x"}, code: 2, want: []string{`"x"`}},
		{name: "predict stray argument", args: []string{"predict", "x"}, code: 2, want: []string{`"x"`}},

		// 2: bad input data, CSV content and model files included.
		{name: "non-numeric value", args: train("--data", nonNumeric, "--target", "y", "--arch", "2-1"), code: 2, want: []string{"nonnumeric.csv:3", "column 2", `"b"`, "not a number", "numeric columns are a, y"}},
		{name: "text column without features", args: train("--data", textColumn, "--target", "price", "--arch", "1-1"), code: 2, want: []string{"not a number", "numeric columns are area, price", "--features area"}},
		{name: "ragged row", args: train("--data", ragged, "--target", "y", "--arch", "2-1"), code: 2, want: []string{"ragged.csv:3", "ragged row", "2 fields, header has 3"}},
		{name: "empty file", args: train("--data", empty, "--target", "y", "--arch", "2-1"), code: 2, want: []string{"empty.csv", "empty input"}},
		{name: "constant feature", args: train("--data", constant, "--target", "y", "--arch", "2-1"), code: 2, want: []string{"constant.csv", `"a"`, "constant column"}},
		{name: "constant target identity", args: train("--data", constTarget, "--target", "y", "--arch", "2-1", "--activation", "identity"), code: 2, want: []string{`"y"`, "constant column", "nothing to learn"}},
		{name: "constant target logistic", args: train("--data", constTarget, "--target", "y", "--arch", "2-1"), code: 2, want: []string{`"y"`, "constant column", "nothing to learn"}},
		{name: "constant target deep linear", args: train("--data", constTarget, "--target", "y", "--arch", "2-1", "--kind", "deep-linear"), code: 2, want: []string{"constant column"}},
		{name: "predict corrupted model", args: []string{"predict", "--model", truncated, "--data", newData}, code: 2, want: []string{"truncated.json", "invalid model file"}},
		{name: "predict wrong format", args: []string{"predict", "--model", wrongFormat, "--data", newData}, code: 2, want: []string{"wrongformat.json", `"something-else"`}},
		{name: "predict missing feature column", args: []string{"predict", "--model", model, "--data", missingFeature}, code: 2, want: []string{`"Height"`, "unknown column", "needs the columns"}},
		{name: "predict bad csv", args: []string{"predict", "--model", model, "--data", badFeatures}, code: 2, want: []string{"bad-features.csv:3", "column 3", `"Weight"`, "not a number"}},
		{name: "predict csv without the model's columns", args: []string{"predict", "--model", model, "--data", nonNumeric}, code: 2, want: []string{"nonnumeric.csv:1", `"Age"`, "needs the columns"}},
		{name: "predict missing data file", args: []string{"predict", "--model", model, "--data", missing}, code: 2, want: []string{"does-not-exist.csv", "not found"}},

		// 1: the run itself failed.
		{name: "train diverges", args: []string{"train", "--data", "bodyfat", "--activation", "softplus", "--solver", "gd", "--gamma", "1e-300", "--iters", "20"}, code: 1, want: []string{"training failed", "iteration 1"}},
		{name: "predict not finite", args: []string{"predict", "--model", linModel, "--data", huge}, code: 1, want: []string{"huge.csv:4: data row 2", "not a finite number", "2 of 3 rows"}},

		// 130: interrupted.
		{name: "train interrupted", args: train("--data", "bodyfat"), code: 130, want: []string{"interrupted"}, inProcess: true, interrupted: true},
		{name: "predict interrupted", args: []string{"predict", "--model", model, "--data", newData}, code: 130, want: []string{"interrupted"}, inProcess: true, interrupted: true},
	}
	for _, bad := range []string{"const:-1", "const:0", "harmonic:-1", "harmonic:nan", "harmonic:inf", "invsqrt:-2", "recursive:-1,0.99", "recursive:1,nan"} {
		for _, solver := range []string{"bp", "bp-clr", "gd", "lm", "lm-hessian", "proxl1", "exact-bcd", "adagrad"} {
			cases = append(cases, exitCase{name: "step " + bad + " " + solver, args: train("--data", "bodyfat", "--solver", solver, "--step", bad, "--uncertified"),
				code: 2, want: []string{"--step", "invalid step-size parameter"}})
		}
	}
	cases = append(cases, controlExitCases(t, dir, model)...)
	return cases
}

// trainModel trains a small BodyFat model in-process and returns its path.
func trainModel(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "model.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "8", "--save", path)
	require.Equal(t, 0, r.code, r.stderr)
	return path
}

// TestExitCodes is the one exit-code table of every subcommand (issue 8 §4):
// 0 success, 2 bad invocation or bad input data, 1 a failed run, 130
// interrupted; every failure message starts with "bsum: ".
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	model := trainModel(t, dir)
	defer func(f func() (float64, bool)) { memAvailable = f }(memAvailable)
	memAvailable = func() (float64, bool) { return 1 << 30, true } // 1 GiB
	for _, tc := range exitCases(t, dir, model) {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.interrupted {
				cancel()
			}
			r := runInProcess(t, ctx, tc.args...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			text := r.stderr
			if tc.code == 0 {
				text = r.stdout
			}
			for _, w := range tc.want {
				assert.Contains(t, text, w)
			}
			if tc.code != 0 && len(tc.args) > 0 && tc.args[0] == "predict" {
				assert.Empty(t, r.stdout, "a failed predict writes no predictions")
			}
			if tc.code != 0 {
				assert.True(t, strings.HasPrefix(r.stderr, "bsum: ") || strings.Contains(r.stderr, "\nbsum: "), "stderr: %s", r.stderr)
			}
		})
	}
}

func TestTrainConfigurations(t *testing.T) {
	dir := t.TempDir()
	newData := writeBodyFatRows(t, dir, 5)
	cases := []struct {
		name      string
		args      []string
		certified bool
	}{
		{"lm default", nil, true},
		{"bp harmonic tanh bias", []string{"--solver", "bp", "--step", "harmonic:1", "--activation", "tanh", "--bias"}, true},
		{"gd growing jacobi", []string{"--solver", "gd", "--gamma", "2", "--batch", "growing", "--blocks", "jacobi"}, false}, // Lemma 2 needs the full batch
		{"adagrad random batch", []string{"--solver", "adagrad", "--batch", "32", "--blocks", "random"}, false},
		{"lm relu identity output", []string{"--activation", "relu", "--output-activation", "identity", "--bias"}, true},
		{"lm leaky relu parameter", []string{"--activation", "leakyrelu:0.1", "--output-activation", "logistic"}, true},
		{"bp-clr constant", []string{"--solver", "bp-clr", "--step", "const:0.05"}, false},
		{"lm uncertified step", []string{"--step", "const:0.5", "--uncertified"}, false},
		{"proxl1", []string{"--solver", "proxl1", "--lambda", "1e-4"}, true},
		{"deep linear exact", []string{"--kind", "deep-linear", "--solver", "exact-bcd", "--tikhonov", "1e-6", "--bias", "--arch", "13-4-1"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := filepath.Join(t.TempDir(), "m.json")
			args := append([]string{"train", "--data", "bodyfat", "--iters", "6", "--save", model}, tc.args...)
			r := runInProcess(t, context.Background(), args...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stdout, "status:      iteration limit")
			if contains(tc.args, "jacobi") {
				assert.Contains(t, r.stdout, "iterations:  1 (4 block updates, J = 4 blocks)", "6 block updates round down to one Jacobi iteration")
			} else {
				assert.Contains(t, r.stdout, "iterations:  6 (6 block updates")
			}
			if tc.certified {
				assert.Contains(t, r.stdout, "certified:   yes")
			} else {
				assert.Contains(t, r.stdout, "certified:   no")
			}
			assert.NotContains(t, r.stderr, "training") // no progress bar off a terminal

			p := runInProcess(t, context.Background(), "predict", "--model", model, "--data", newData)
			require.Equal(t, 0, p.code, p.stderr)
			header, rows := readCSV(t, p.stdout)
			assert.Equal(t, []string{"BodyFat"}, header)
			assert.Len(t, rows, 5)
		})
	}
}

func TestSolversListsCatalog(t *testing.T) {
	r := runInProcess(t, context.Background(), "solvers")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, len(solvers.Catalog())+1)
	assert.Regexp(t, `^KIND\s+NAME\s+EQUATION\s+SUMMARY$`, lines[0])
	// Aligned: every row starts its NAME column at the header's offset.
	col := strings.Index(lines[0], "NAME")
	for i, e := range solvers.Catalog() {
		assert.Equal(t, e.Name, strings.Fields(lines[i+1][col:])[0], "row %d", i+1)
		assert.Contains(t, lines[i+1], e.Summary)
	}
}

func TestVersion(t *testing.T) {
	r := runInProcess(t, context.Background(), "version")
	require.Equal(t, 0, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "bsum "))
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"train", "--help"}, {"predict", "-h"}, {"help", "solvers"}} {
		r := runInProcess(t, context.Background(), args...)
		assert.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stdout, "Usage:")
	}
}

// TestInterruptInProcess cancels the context from the callback at iteration
// 3: the run stops with exit code 130 and the model is still saved.
func TestInterruptInProcess(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	hist := filepath.Join(dir, "h.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testHookRecord = func(r solvers.Record) {
		if r.K == 3 {
			cancel()
		}
	}
	defer func() { testHookRecord = nil }()

	r := runInProcess(t, ctx, "train", "--data", "bodyfat", "--iters", "100000", "--save", model, "--history", hist)
	assert.Equal(t, 130, r.code, r.stderr)
	assert.Contains(t, r.stderr, "interrupted after 3 iterations")
	assert.Contains(t, r.stderr, "saved the weights reached so far to "+model)
	assert.Contains(t, r.stdout, "status:      canceled")

	m, err := models.Load(model)
	require.NoError(t, err)
	assert.Equal(t, "3", m.Meta["iterations"])
	assert.Equal(t, solvers.Canceled.String(), m.Meta["status"])
	data, err := os.ReadFile(hist)
	require.NoError(t, err)
	_, rows := readCSV(t, string(data), 1, 2)
	assert.Len(t, rows, 3)
}

// TestInterruptBeforeTraining: a context cancelled before training starts
// exits 130 without training.
func TestInterruptBeforeTraining(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runInProcess(t, ctx, "train", "--data", "bodyfat", "--iters", "5")
	assert.Equal(t, 130, r.code)
	assert.Contains(t, r.stderr, "interrupted")
}

// TestTrainFailureSavesLastFiniteWeights: a step that overflows fails the
// run with a message naming the iteration and block, exit code 1, and the
// last finite weights are saved.
func TestTrainFailureSavesLastFiniteWeights(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--activation", "softplus",
		"--solver", "gd", "--gamma", "1e-300", "--iters", "20", "--save", model)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "training failed")
	assert.Contains(t, r.stderr, "iteration 1")
	assert.Contains(t, r.stderr, `block "W`)
	assert.Contains(t, r.stderr, "saved the last finite weights to "+model)
	assert.Contains(t, r.stdout, "status:      failed")
	m, err := models.Load(model)
	require.NoError(t, err)
	assert.True(t, m.Weights.AllFinite())
	assert.Equal(t, "failed", m.Meta["status"])
}

func TestTrainFromCSVAndStdin(t *testing.T) {
	dir := t.TempDir()
	// y = 2a − b + noise-free; any target works for a few iterations.
	var b strings.Builder
	b.WriteString("a,b,id,y\n")
	for i := 0; i < 30; i++ {
		a, c := float64(i%7), float64((i*3)%5)
		fmt.Fprintf(&b, "%g,%g,%d,%g\n", a, c, i, 2*a-c)
	}
	path := writeFile(t, dir, "lin.csv", b.String())
	model := filepath.Join(dir, "lin.json")
	r := runInProcess(t, context.Background(), "train", "--data", path, "--target", "y", "--features", "a, b",
		"--arch", "2-5-1", "--activation", "tanh", "--iters", "10", "--save", model)
	require.Equal(t, 0, r.code, r.stderr)

	// predict reads standard input with --data -; the id and y columns are ignored.
	var out, errw bytes.Buffer
	code := run(context.Background(), []string{"predict", "--model", model, "--data", "-"}, strings.NewReader(b.String()), &out, &errw)
	require.Equal(t, 0, code, errw.String())
	header, rows := readCSV(t, out.String())
	assert.Equal(t, []string{"y"}, header)
	require.Len(t, rows, 30)
	for _, row := range rows { // tanh output mapped back into [min y, max y]
		assert.GreaterOrEqual(t, row[0], -4-1e-9)
		assert.LessOrEqual(t, row[0], 12+1e-9)
	}

	// --out writes a file instead.
	outPath := filepath.Join(dir, "preds.csv")
	p := runInProcess(t, context.Background(), "predict", "--model", model, "--data", path, "--out", outPath)
	require.Equal(t, 0, p.code, p.stderr)
	assert.Empty(t, p.stdout)
	data, err := os.ReadFile(outPath)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(data))
}

func TestParseNameParams(t *testing.T) {
	cases := []struct {
		in     string
		name   string
		params []float64
		ok     bool
	}{
		{"logistic", "logistic", nil, true},
		{"leakyrelu:0.1", "leakyrelu", []float64{0.1}, true},
		{"elu(0.5)", "elu", []float64{0.5}, true},
		{" isru : 2 ", "isru", []float64{2}, true},
		{"elu:a", "", nil, false},
	}
	for _, tc := range cases {
		name, params, err := parseNameParams(tc.in)
		if !tc.ok {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.name, name)
		assert.Equal(t, tc.params, params)
	}
}

// checkPNG asserts that path holds a decodable, non-empty PNG.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Positive(t, img.Bounds().Dx())
	assert.Positive(t, img.Bounds().Dy())
}

// Columns the model does not use may hold text: predict reads only the
// model's feature columns.
func TestPredictIgnoresOtherColumns(t *testing.T) {
	dir := t.TempDir()
	model := trainModel(t, dir)
	features := strings.Join(dataset.BodyFatFeatures(), ",")
	row := "40,180,70,38,100,90,100,60,38,23,32,29,18"
	data := writeFile(t, dir, "with-ids.csv", "id,note,"+features+"\nA1,first visit,"+row+"\nA2,\"second, later\","+row+"\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"predict", "--model", model, "--data", data}, strings.NewReader(""), &out, &errb)
	require.Equal(t, 0, code, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, lines[1], lines[2], "same features, same prediction")
}

// TestREADMEThirdCommand runs the README's third command on the shipped
// example data (examples/houses): with an identity output the target is
// standardised for training, so the fit is good, and predict maps it back
// to euros and passes --keep columns through.
func TestREADMEThirdCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join("..", "..", "examples", "houses", "houses.csv")
	model := filepath.Join(dir, "houses.json")
	hist := filepath.Join(dir, "h.csv")
	r := runInProcess(t, context.Background(), "train", "--data", data, "--target", "price", "--features", "area,rooms", "--arch", "2-8-1",
		"--activation", "tanh", "--output-activation", "identity", "--bias", "--solver", "bp", "--step", "harmonic:1", "--history", hist, "--save", model)
	require.Equal(t, 0, r.code, r.stderr)
	nmse := summaryValue(t, r.stdout, "final NMSE:")
	assert.Less(t, nmse, 0.1, "the README's third command must fit (0.57 before the target was standardised)")
	m, err := models.Load(model)
	require.NoError(t, err)
	assert.Equal(t, dataset.TargetStandard, m.Scaler.TargetMode)

	p := runInProcess(t, context.Background(), "predict", "--model", model, "--data", data, "--keep", "id,street")
	require.Equal(t, 0, p.code, p.stderr)
	recs, err := csv.NewReader(strings.NewReader(p.stdout)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "street", "price"}, recs[0])
	src, err := csv.NewReader(mustOpen(t, data)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(src))
	var se, sv, mean float64
	for _, rec := range src[1:] {
		y, _ := strconv.ParseFloat(rec[4], 64)
		mean += y / float64(len(src)-1)
	}
	for i, rec := range recs[1:] {
		assert.Equal(t, src[i+1][0], rec[0], "id passed through")
		assert.Equal(t, src[i+1][1], rec[1], "street passed through, spaces included")
		pred, err := strconv.ParseFloat(rec[2], 64)
		require.NoError(t, err)
		y, _ := strconv.ParseFloat(src[i+1][4], 64)
		se += (pred - y) * (pred - y)
		sv += (y - mean) * (y - mean)
	}
	assert.InDelta(t, nmse, se/sv, 1e-4, "predict's euros give train's normalised MSE")
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// summaryValue reads the number after label in train's summary.
func summaryValue(t *testing.T, stdout, label string) float64 {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, label); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			require.NoError(t, err, line)
			return v
		}
	}
	t.Fatalf("no %q in %s", label, stdout)
	return 0
}

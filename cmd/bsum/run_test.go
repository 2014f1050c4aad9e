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

// badInputCase is a command line that must fail with a message naming the
// problem.
type badInputCase struct {
	name string
	args []string
	code int
	want []string // substrings of stderr
}

// badInputCases builds the bad-input table; files go in dir and model is a
// valid model file.
func badInputCases(t *testing.T, dir, model string) []badInputCase {
	t.Helper()
	nonNumeric := writeFile(t, dir, "nonnumeric.csv", "a,b,y\n1,2,3\n4,x,6\n7,8,9\n")
	ragged := writeFile(t, dir, "ragged.csv", "a,b,y\n1,2,3\n4,5\n")
	empty := writeFile(t, dir, "empty.csv", "")
	constant := writeFile(t, dir, "constant.csv", "a,b,y\n1,2,3\n1,5,6\n1,7,9\n")
	good := writeFile(t, dir, "good.csv", "a,b,y\n1,2,3\n2,5,6\n3,7,9\n4,1,2\n")
	truncated := writeFile(t, dir, "truncated.json", `{"format":"bsum-model","version":1,"spec":`)
	wrongFormat := writeFile(t, dir, "wrongformat.json", `{"format":"something-else","version":1,"spec":{"sizes":[2,1],"loss":"l2"},"weights":[[1,2]]}`)
	missingFeature := writeBodyFatRows(t, dir, 3, "Height")
	newData := writeBodyFatRows(t, dir, 4)
	features := strings.Join(dataset.BodyFatFeatures(), ",")
	row := "40,180,70,38,100,90,100,60,38,23,32,29,18"
	badFeatures := writeFile(t, dir, "bad-features.csv", "id,"+features+"\nA1,"+row+"\nA2,"+strings.Replace(row, "180", "heavy", 1)+"\n")
	missing := filepath.Join(dir, "does-not-exist.csv")

	train := func(extra ...string) []string {
		return append([]string{"train", "--iters", "2", "--quiet"}, extra...)
	}
	return []badInputCase{
		{"missing file", train("--data", missing, "--target", "y", "--arch", "2-1"), 1, []string{"does-not-exist.csv", "not found"}},
		{"non-numeric value", train("--data", nonNumeric, "--target", "y", "--arch", "2-1"), 1, []string{"nonnumeric.csv:3", "column 2", `"b"`, "not a number"}},
		{"ragged row", train("--data", ragged, "--target", "y", "--arch", "2-1"), 1, []string{"ragged.csv:3", "ragged row", "2 fields, header has 3"}},
		{"empty file", train("--data", empty, "--target", "y", "--arch", "2-1"), 1, []string{"empty.csv", "empty input"}},
		{"unknown target", train("--data", good, "--target", "price", "--arch", "2-1"), 2, []string{`"price"`, "unknown column", "a, b, y"}},
		{"unknown feature", train("--data", "bodyfat", "--features", "Age,Shoe"), 2, []string{`"Shoe"`, "unknown column"}},
		{"constant feature", train("--data", constant, "--target", "y", "--arch", "2-1"), 1, []string{"constant.csv", `"a"`, "constant column"}},
		{"arch first size", train("--data", "bodyfat", "--arch", "12-10-1"), 2, []string{"--arch 12-10-1", "first size is 12", "13 features"}},
		{"arch last size", train("--data", "bodyfat", "--arch", "13-10-2"), 2, []string{"last size is 2", "1 targets"}},
		{"bad arch", train("--data", "bodyfat", "--arch", "13-x-1"), 2, []string{"--arch", `"x"`}},
		{"missing arch", train("--data", good, "--target", "y"), 2, []string{"missing --arch", "2-10-1"}},
		{"unknown solver", train("--data", "bodyfat", "--solver", "sgd"), 2, []string{`unknown solver "sgd"`, "bp, gd, lm"}},
		{"unknown activation", train("--data", "bodyfat", "--activation", "swish"), 2, []string{`unknown activation "swish"`, "logistic"}},
		{"unknown output activation", train("--data", "bodyfat", "--output-activation", "swish"), 2, []string{"--output-activation", `"swish"`}},
		{"bad activation parameter", train("--data", "bodyfat", "--activation", "leakyrelu:x"), 2, []string{"--activation", `"x"`, "not a number"}},
		{"unknown loss", train("--data", "bodyfat", "--loss", "hinge"), 2, []string{`unknown loss "hinge"`, "l2"}},
		{"bad loss parameter", train("--data", "bodyfat", "--loss", "exponential", "--loss-param", "-1"), 2, []string{"exponential", "positive"}},
		{"bad step", train("--data", "bodyfat", "--step", "fast:2"), 2, []string{`unknown step rule "fast:2"`, "harmonic:C"}},
		{"step parameters", train("--data", "bodyfat", "--step", "harmonic"), 2, []string{"harmonic", "1 parameter"}},
		{"step outside condition 8", train("--data", "bodyfat", "--solver", "lm", "--step", "const:0.5"), 2, []string{"condition (8)", "--uncertified"}},
		{"bad blocks", train("--data", "bodyfat", "--blocks", "diagonal"), 2, []string{`unknown block rule "diagonal"`, "cyclic"}},
		{"bad batch", train("--data", "bodyfat", "--batch", "many"), 2, []string{"--batch", "growing"}},
		{"batch too large", train("--data", "bodyfat", "--batch", "1000"), 2, []string{"--batch 1000", "252 rows"}},
		{"negative tikhonov", train("--data", "bodyfat", "--tikhonov=-1"), 2, []string{"--tikhonov", "≥ 0", "-1"}},
		{"negative l1", train("--data", "bodyfat", "--l1=-0.5"), 2, []string{"--l1", "≥ 0"}},
		{"zero iterations", train("--data", "bodyfat", "--iters", "0"), 2, []string{"--iters", "at least 1"}},
		{"unknown kind", train("--data", "bodyfat", "--kind", "rnn"), 2, []string{`unknown --kind "rnn"`}},
		{"missing data", train("--target", "y"), 2, []string{"missing --data"}},
		{"missing target", train("--data", good, "--arch", "2-1"), 2, []string{"missing --target"}},
		{"unknown flag", train("--data", "bodyfat", "--epochs", "3"), 2, []string{"unknown flag: --epochs"}},
		{"bad flag value", train("--data", "bodyfat", "--seed", "abc"), 2, []string{"--seed", "abc"}},
		{"save folder missing", train("--data", "bodyfat", "--save", filepath.Join(dir, "nope", "m.json")), 2, []string{"--save", "does not exist"}},
		{"plot extension", train("--data", "bodyfat", "--plot", filepath.Join(dir, "curve.txt")), 2, []string{"--plot", ".png"}},
		{"predict corrupted model", []string{"predict", "--model", truncated, "--data", newData}, 1, []string{"truncated.json", "invalid model file"}},
		{"predict wrong format", []string{"predict", "--model", wrongFormat, "--data", newData}, 1, []string{"wrongformat.json", `"something-else"`}},
		{"predict missing model file", []string{"predict", "--model", filepath.Join(dir, "none.json"), "--data", newData}, 1, []string{"none.json", "not found"}},
		{"predict missing feature column", []string{"predict", "--model", model, "--data", missingFeature}, 1, []string{`"Height"`, "unknown column", "needs the columns"}},
		{"predict bad csv", []string{"predict", "--model", model, "--data", badFeatures}, 1, []string{"bad-features.csv:3", "column 3", `"Weight"`, "not a number"}},
		{"predict csv without the model's columns", []string{"predict", "--model", model, "--data", nonNumeric}, 1, []string{"nonnumeric.csv:1", `"Age"`, "needs the columns"}},
		{"predict missing model flag", []string{"predict", "--data", newData}, 2, []string{"missing --model"}},
		{"predict missing data flag", []string{"predict", "--model", model}, 2, []string{"missing --data"}},
		{"unknown command", []string{"fit"}, 2, []string{`unknown command "fit"`}},
		{"no command", nil, 2, []string{"missing command"}},
		{"stray argument", []string{"solvers", "extra"}, 2, []string{`"extra"`}},
	}
}

// trainModel trains a small BodyFat model in-process and returns its path.
func trainModel(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "model.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "8", "--save", path)
	require.Equal(t, 0, r.code, r.stderr)
	return path
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	model := trainModel(t, dir)
	for _, tc := range badInputCases(t, dir, model) {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, context.Background(), tc.args...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.True(t, strings.HasPrefix(r.stderr, "bsum: ") || strings.Contains(r.stderr, "\nbsum: "), "stderr: %s", r.stderr)
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
		{"gd growing jacobi", []string{"--solver", "gd", "--gamma", "2", "--batch", "growing", "--blocks", "jacobi"}, true},
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
			assert.Contains(t, r.stdout, "iterations:  6")
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
	_, rows := readCSV(t, string(data), 1)
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

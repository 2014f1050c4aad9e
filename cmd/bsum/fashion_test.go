package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/internal/gemm"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// TestFashionTrainPredict trains on a tiny generated Fashion-MNIST folder
// and checks the summary (test accuracy, confusion matrix with class
// names), the model file (the pixel scaler 0…255 → [0, 1], the softmax
// loss) and that predict reproduces the same accuracy and labels on the
// test set, so both scale the pixels alike.
func TestFashionTrainPredict(t *testing.T) {
	fm := writeFashionIDX(t, 60, 40)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	r := runInProcess(t, context.Background(), "train", "--data", "fashion-mnist", "--data-dir", fm, "--arch", "784-8-10",
		"--solver", "adagrad", "--iters", "60", "--train-n", "50", "--test-n", "30", "--save", model)
	require.Equal(t, 0, r.code, r.stderr)
	acc := regexp.MustCompile(`test accuracy: ([0-9.]+) \((\d+) of 30\)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, acc, r.stdout)
	assert.NotContains(t, r.stdout, "final NMSE", "no normalised MSE of class scores")
	for i, name := range dataset.FashionMNISTClasses() {
		assert.Regexp(t, `\n +`+strconv.Itoa(i)+" "+regexp.QuoteMeta(name)+" ", r.stdout)
	}
	rows := regexp.MustCompile(`(?m)^ +\d+ [A-Z][A-Za-z/ -]+?((?: +\d+){10})  (?:[0-9.]+|-)$`).FindAllStringSubmatch(r.stdout, -1)
	require.Len(t, rows, 10, r.stdout)
	total := 0
	for _, row := range rows {
		for _, c := range strings.Fields(row[1]) {
			n, _ := strconv.Atoi(c)
			total += n
		}
	}
	assert.Equal(t, 30, total, "the matrix counts every test image once")

	m, err := models.Load(model)
	require.NoError(t, err)
	assert.Equal(t, "softmax-cross-entropy", m.Spec.Loss)
	assert.Equal(t, "identity", m.Spec.Output)
	require.NotNil(t, m.Scaler)
	assert.Len(t, m.Scaler.Std, 784)
	assert.Equal(t, 255.0, m.Scaler.Std[0])
	assert.Equal(t, 0.0, m.Scaler.Mean[400])
	assert.Equal(t, "50", m.Meta["train_rows"])
	metaAcc, err := strconv.ParseFloat(m.Meta["test_accuracy"], 64)
	require.NoError(t, err)
	printed, _ := strconv.ParseFloat(acc[1], 64)
	assert.InDelta(t, printed, metaAcc, 5e-5)

	out := filepath.Join(dir, "labels.csv")
	p := runInProcess(t, context.Background(), "predict", "--model", model, "--data", "fashion-mnist", "--data-dir", fm, "--test-n", "30", "--out", out)
	require.Equal(t, 0, p.code, p.stderr)
	assert.Contains(t, p.stdout, "test accuracy: "+acc[1]+" ("+acc[2]+" of 30)")
	recs, err := csv.NewReader(mustOpen(t, out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 31)
	assert.Equal(t, []string{"image", "label", "predicted", "predicted_class"}, recs[0])
	correct := 0
	for j, rec := range recs[1:] {
		assert.Equal(t, strconv.Itoa(j), rec[0])
		assert.Equal(t, strconv.Itoa((j+3)%10), rec[1], "the label of test image %d", j)
		k, err := strconv.Atoi(rec[2])
		require.NoError(t, err)
		assert.Equal(t, dataset.FashionMNISTClasses()[k], rec[3])
		if rec[1] == rec[2] {
			correct++
		}
	}
	assert.Equal(t, acc[2], strconv.Itoa(correct))

	// The environment variable is the second choice after --data-dir.
	t.Setenv(dataset.FashionMNISTEnv, fm)
	e := runInProcess(t, context.Background(), "predict", "--model", model, "--data", "fashion-mnist", "--test-n", "30")
	require.Equal(t, 0, e.code, e.stderr)
	assert.Contains(t, e.stdout, "test accuracy: "+acc[1])
}

// TestFashionLearns: on the generated classes (one lit band of rows each)
// a short run classifies the test images well above chance.
func TestFashionLearns(t *testing.T) {
	fm := writeFashionIDX(t, 100, 50)
	r := runInProcess(t, context.Background(), "train", "--data", "fashion-mnist", "--data-dir", fm, "--arch", "784-10",
		"--solver", "adagrad", "--iters", "40", "--val-frac", "0.2")
	require.Equal(t, 0, r.code, r.stderr)
	acc := regexp.MustCompile(`test accuracy: ([0-9.]+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, acc, r.stdout)
	v, err := strconv.ParseFloat(acc[1], 64)
	require.NoError(t, err)
	assert.Greater(t, v, 0.5)
	assert.Contains(t, r.stdout, "validation:  20 of 100 rows held out")
	assert.Contains(t, r.stdout, "accuracy")
}

// TestFashionInstalled runs on the real data set where the Debian package
// is installed (skipped otherwise, and with -short).
func TestFashionInstalled(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the installed Fashion-MNIST")
	}
	if _, err := os.Stat(filepath.Join(dataset.FashionMNISTDefaultDir, dataset.FashionMNISTTrainImages+".gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed (%s)", dataset.FashionMNISTInstall)
	}
	t.Setenv(dataset.FashionMNISTEnv, "")
	r := runInProcess(t, context.Background(), "train", "--data", "fashion-mnist", "--arch", "784-10", "--solver", "adagrad",
		"--batch", "100", "--iters", "100", "--train-n", "500", "--test-n", "300")
	require.Equal(t, 0, r.code, r.stderr)
	acc := regexp.MustCompile(`test accuracy: ([0-9.]+) \(\d+ of 300\)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, acc, r.stdout)
	v, err := strconv.ParseFloat(acc[1], 64)
	require.NoError(t, err)
	assert.Greater(t, v, 0.6, "a linear softmax classifier beats chance (0.1) by far")
}

// TestBLASHint: the OpenBLAS hint for large pure-Go runs, both builds.
func TestBLASHint(t *testing.T) {
	cases := []struct {
		openblas bool
		n, p     int
		fashion  bool
		want     bool
	}{
		{false, 252, 340, false, false},            // BodyFat
		{false, 10000, 268000, false, true},        // the large step
		{false, int(blasHintWork), 1, false, true}, // at the threshold
		{false, int(blasHintWork) - 1, 1, false, false},
		{false, 10, 7850, true, true}, // any Fashion-MNIST run
		{true, 10000, 268000, false, false},
		{true, 10, 7850, true, false},
	}
	for _, tc := range cases {
		got := blasHint(tc.openblas, tc.n, tc.p, tc.fashion)
		if tc.want {
			assert.Equal(t, blasHintText, got, "%+v", tc)
		} else {
			assert.Empty(t, got, "%+v", tc)
		}
	}
	assert.Contains(t, blasHintText, "apt-get install -y libopenblas-dev")
	assert.Contains(t, blasHintText, "-tags openblas")

	// This build: a Fashion-MNIST run prints the hint only when large
	// products run on gonum's pure-Go dgemm (neither the openblas tag nor
	// an assembly kernel of internal/gemm; -tags purego forces that), and
	// a BodyFat run never.
	fm := writeFashionIDX(t, 20, 10)
	r := runInProcess(t, context.Background(), "train", "--data", "fashion-mnist", "--data-dir", fm, "--arch", "784-10", "--solver", "gd", "--iters", "2")
	require.Equal(t, 0, r.code, r.stderr)
	if openBLAS || gemm.Accelerated() {
		assert.NotContains(t, r.stderr, "hint:")
	} else {
		assert.Contains(t, r.stderr, "bsum: "+blasHintText+"\n")
		assert.Equal(t, 1, strings.Count(r.stderr, "hint:"))
	}
	b := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "2")
	require.Equal(t, 0, b.code, b.stderr)
	assert.NotContains(t, b.stderr, "hint:")
}

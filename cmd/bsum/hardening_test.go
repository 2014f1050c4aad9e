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
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

func TestParseArch(t *testing.T) {
	cases := []struct {
		in   string
		want []int
		err  string
	}{
		{"13-10-1", []int{13, 10, 1}, ""},
		{" 2-3-1 ", []int{2, 3, 1}, ""},
		{"2,3,1", []int{2, 3, 1}, ""},
		{"2--3-1", nil, "size 2 of 4 is empty"},
		{"2-3-1-", nil, "size 4 of 4 is empty"},
		{"-2-1", nil, "size 1 of 3 is empty"},
		{"2-3,1", nil, "mixes"},
		{"2,,1", nil, "size 2 of 3 is empty"},
		{"2- -1", nil, "size 2 of 3 is empty"},
		{"", nil, "empty"},
		{"5", nil, "at least"},
		{"2-0-1", nil, "positive"},
		{"2-x-1", nil, `"x"`},
	}
	for _, tc := range cases {
		got, err := parseArch(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzParseArch(f *testing.F) {
	for _, s := range []string{"13-10-1", "2--3-1", "2,3", "-1", "2-3-1-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sizes, err := parseArch(s)
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, len(sizes), 2)
		parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ',' })
		require.Len(t, sizes, len(parts), "no part dropped")
		for i, n := range sizes {
			require.Positive(t, n)
			require.Equal(t, strconv.Itoa(n), strings.TrimLeft(strings.TrimSpace(parts[i]), "+0"), "size %d of %q", i, s)
		}
	})
}

func TestParseList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"a", []string{"a"}, ""},
		{" a , b ", []string{"a", "b"}, ""},
		{"a,,b", nil, "item 2 of 3 is empty"},
		{"a,", nil, "item 2 of 2 is empty"},
		{",a", nil, "item 1 of 2 is empty"},
		{"a,a", nil, "named twice"},
	}
	for _, tc := range cases {
		got, err := parseList("--features", tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			var ee *exitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, exitUsage, ee.code)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// TestEstimateMemory checks the estimate's parts against hand counts and
// that checkMemory refuses only what does not fit.
func TestEstimateMemory(t *testing.T) {
	cases := []struct {
		name            string
		sizes           []int
		bias            bool
		n               int
		solver          string
		jacobi          bool
		weights, curv   float64 // in float64 values
		activationUnits float64 // Σ d_j × N × copies
	}{
		{"bp", []int{2, 3, 1}, false, 10, "bp", false, 8 * (6 + 3), 0, 8 * 6 * 10},
		{"bias", []int{2, 3, 1}, true, 10, "gd", false, 8 * (9 + 4), 0, 8 * 6 * 10},
		{"lm explicit", []int{2, 3, 1}, false, 10, "lm", false, 8 * 9, 2 * 36, 20 * 6 * 10},
		{"lm jacobi sums blocks", []int{2, 3, 1}, false, 10, "lm", true, 8 * 9, 2 * (36 + 9), 20 * 6 * 10},
		{"lm CG above 1000 weights", []int{2, 1000, 1}, false, 1, "lm", false, 8 * 3000, 2 * 1000 * 1000, 20 * 1003},
		{"exact-bcd always explicit", []int{2, 1000, 1}, false, 1, "exact-bcd", false, 8 * 3000, 2 * 2000 * 2000, 20 * 1003},
		{"adagrad state", []int{2, 3, 1}, false, 10, "adagrad", false, 10 * 9, 0, 8 * 6 * 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			est := estimateMemory(tc.sizes, tc.bias, tc.n, tc.n, tc.solver, tc.jacobi)
			assert.Equal(t, 8*tc.weights, est.weights)
			assert.Equal(t, 8*tc.curv, est.curvature)
			xy := 2 * float64(tc.sizes[0]+tc.sizes[len(tc.sizes)-1]) * float64(tc.n)
			assert.Equal(t, 8*(tc.activationUnits+xy), est.activations)
		})
	}
	defer func(f func() (float64, bool)) { memAvailable = f }(memAvailable)
	huge := estimateMemory([]int{2, 100000000, 1}, false, 4, 4, "lm", false)
	assert.Greater(t, huge.total(), 19e9, "2-100000000-1 needs more than 19 GB")
	memAvailable = func() (float64, bool) { return 8 << 30, true }
	err := checkMemory(huge)
	assert.ErrorContains(t, err, "8 GiB available")
	assert.ErrorContains(t, err, "needs about")
	assert.NoError(t, checkMemory(estimateMemory([]int{13, 10, 10, 10, 1}, false, 252, 252, "lm", false)))
	memAvailable = func() (float64, bool) { return 0, false } // unknown: refuse only the impossible
	assert.NoError(t, checkMemory(huge))
	assert.ErrorContains(t, checkMemory(memEstimate{weights: 1e18}), "more than any machine")
}

// TestMemAvailableReadsProc checks the /proc/meminfo probe where it exists.
func TestMemAvailableReadsProc(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	v, ok := memAvailable()
	require.True(t, ok)
	assert.Positive(t, v)
	assert.Less(t, v, math.Pow(2, 50))
}

// TestHelpShowsNoGoTypes: flag placeholders are words for the user
// (FILE, N, RULE), not Go types, and no empty default is printed.
func TestHelpShowsNoGoTypes(t *testing.T) {
	goTypes := regexp.MustCompile(`--[a-z-]+ (string|strings|float|float64|float64Slice|stringSlice|int|uint|uint64|duration)\b`)
	for _, args := range [][]string{{"--help"}, {"train", "--help"}, {"predict", "--help"}, {"solvers", "--help"}, {"version", "--help"}} {
		r := runInProcess(t, context.Background(), args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.NotRegexp(t, goTypes, r.stdout, "%v", args)
		assert.NotContains(t, r.stdout, "(default [])", "%v", args)
		assert.NotContains(t, r.stdout, "Slice", "%v", args)
	}
	r := runInProcess(t, context.Background(), "train", "--help")
	for _, want := range []string{"--iters N", "block updates", "--sweeps N", "N×J block updates", "--data FILE", "--features LIST", "standardised"} {
		assert.Contains(t, r.stdout, want)
	}
}

// TestSweepsAndIters: --iters counts block updates, --sweeps N×J of them,
// with one or (Jacobi) all blocks per iteration.
func TestSweepsAndIters(t *testing.T) {
	cases := []struct {
		args          []string
		iters, blocks int
	}{
		{[]string{"--iters", "7"}, 7, 7},
		{[]string{"--sweeps", "3"}, 12, 12},
		{[]string{"--sweeps", "3", "--blocks", "jacobi"}, 3, 12},
		{[]string{"--iters", "9", "--blocks", "jacobi"}, 2, 8},
		{[]string{"--iters", "2", "--blocks", "jacobi"}, 1, 4},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"train", "--data", "bodyfat", "--solver", "gd"}, tc.args...)
			r := runInProcess(t, context.Background(), args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "iterations:  "+strconv.Itoa(tc.iters)+" ("+strconv.Itoa(tc.blocks)+" block updates, J = 4 blocks)")
		})
	}
	assert.Equal(t, []int{12, 12}, func() []int { a, b := runLength(true, 500, 3, 4, false); return []int{a, b} }())
}

// TestHistoryBlocksMatchLibrary: the history file's blocks are the
// library's Record.Blocks (0-based), with the block names beside them.
func TestHistoryBlocksMatchLibrary(t *testing.T) {
	for _, rule := range []string{"cyclic", "jacobi", "random"} {
		t.Run(rule, func(t *testing.T) {
			hist := filepath.Join(t.TempDir(), "h.csv")
			var lib [][]int
			testHookRecord = func(r solvers.Record) { lib = append(lib, append([]int(nil), r.Blocks...)) }
			defer func() { testHookRecord = nil }()
			r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "8", "--blocks", rule, "--history", hist)
			require.Equal(t, 0, r.code, r.stderr)
			recs, err := csv.NewReader(mustOpen(t, hist)).ReadAll()
			require.NoError(t, err)
			require.Equal(t, historyHeader, recs[0])
			require.Len(t, recs[1:], len(lib))
			for i, rec := range recs[1:] {
				var blocks, names []string
				for _, j := range lib[i] {
					blocks = append(blocks, strconv.Itoa(j))
					names = append(names, "W"+strconv.Itoa(j+1))
				}
				assert.Equal(t, strings.Join(blocks, ";"), rec[1], "row %d", i+1)
				assert.Equal(t, strings.Join(names, ";"), rec[2], "row %d", i+1)
			}
		})
	}
}

// TestFilesMode0644: every file bsum writes gets mode 0644 under umask 022.
func TestFilesMode0644(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	save, hist, plot, out := filepath.Join(dir, "m.json"), filepath.Join(dir, "h.csv"), filepath.Join(dir, "c.png"), filepath.Join(dir, "p.csv")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "3", "--save", save, "--history", hist, "--plot", plot)
	require.Equal(t, 0, r.code, r.stderr)
	p := runInProcess(t, context.Background(), "predict", "--model", save, "--data", "bodyfat", "--out", out)
	require.Equal(t, 0, p.code, p.stderr)
	for _, path := range []string{save, hist, plot, out} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), path)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no temporary file left behind")
}

// TestCertifiedOnlyWhenNormal: "certified: yes" only for a run that ended
// by a stop rule with a certified method; a failed or interrupted run says
// so, in the summary and in the model file.
func TestCertifiedOnlyWhenNormal(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name      string
		args      []string
		cancelAt  int
		code      int
		summary   string
		certified string
	}{
		{"normal", []string{"--solver", "lm", "--iters", "3"}, 0, 0, "certified:   yes", "true"},
		{"uncertified", []string{"--solver", "bp-clr", "--iters", "3"}, 0, 0, "certified:   no (the step rule violates", "false"},
		{"diverged", []string{"--activation", "softplus", "--solver", "gd", "--gamma", "1e-300", "--iters", "5"}, 0, 1, "certified:   no: the run failed", "false"},
		{"interrupted", []string{"--solver", "lm", "--iters", "1000"}, 2, 130, "certified:   no: the run did not finish (canceled)", "false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelAt > 0 {
				testHookRecord = func(r solvers.Record) {
					if r.K == tc.cancelAt {
						cancel()
					}
				}
				defer func() { testHookRecord = nil }()
			}
			model := filepath.Join(dir, tc.name+".json")
			r := runInProcess(t, ctx, append([]string{"train", "--data", "bodyfat", "--save", model}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stdout, tc.summary)
			m, err := models.Load(model)
			require.NoError(t, err)
			assert.Equal(t, tc.certified, m.Meta["certified"])
		})
	}
}

// TestExactBCDNamesTheFlag: exact-bcd without a Tikhonov term says which
// flag fixes it, not which library type.
func TestExactBCDNamesTheFlag(t *testing.T) {
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--kind", "deep-linear", "--arch", "13-5-1", "--solver", "exact-bcd", "--iters", "3")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--tikhonov")
	for _, lib := range []string{"graph.Tikhonov", "Proximal", "surrogate:"} {
		assert.NotContains(t, r.stderr, lib)
	}
	ok := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--kind", "deep-linear", "--arch", "13-5-1", "--solver", "exact-bcd", "--iters", "3", "--tikhonov", "1e-6")
	assert.Equal(t, 0, ok.code, ok.stderr)
}

// TestSaveFallback: when --save cannot be written at the end (its folder
// vanished during training), the weights go to a file in the working
// directory, whose name is printed, and the exit code is 1.
func TestSaveFallback(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	outDir := filepath.Join(t.TempDir(), "out")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	testHookRecord = func(r solvers.Record) {
		if r.K == 1 {
			require.NoError(t, os.RemoveAll(outDir))
		}
	}
	defer func() { testHookRecord = nil }()
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "3", "--save", filepath.Join(outDir, "m.json"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "saving the model")
	matches, err := filepath.Glob(filepath.Join(work, "bsum-model-*.json"))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	name := filepath.Base(matches[0])
	assert.Contains(t, r.stderr, "saved to "+name+" instead")
	assert.Contains(t, r.stdout, "model:       "+name)
	m, err := models.Load(matches[0])
	require.NoError(t, err)
	assert.Equal(t, "3", m.Meta["iterations"])
}

// TestUnwritableOutputRefusedBeforeTraining: an output folder that cannot
// take a new file is found before training (exit 2, no run).
func TestUnwritableOutputRefusedBeforeTraining(t *testing.T) {
	ro := t.TempDir()
	require.NoError(t, os.Chmod(ro, 0o555))
	defer os.Chmod(ro, 0o755)
	if f, err := os.CreateTemp(ro, "probe"); err == nil { // root ignores permissions
		f.Close()
		os.Remove(f.Name())
		t.Skip("running with privileges that ignore folder permissions")
	}
	ran := false
	testHookRecord = func(solvers.Record) { ran = true }
	defer func() { testHookRecord = nil }()
	for _, flag := range []string{"--save", "--history", "--plot"} {
		name := "out.csv"
		if flag == "--plot" {
			name = "out.png"
		}
		r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "3", flag, filepath.Join(ro, name))
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, "cannot write in folder")
	}
	r := runInProcess(t, context.Background(), "predict", "--model", trainModel(t, t.TempDir()), "--data", "bodyfat", "--out", filepath.Join(ro, "p.csv"))
	assert.Equal(t, 2, r.code, r.stderr)
	assert.False(t, ran, "refused before training")
}

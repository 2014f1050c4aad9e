package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

// binary runs the built bsum binary as a user would.
type binary struct {
	path string
	dir  string // working directory
}

func (b binary) run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(b.path, args...)
	cmd.Dir = b.dir
	var out, errw bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errw
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "running bsum: %v", err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errw.String()}
}

// TestEndToEnd builds the binary once and runs it as a user would.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "bsum")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	build := exec.Command("go", "build", "-o", exe, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	work := t.TempDir()
	bin := binary{path: exe, dir: work}

	t.Run("train and predict", func(t *testing.T) {
		r := bin.run(t, "train", "--data", "bodyfat", "--arch", "13-10-10-10-1", "--solver", "lm",
			"--iters", "20", "--save", "m.json", "--plot", "c.png", "--history", "h.csv")
		require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
		assert.Empty(t, r.stderr, "no progress bar or messages off a terminal")
		for _, want := range []string{"status:      iteration limit", "iterations:  20 (20 block updates, J = 4 blocks)", "final f:", "final NMSE:", "wall time:", "certified:   yes", "model:       m.json", "history:     h.csv", "plot:        c.png"} {
			assert.Contains(t, r.stdout, want)
		}

		checkPNG(t, filepath.Join(work, "c.png"))

		data, err := os.ReadFile(filepath.Join(work, "h.csv"))
		require.NoError(t, err)
		header, rows := readCSV(t, string(data), 1, 2)
		assert.Equal(t, historyHeader, header)
		require.Len(t, rows, 20)
		for i, row := range rows {
			assert.Equal(t, float64(i+1), row[0], "k")
			assert.Positive(t, row[4], "nmse")
		}

		m, err := models.Load(filepath.Join(work, "m.json"))
		require.NoError(t, err)
		assert.Equal(t, []int{13, 10, 10, 10, 1}, m.Spec.Sizes)
		require.NotNil(t, m.Scaler)
		for _, key := range []string{"solver", "step", "iterations", "status", "date"} {
			assert.NotEmpty(t, m.Meta[key], key)
		}
		assert.Equal(t, "lm", m.Meta["solver"])
		assert.Equal(t, "20", m.Meta["iterations"])
		_, err = time.Parse(time.RFC3339, m.Meta["date"])
		assert.NoError(t, err)

		csvPath := writeBodyFatRows(t, work, 6)
		p := bin.run(t, "predict", "--model", "m.json", "--data", csvPath)
		require.Equal(t, 0, p.code, "stderr: %s", p.stderr)
		header, preds := readCSV(t, p.stdout)
		assert.Equal(t, []string{"BodyFat"}, header)
		require.Len(t, preds, 6)
		for _, row := range preds {
			assert.GreaterOrEqual(t, row[0], 0.0, "BodyFat %")
			assert.LessOrEqual(t, row[0], 50.0, "BodyFat %")
		}

		p = bin.run(t, "predict", "--model", "m.json", "--data", csvPath, "--out", "preds.csv")
		require.Equal(t, 0, p.code, "stderr: %s", p.stderr)
		written, err := os.ReadFile(filepath.Join(work, "preds.csv"))
		require.NoError(t, err)
		assert.Equal(t, strings.Count(string(written), "\n"), 7)
	})

	t.Run("bad inputs", func(t *testing.T) {
		model := trainModel(t, work)
		for _, tc := range exitCases(t, t.TempDir(), model) {
			if tc.inProcess {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				r := bin.run(t, tc.args...)
				assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
				text := r.stderr
				if tc.code == 0 {
					text = r.stdout
				}
				for _, w := range tc.want {
					assert.Contains(t, text, w)
				}
			})
		}
	})

	t.Run("architecture too large for memory", func(t *testing.T) {
		est := estimateMemory([]int{2, 100000000, 1}, false, 4, 4, "lm", false)
		if avail, ok := memAvailable(); !ok || avail > est.total()/2 {
			t.Skip("the machine might hold this run")
		}
		csvPath := writeFile(t, work, "tiny.csv", "a,b,y\n1,2,3\n2,5,6\n3,7,9\n4,1,2\n")
		r := bin.run(t, "train", "--data", csvPath, "--target", "y", "--arch", "2-100000000-1")
		assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
		assert.Contains(t, r.stderr, "needs about")
		assert.Contains(t, r.stderr, "available (MemAvailable")
		assert.NotContains(t, r.stderr, "out of memory")
	})

	t.Run("solvers", func(t *testing.T) {
		r := bin.run(t, "solvers")
		require.Equal(t, 0, r.code, r.stderr)
		for _, e := range solvers.Catalog() {
			assert.Contains(t, r.stdout, e.Name)
		}
	})

	t.Run("SIGINT", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no SIGINT on Windows")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "train", "--data", "bodyfat", "--iters", "100000", "--save", "sig.json", "--history", "sig.csv")
		cmd.Dir = work
		var out, errw bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errw
		require.NoError(t, cmd.Start())
		time.Sleep(time.Second)
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		err := cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "stderr: %s", errw.String())
		assert.Equal(t, 130, ee.ExitCode(), "stderr: %s", errw.String())
		assert.Contains(t, errw.String(), "interrupted after")
		assert.Contains(t, errw.String(), "saved the weights reached so far to sig.json")
		assert.Contains(t, out.String(), "status:      canceled")
		m, err := models.Load(filepath.Join(work, "sig.json"))
		require.NoError(t, err)
		assert.Equal(t, "canceled", m.Meta["status"])
	})
}

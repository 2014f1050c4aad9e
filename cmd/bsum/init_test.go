package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
)

// TestInitResumesTheRun: training 12 iterations, then --init for 8 more,
// gives bit for bit the weights of one 20-iteration run, and the two
// histories concatenate (k = 1..12, then 13..20).
func TestInitResumesTheRun(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, solver := range [][]string{{"--solver", "gd", "--gamma", "2"}, {"--solver", "bp", "--step", "harmonic:1"}} {
		t.Run(solver[1], func(t *testing.T) {
			common := append([]string{"train", "--data", "bodyfat", "--quiet", "--seed", "3"}, solver...)
			run := func(args ...string) {
				r := runInProcess(t, context.Background(), append(append([]string{}, common...), args...)...)
				require.Equal(t, 0, r.code, r.stderr)
			}
			run("--iters", "20", "--save", p("whole.json"))
			run("--iters", "12", "--save", p("first.json"), "--history", p("h1.csv"))
			run("--iters", "8", "--init", p("first.json"), "--save", p("second.json"), "--history", p("h2.csv"))

			whole, err := models.Load(p("whole.json"))
			require.NoError(t, err)
			second, err := models.Load(p("second.json"))
			require.NoError(t, err)
			assert.Equal(t, whole.Weights, second.Weights, "resumed weights equal one run")
			assert.Equal(t, 20, second.Iter)
			assert.Equal(t, []string{"1", "12"}, firstLastK(t, p("h1.csv")))
			assert.Equal(t, []string{"13", "20"}, firstLastK(t, p("h2.csv")))
		})
	}
}

func firstLastK(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 1)
	return []string{rows[1][0], rows[len(rows)-1][0]}
}

// TestInitRefusesOtherNetworksAndData: --init is bad input (exit 2) when
// the file is missing, its blocks do not fit the network, or it was
// trained on differently scaled data.
func TestInitRefusesOtherNetworksAndData(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--quiet", "--iters", "2", "--save", m)
	require.Equal(t, 0, r.code, r.stderr)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"--init", filepath.Join(dir, "none.json")}, "--init"},
		{"other architecture", []string{"--init", m, "--arch", "13-5-1"}, "does not fit the network"},
		{"other features", []string{"--init", m, "--arch", "2-10-10-10-1", "--features", "Age,Weight"}, "does not fit"},
		{"other target scaling", []string{"--init", m, "--output-activation", "tanh"}, "scaled differently"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"train", "--data", "bodyfat", "--quiet", "--iters", "2"}, tc.args...)
			r := runInProcess(t, context.Background(), args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

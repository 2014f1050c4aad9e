package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

func exportRun(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = run(context.Background(), append([]string{"export"}, args...), strings.NewReader(""), &out, &errw)
	assert.Empty(t, out.String(), "export prints nothing on standard output")
	return code, errw.String()
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	scaler := &dataset.Scaler{FeatureNames: []string{"a", "b"}, Mean: []float64{1, 2}, Std: []float64{3, 4},
		TargetNames: []string{"y"}, TargetMode: dataset.TargetStandard, TargetMean: []float64{5}, TargetStd: []float64{6}}
	spec := models.Spec{Sizes: []int{2, 3, 1}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}
	m, err := models.NewModel(spec, graph.Weights{{1, 2, 3, 4, 5, 6, 7, 8, 9}, {0.5, -0.5, 0.25, 1}}, scaler)
	require.NoError(t, err)
	builtin := filepath.Join(dir, "m.json")
	require.NoError(t, m.Save(builtin))

	// A custom network's model exports without its build function.
	net, err := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "hidden", 2, x, layers.Softplus())
		return layers.Dense(b, "head", 1, h, layers.Identity()), b.Err()
	}, losses.L2())
	require.NoError(t, err)
	cm, err := models.FromNet(net, graph.Weights{{1, 2, 3, 4}, {-1, 1}}, nil)
	require.NoError(t, err)
	custom := filepath.Join(dir, "custom.json")
	require.NoError(t, cm.Save(custom))
	bad := writeExportFile(t, dir, "bad.json", `{"format":"bsum-model","version":9}`)

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"built-in", []string{"--model", builtin, "--npz", filepath.Join(dir, "w.npz")}, exitOK, "wrote 2 weight blocks (W1 3×3, W2 1×4) and the scaler (standard target)"},
		{"custom", []string{"--model", custom, "--npz", filepath.Join(dir, "c.npz")}, exitOK, "wrote 2 weight blocks (hidden 2×2, head 1×2) and no scaler"},
		{"no model", []string{"--npz", filepath.Join(dir, "x.npz")}, exitUsage, "missing --model"},
		{"no npz", []string{"--model", builtin}, exitUsage, "missing --npz"},
		{"argument", []string{"--model", builtin, "--npz", filepath.Join(dir, "x.npz"), "extra"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"--model", builtin, "--npy", "x"}, exitUsage, "unknown flag"},
		{"model not found", []string{"--model", filepath.Join(dir, "nope.json"), "--npz", filepath.Join(dir, "x.npz")}, exitUsage, "file not found"},
		{"invalid model", []string{"--model", bad, "--npz", filepath.Join(dir, "x.npz")}, exitUsage, "version 9"},
		{"npz is a folder", []string{"--model", builtin, "--npz", dir}, exitUsage, "is a folder"},
		{"no such folder", []string{"--model", builtin, "--npz", filepath.Join(dir, "missing", "w.npz")}, exitFailure, "does the folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := exportRun(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.msg)
		})
	}
	_, err = os.Stat(filepath.Join(dir, "x.npz"))
	assert.ErrorIs(t, err, os.ErrNotExist, "failed exports write nothing")

	z, err := models.LoadNPZ(filepath.Join(dir, "w.npz"))
	require.NoError(t, err)
	got, err := z.WeightsFor(m.Net())
	require.NoError(t, err)
	assert.Equal(t, m.Weights, got)
	assert.Equal(t, scaler, z.Scaler)
	z, err = models.LoadNPZ(filepath.Join(dir, "c.npz"))
	require.NoError(t, err)
	got, err = z.WeightsFor(net)
	require.NoError(t, err)
	assert.Equal(t, cm.Weights, got)
	assert.Nil(t, z.Scaler)
}

func writeExportFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

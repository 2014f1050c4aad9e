package models

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/models/dataset"
)

func TestSpecs(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		blocks []string
		sizes  []int // block sizes
		chain  bool
	}{
		{"bodyfat", BodyFat(), []string{"W1", "W2", "W3", "W4"}, []int{130, 100, 100, 10}, true},
		{"mlp-bias", Spec{Sizes: []int{3, 4, 2}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}, []string{"W1", "W2"}, []int{16, 10}, true},
		{"deep-linear", DeepLinear(3, 3, 2), []string{"W1", "W2"}, []int{9, 6}, true},
		{"conv", Conv("softplus", 8, 8, 4), []string{"W1", "W2"}, []int{64, 32}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := tc.spec.Net()
			require.NoError(t, err)
			var names []string
			var sizes []int
			for _, b := range net.Blocks() {
				names = append(names, b.Name)
				sizes = append(sizes, b.Size())
			}
			assert.Equal(t, tc.blocks, names)
			assert.Equal(t, tc.sizes, sizes)
			_, ok := net.Chain()
			assert.Equal(t, tc.chain, ok)
		})
	}
}

func TestConvWeightsStartToeplitz(t *testing.T) {
	net, err := Conv("softplus", 6, 6, 3).Net()
	require.NoError(t, err)
	w := net.Init(rand.New(rand.NewPCG(1, 1)))
	for j, b := range net.Blocks() {
		proj := append([]float64(nil), w[j]...)
		layers.ToeplitzSet{Rows: b.Rows, Cols: b.Cols}.Project(proj)
		assert.InDeltaSlice(t, w[j], proj, 1e-15, "block %s starts on the subspace", b.Name)
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		msg  string
	}{
		{Spec{Sizes: []int{3}}, "need d0"},
		{Spec{Sizes: []int{3, 0}}, "size 0"},
		{Spec{Sizes: []int{3, 1}, Activation: "nope"}, "nope"},
		{Spec{Sizes: []int{3, 1}, Loss: "nope"}, "nope"},
		{Spec{Sizes: []int{3, 1}, Kind: "rnn"}, "unknown kind"},
		{Spec{Sizes: []int{3, 1}, Tikhonov: -1}, "must be ≥ 0"},
		{Spec{Kind: KindConv, Sizes: []int{3, 1}, Bias: true}, "no bias"},
	}
	for _, tc := range tests {
		err := tc.spec.Validate()
		require.Error(t, err, "%+v", tc.spec)
		assert.Contains(t, err.Error(), tc.msg)
	}
	_, err := ParseSizes("13-x-1")
	assert.ErrorIs(t, err, ErrSpec)
	s, err := ParseSizes("13-10-10-10-1")
	require.NoError(t, err)
	assert.Equal(t, []int{13, 10, 10, 10, 1}, s)
}

func trainedBodyFat(t *testing.T) (*Model, *dataset.Table) {
	t.Helper()
	tab, err := dataset.BodyFat()
	require.NoError(t, err)
	set, err := tab.Build(dataset.Config{Features: dataset.BodyFatFeatures(), Targets: []string{dataset.BodyFatTarget}, Target: dataset.TargetMinMax, Range: dataset.RangeLogistic})
	require.NoError(t, err)
	net, err := BodyFat().Net()
	require.NoError(t, err)
	w := net.Init(rand.New(rand.NewPCG(3, 3)))
	m, err := NewModel(BodyFat(), w, set.Scaler)
	require.NoError(t, err)
	return m, tab
}

func TestSaveLoadPredict(t *testing.T) {
	m, tab := trainedBodyFat(t)
	path := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, m.Save(path))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, m.Weights, back.Weights)
	assert.Equal(t, m.Spec, back.Spec)
	p1, n, err := m.PredictTable(tab)
	require.NoError(t, err)
	p2, _, err := back.PredictTable(tab)
	require.NoError(t, err)
	assert.Equal(t, 252, n)
	assert.Equal(t, p1, p2)
	for _, v := range p1 {
		assert.True(t, v >= 0 && v <= 47.5+1e-9, "logistic output maps into the target's range, got %v", v)
	}
}

func TestReadRejectsBadFiles(t *testing.T) {
	m, _ := trainedBodyFat(t)
	var buf bytes.Buffer
	require.NoError(t, m.Write(&buf))
	good := buf.String()
	tests := map[string]string{
		"empty":         "",
		"truncated":     good[:len(good)/2],
		"wrong format":  strings.Replace(good, `"bsum-model"`, `"other"`, 1),
		"wrong version": strings.Replace(good, `"version": 1`, `"version": 9`, 1),
		"unknown field": strings.Replace(good, `"format"`, `"extra": 1, "format"`, 1),
		"bad spec":      strings.Replace(good, `"logistic"`, `"nope"`, 1),
		"short weights": strings.Replace(good, `"weights": [`, `"weights": [[1],`, 1),
		"trailing":      good + "{}",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Read(strings.NewReader(text))
			assert.ErrorIs(t, err, ErrModelFile)
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}

func FuzzRead(f *testing.F) {
	m, _ := trainedBodyFatF(f)
	var buf bytes.Buffer
	_ = m.Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"bsum-model","version":1,"spec":{"sizes":[1,1],"loss":"l2"},"weights":[[0.5]]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data))
		if err == nil {
			// A file that reads must be usable.
			x := make([]float64, m.Net().In())
			if _, err := m.Predict(x, 1); err != nil {
				t.Fatalf("valid model cannot predict: %v", err)
			}
		}
	})
}

func trainedBodyFatF(f *testing.F) (*Model, error) {
	net, err := BodyFat().Net()
	if err != nil {
		f.Fatal(err)
	}
	return NewModel(BodyFat(), net.Init(rand.New(rand.NewPCG(1, 1))), nil)
}

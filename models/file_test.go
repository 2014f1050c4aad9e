package models

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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
)

// residual is a custom network no Spec describes: a dense layer, a square
// block added back to its input (skip connection), and a logistic output.
func residual(hidden int) graph.BuildFunc {
	return func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "W1", hidden, x, layers.Tanh(), layers.WithBias())
		skip := b.Weight("skip", hidden, hidden)
		if b.Err() != nil {
			return nil, b.Err()
		}
		h = G.Must(G.Add(G.Must(G.Mul(skip, h)), h))
		return layers.Dense(b, "out", 1, h, layers.Logistic()), b.Err()
	}
}

func residualNet(t testing.TB, in, hidden int, opts ...graph.Option) *graph.Net {
	t.Helper()
	net, err := graph.New(in, residual(hidden), losses.L2(), opts...)
	require.NoError(t, err)
	return net
}

// testScaler is a scaler for in features and one target in the given mode.
func testScaler(in int, mode dataset.TargetMode) *dataset.Scaler {
	s := &dataset.Scaler{TargetNames: []string{"y"}, TargetMode: mode}
	for i := range in {
		s.FeatureNames = append(s.FeatureNames, "x"+strconv.Itoa(i))
		s.Mean = append(s.Mean, 0.5*float64(i)-1)
		s.Std = append(s.Std, 1+0.25*float64(i))
	}
	switch mode {
	case dataset.TargetMinMax:
		s.Range = dataset.RangeLogistic
		s.TargetMin, s.TargetMax = []float64{-3}, []float64{40}
	case dataset.TargetStandard:
		s.TargetMean, s.TargetStd = []float64{20}, []float64{7.5}
	}
	return s
}

func randomInput(in, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, in*n)
	for i := range x {
		x[i] = 3 * rng.NormFloat64()
	}
	return x
}

func TestSaveLoadRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		spec   *Spec // nil: the custom residual net
		in     int
		scaler *dataset.Scaler
		opts   []graph.Option
	}{
		{name: "bodyfat minmax", spec: ptr(BodyFat()), in: 13, scaler: testScaler(13, dataset.TargetMinMax)},
		{name: "mlp bias standard", spec: &Spec{Sizes: []int{3, 4, 1}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2", Tikhonov: 1e-4}, in: 3, scaler: testScaler(3, dataset.TargetStandard)},
		{name: "deep linear no scaler", spec: ptr(DeepLinear(3, 2, 1)), in: 3},
		{name: "conv identity target", spec: ptr(Conv("softplus", 4, 4, 1)), in: 4, scaler: testScaler(4, dataset.TargetIdentity)},
		{name: "exponential loss params", spec: &Spec{Sizes: []int{2, 1}, Activation: "identity", Loss: "exponential", LossParams: []float64{2}, L1: 1e-3}, in: 2},
		{name: "custom residual", in: 2, scaler: testScaler(2, dataset.TargetStandard), opts: []graph.Option{graph.Tikhonov(1e-3), graph.BlockRegularizer("skip", 0.5, 0.25)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var net *graph.Net
			var m *Model
			var err error
			if tc.spec != nil {
				net, err = tc.spec.Net()
				require.NoError(t, err)
				m, err = NewModel(*tc.spec, net.Init(rand.New(rand.NewPCG(1, 2))), tc.scaler)
			} else {
				net = residualNet(t, tc.in, 3, tc.opts...)
				m, err = FromNet(net, net.Init(rand.New(rand.NewPCG(1, 2))), tc.scaler)
			}
			require.NoError(t, err)
			m.Iter = 123
			m.Meta = map[string]string{"solver": "lm", "note": "ünïcode ✓"}
			path := filepath.Join(t.TempDir(), "m.json")
			require.NoError(t, m.Save(path))

			var back *Model
			if tc.spec != nil {
				back, err = Load(path)
			} else {
				back, err = LoadNet(path, residualNet(t, tc.in, 3, tc.opts...))
			}
			require.NoError(t, err)
			assert.Equal(t, FileVersion, back.Version)
			assert.Equal(t, m.Spec, back.Spec)
			assert.Equal(t, m.Blocks, back.Blocks)
			assert.Equal(t, m.Weights, back.Weights, "weights round-trip bitwise")
			assert.Equal(t, m.Scaler, back.Scaler)
			assert.Equal(t, m.Loss, back.Loss)
			assert.Equal(t, tc.in, back.In)
			assert.Equal(t, 123, back.Iter)
			assert.Equal(t, m.Meta, back.Meta)
			x := randomInput(tc.in, 5, 3)
			p1, err := m.Predict(x, 5)
			require.NoError(t, err)
			p2, err := back.Predict(x, 5)
			require.NoError(t, err)
			assert.Equal(t, p1, p2)
			if tc.spec != nil {
				// A spec model loads as a custom one too, given its network.
				again, err := LoadNet(path, net)
				require.NoError(t, err)
				assert.Equal(t, m.Weights, again.Weights)
			} else {
				// Without its network a custom model reads, but cannot predict.
				raw, err := Load(path)
				require.NoError(t, err)
				assert.Nil(t, raw.Net())
				_, err = raw.Predict(x, 5)
				assert.ErrorContains(t, err, "attach the network")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestLoadVersion1Files(t *testing.T) {
	// Written by bsum before the version 2 format (commit 6d94ae7):
	//   bsum train --data bodyfat --arch 13-4-1 --solver lm --iters 15 --save v1-bodyfat.json
	//   bsum train --data bodyfat --arch 13-3-1 --activation tanh --output-activation identity \
	//       --bias --solver lm --iters 10 --save v1-bodyfat-bias.json
	// with the predictions of 'bsum predict --data bodyfat' of that build.
	tab, err := dataset.BodyFat()
	require.NoError(t, err)
	for _, tc := range []struct {
		file  string
		iter  int
		sizes []int
	}{
		{"v1-bodyfat", 15, []int{13, 4, 1}},
		{"v1-bodyfat-bias", 10, []int{13, 3, 1}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", tc.file+".json"))
			require.NoError(t, err)
			assert.Equal(t, 1, m.Version)
			assert.Equal(t, tc.sizes, m.Spec.Sizes)
			assert.Equal(t, tc.iter, m.Iter, "iterations recovered from the metadata")
			want := readPredictions(t, filepath.Join("testdata", tc.file+".predictions.csv"))
			got, n, err := m.PredictTable(tab)
			require.NoError(t, err)
			require.Equal(t, len(want), n)
			for i := range want {
				assert.InEpsilon(t, want[i], got[i], 1e-12, "row %d", i)
			}
			// Saving upgrades to version 2 without changing a prediction.
			path := filepath.Join(t.TempDir(), "v2.json")
			require.NoError(t, m.Save(path))
			text, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Contains(t, string(text), `"version": 2`)
			up, err := Load(path)
			require.NoError(t, err)
			again, _, err := up.PredictTable(tab)
			require.NoError(t, err)
			assert.Equal(t, got, again)
			assert.Equal(t, m.Meta, up.Meta)
		})
	}
}

func readPredictions(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	var out []float64
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[0], 64)
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestAttachMismatch(t *testing.T) {
	saved := residualNet(t, 2, 3, graph.Tikhonov(1e-3))
	m, err := FromNet(saved, saved.Init(rand.New(rand.NewPCG(5, 5))), nil)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, m.Write(&buf))
	file := buf.Bytes()

	other := func(build graph.BuildFunc, in int, loss graph.Loss, opts ...graph.Option) *graph.Net {
		net, err := graph.New(in, build, loss, opts...)
		require.NoError(t, err)
		return net
	}
	renamed := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "W1", 3, x, layers.Tanh(), layers.WithBias())
		h = layers.Dense(b, "W2", 3, h, layers.Tanh())
		return layers.Dense(b, "out", 1, h, layers.Logistic()), b.Err()
	}
	reordered := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		// The same blocks declared in another order.
		skip := b.Weight("skip", 3, 3)
		out := b.Weight("out", 1, 3)
		h := layers.Dense(b, "W1", 3, x, layers.Tanh(), layers.WithBias())
		h = G.Must(G.Add(G.Must(G.Mul(skip, h)), h))
		return G.Must(G.Mul(out, h)), b.Err()
	}
	tests := []struct {
		name  string
		net   *graph.Net
		want  MismatchError
		words []string
	}{
		{"missing and unexpected", other(renamed, 2, losses.L2(), graph.Tikhonov(1e-3)),
			MismatchError{Missing: []string{"W2"}, Unexpected: []string{"skip"}},
			[]string{`missing from the file: "W2"`, `unexpected in the file (the network has no such block): "skip"`}},
		{"shapes", residualNet(t, 2, 4, graph.Tikhonov(1e-3)),
			MismatchError{Shapes: []ShapeMismatch{{"W1", [2]int{3, 3}, [2]int{4, 3}}, {"skip", [2]int{3, 3}, [2]int{4, 4}}, {"out", [2]int{1, 3}, [2]int{1, 4}}}},
			[]string{`block "W1" is 3×3 in the file, 4×3 in the network`, `block "out" is 1×3 in the file, 1×4 in the network`}},
		{"input size", residualNet(t, 3, 3, graph.Tikhonov(1e-3)),
			MismatchError{Shapes: []ShapeMismatch{{"W1", [2]int{3, 3}, [2]int{3, 4}}}, Other: []string{"the input size is 2 in the file, 3 in the network"}},
			[]string{"the input size is 2 in the file, 3 in the network"}},
		{"loss", other(residual(3), 2, losses.CrossEntropy(), graph.Tikhonov(1e-3)),
			MismatchError{Other: []string{`the loss is "l2" in the file, "cross-entropy" in the network`}},
			[]string{`the loss is "l2" in the file, "cross-entropy" in the network`}},
		{"regulariser", residualNet(t, 2, 3, graph.Tikhonov(1e-3), graph.BlockRegularizer("skip", 1e-3, 0.5)),
			MismatchError{Other: []string{`block "skip" has regularisers (Tikhonov 0.001, L1 0) in the file, (0.001, 0.5) in the network`}},
			[]string{`block "skip" has regularisers`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNet(bytes.NewReader(file), tc.net)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMismatch)
			var mis *MismatchError
			require.True(t, errors.As(err, &mis))
			assert.Equal(t, tc.want, *mis)
			for _, w := range tc.words {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("reordered blocks attach by name", func(t *testing.T) {
		net := other(reordered, 2, losses.L2(), graph.Tikhonov(1e-3))
		back, err := ReadNet(bytes.NewReader(file), net)
		require.NoError(t, err)
		assert.Equal(t, []string{"skip", "out", "W1"}, blockNames(back.Blocks))
		for j, b := range back.Blocks {
			i, _ := saved.BlockIndex(b.Name)
			assert.Equal(t, m.Weights[i], back.Weights[j], b.Name)
		}
	})
	t.Run("WeightsFor ignores regularisers", func(t *testing.T) {
		w, err := m.WeightsFor(residualNet(t, 2, 3, graph.Tikhonov(0.5)))
		require.NoError(t, err)
		assert.Equal(t, m.Weights, w)
		_, err = m.WeightsFor(residualNet(t, 2, 4))
		assert.ErrorIs(t, err, ErrMismatch)
	})
}

func blockNames(bs []BlockInfo) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

func TestPredictUnits(t *testing.T) {
	// One identity block W (1×2) with standardised features and target:
	// y = σ_y · W·((x − μ)/s) + μ_y, computed here by hand.
	spec := Spec{Sizes: []int{2, 1}, Activation: "identity", Loss: "l2"}
	w := graph.Weights{{0.75, -2}}
	sc := testScaler(2, dataset.TargetStandard)
	m, err := NewModel(spec, w, sc)
	require.NoError(t, err)
	x := []float64{1, 2, -3, 4, 5, 6} // two features × three samples
	got, err := m.Predict(x, 3)
	require.NoError(t, err)
	for s := range 3 {
		z := 0.75*(x[s]-sc.Mean[0])/sc.Std[0] - 2*(x[3+s]-sc.Mean[1])/sc.Std[1]
		assert.InDelta(t, sc.TargetStd[0]*z+sc.TargetMean[0], got[s], 1e-13, "sample %d", s)
	}
	raw, err := m.Output(x, 3)
	require.NoError(t, err)
	for s := range 3 {
		assert.InDelta(t, 0.75*x[s]-2*x[3+s], raw[s], 1e-14, "Output takes scaled inputs")
	}
	noScaler, err := Predict(m.Net(), w, nil, x, 3)
	require.NoError(t, err)
	assert.Equal(t, raw, noScaler)
	for _, bad := range []struct {
		x []float64
		n int
	}{{x[:5], 3}, {x, 0}, {nil, 1}} {
		_, err := m.Predict(bad.x, bad.n)
		assert.ErrorIs(t, err, graph.ErrShape)
	}
	_, err = Predict(m.Net(), w, testScaler(3, dataset.TargetStandard), x, 3)
	assert.ErrorIs(t, err, graph.ErrShape)
}

func TestSaveRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	old := processStart.Add(-time.Hour)
	files := []struct {
		name    string
		mtime   time.Time
		removed bool
	}{
		{".bsum-model-123456", old, true},                                   // killed save of an earlier process
		{".bsum-model-9", old, true},                                        // any number of digits
		{".bsum-model-777", time.Now(), false},                              // this process's or a save in progress
		{".bsum-model-778", time.Now().Add(-10 * time.Second), false},       // untouched less than a minute
		{".bsum-model-12x", old, false},                                     // not bsum's pattern
		{".bsum-model-", old, false},                                        // no digits
		{"bsum-model-123", old, false},                                      // not hidden
		{".bsum-model-123.json", old, false},                                // a suffix
		{".bsum-npz-123", old, false},                                       // the other writer's prefix
		{".bsum-123.csv", old, false},                                       // the command line's own temporaries
		{"model.json", old, false},                                          // the user's files
		{".bsum-model-123456789012345678901", old, false},                   // too many digits
		{".bsum-model-00042", old.Add(-24 * time.Hour), true},               // leading zeros are digits
		{".bsum-model-4242", time.Now().Add(-2 * time.Minute), !oldStart()}, // depends on when the test binary started
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o600))
		require.NoError(t, os.Chtimes(p, f.mtime, f.mtime))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".bsum-model-55"), 0o755))
	require.NoError(t, os.Chtimes(filepath.Join(dir, ".bsum-model-55"), old, old))

	m := tinyModel(t)
	require.NoError(t, m.Save(filepath.Join(dir, "new.json")))
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if f.removed {
			assert.ErrorIs(t, err, os.ErrNotExist, "%s should be removed", f.name)
		} else {
			assert.NoError(t, err, "%s should be kept", f.name)
		}
	}
	st, err := os.Stat(filepath.Join(dir, ".bsum-model-55"))
	require.NoError(t, err, "folders are never removed")
	assert.True(t, st.IsDir())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".bsum-model-") {
			assert.Contains(t, []string{".bsum-model-777", ".bsum-model-778", ".bsum-model-12x", ".bsum-model-", ".bsum-model-123.json", ".bsum-model-123456789012345678901", ".bsum-model-55", ".bsum-model-4242"}, e.Name(), "the save left no temporary of its own")
		}
	}
	// The .npz writer cleans its own prefix only.
	require.NoError(t, m.SaveNPZ(filepath.Join(dir, "w.npz")))
	_, err = os.Stat(filepath.Join(dir, ".bsum-npz-123"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(filepath.Join(dir, ".bsum-model-12x"))
	assert.NoError(t, err)
}

// oldStart reports whether the process started more than two minutes ago,
// in which case a file untouched for two minutes is newer than the start.
func oldStart() bool { return time.Since(processStart) > 2*time.Minute }

func tinyModel(t testing.TB) *Model {
	t.Helper()
	m, err := NewModel(Spec{Sizes: []int{2, 1}, Activation: "logistic", Loss: "l2"}, graph.Weights{{0.5, -0.25}}, nil)
	require.NoError(t, err)
	return m
}

func TestSaveFileMode(t *testing.T) {
	dir := t.TempDir()
	// A file created with mode 0644 shows what the umask leaves of it.
	ref := filepath.Join(dir, "ref")
	f, err := os.OpenFile(ref, os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want, err := os.Stat(ref)
	require.NoError(t, err)
	m := tinyModel(t)
	for _, name := range []string{"m.json", "w.npz"} {
		p := filepath.Join(dir, name)
		if name == "m.json" {
			require.NoError(t, m.Save(p))
		} else {
			require.NoError(t, m.SaveNPZ(p))
		}
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, want.Mode().Perm(), st.Mode().Perm(), name)
	}
	// Saving over a folder fails and leaves nothing behind.
	require.Error(t, m.Save(dir))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}

func TestReadRejectsBadFiles(t *testing.T) {
	net := residualNet(t, 2, 2)
	custom, err := FromNet(net, net.Init(rand.New(rand.NewPCG(1, 1))), testScaler(2, dataset.TargetStandard))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, custom.Write(&buf))
	good := buf.String()
	spec := `{"format":"bsum-model","version":2,"spec":{"kind":"mlp","sizes":[2,1],"activation":"logistic","loss":"l2"},` +
		`"in":2,"out":1,"loss":{"name":"l2"},"blocks":[{"name":"W1","rows":1,"cols":2,"values":[0.5,-0.25]}]}`
	_, err = Read(strings.NewReader(good))
	require.NoError(t, err)
	_, err = Read(strings.NewReader(spec))
	require.NoError(t, err)

	first := func(s, old, new string) string {
		require.Contains(t, s, old)
		return strings.Replace(s, old, new, 1)
	}
	tests := map[string]string{
		"empty":                  "",
		"not an object":          "[1, 2]",
		"truncated":              good[:len(good)/2],
		"wrong format":           first(good, `"bsum-model"`, `"other"`),
		"wrong version":          first(good, `"version": 2`, `"version": 3`),
		"version 0":              first(good, `"version": 2`, `"version": 0`),
		"unknown field":          first(good, `"format"`, `"extra": 1, "format"`),
		"unknown block field":    first(good, `"rows"`, `"depth": 1, "rows"`),
		"trailing":               good + "{}",
		"no blocks":              `{"format":"bsum-model","version":2,"in":1,"out":1,"loss":{"name":"l2"},"blocks":[]}`,
		"zero rows":              first(good, `"rows": 2`, `"rows": 0`),
		"huge shape":             first(good, `"rows": 2`, `"rows": 100000000`),
		"values too long":        first(good, `"values": [`, `"values": [1e300, `),
		"values not numbers":     first(good, `"values": [`, `"values": ["1", `),
		"duplicate name":         first(good, `"name": "skip"`, `"name": "W1"`),
		"empty name":             first(good, `"name": "skip"`, `"name": ""`),
		"negative tikhonov":      first(good, `"rows": 2`, `"tikhonov": -1, "rows": 2`),
		"negative iter":          first(good, `"in": 2`, `"iter": -1, "in": 2`),
		"zero input":             first(good, `"in": 2`, `"in": 0`),
		"no loss":                first(good, `"name": "l2"`, `"name": ""`),
		"scaler size":            first(good, `"feature_names": [`, `"feature_names": ["extra", `),
		"scaler invalid":         first(good, `"std": [`, `"std": [-1, `),
		"spec other sizes":       first(spec, `"sizes":[2,1]`, `"sizes":[3,1]`),
		"spec other names":       first(spec, `"name":"W1"`, `"name":"V1"`),
		"spec bad activation":    first(spec, `"logistic"`, `"nope"`),
		"spec other loss":        first(spec, `"loss":"l2"}`, `"loss":"cross-entropy"}`),
		"spec other regularizer": first(spec, `"loss":"l2"}`, `"loss":"l2","tikhonov":0.5}`),
		"spec huge":              first(spec, `"sizes":[2,1]`, `"sizes":[100000000,100000000]`),
		"v1 short weights":       `{"format":"bsum-model","version":1,"spec":{"sizes":[1,1],"loss":"l2"},"weights":[[]]}`,
		"v1 unknown field":       `{"format":"bsum-model","version":1,"spec":{"sizes":[1,1],"loss":"l2"},"weights":[[1]],"blocks":[]}`,
		"v1 bad scaler":          `{"format":"bsum-model","version":1,"spec":{"sizes":[1,1],"loss":"l2"},"weights":[[1]],"scaler":{"feature_names":["a","b"],"mean":[0,0],"std":[1,1],"target_names":["y"],"target_mode":"identity","range":{"lo":0,"hi":0}}}`,
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Read(strings.NewReader(text))
			assert.ErrorIs(t, err, ErrModelFile)
		})
	}
	_, err = Load(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	v1 := `{"format":"bsum-model","version":1,"spec":{"sizes":[1,1],"loss":"l2"},"weights":[[0.5]],"meta":{"iterations":"7"}}`
	m, err := Read(strings.NewReader(v1))
	require.NoError(t, err)
	assert.Equal(t, 7, m.Iter)
	// Version 2: "iter" first, else the metadata the command line wrote.
	m, err = Read(strings.NewReader(strings.TrimSuffix(spec, "}") + `,"meta":{"iterations":"9"}}`))
	require.NoError(t, err)
	assert.Equal(t, 9, m.Iter)
	m, err = Read(strings.NewReader(strings.TrimSuffix(spec, "}") + `,"iter":3,"meta":{"iterations":"9"}}`))
	require.NoError(t, err)
	assert.Equal(t, 3, m.Iter)
}

func TestWriteRefusesInvalidModels(t *testing.T) {
	tests := map[string]func(m *Model){
		"nan weight":     func(m *Model) { m.Weights[0][0] = math.NaN() },
		"short weights":  func(m *Model) { m.Weights[0] = m.Weights[0][:1] },
		"negative iter":  func(m *Model) { m.Iter = -2 },
		"scaler size":    func(m *Model) { m.Scaler = testScaler(3, dataset.TargetIdentity) },
		"no blocks":      func(m *Model) { m.Blocks, m.Weights = nil, nil },
		"renamed to dup": func(m *Model) { m.Blocks = append(m.Blocks, m.Blocks[0]); m.Weights = append(m.Weights, m.Weights[0]) },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t)
			edit(m)
			var buf bytes.Buffer
			assert.ErrorIs(t, m.Write(&buf), ErrModelFile)
			assert.Error(t, m.Save(filepath.Join(t.TempDir(), "m.json")))
		})
	}
}

func TestResumeReturnsCopies(t *testing.T) {
	m := tinyModel(t)
	m.Iter = 40
	w, k := m.Resume()
	assert.Equal(t, 41, k)
	assert.Equal(t, m.Weights, w)
	w[0][0] = 99
	assert.NotEqual(t, 99.0, m.Weights[0][0], "Resume returns a copy")
}

func FuzzRead(f *testing.F) {
	// Seeds are small meaningful files in testdata/fuzz/FuzzRead (one per
	// feature: v1, v2 built-in, v2 custom net, each scaler mode); the
	// fuzzer mutates those rather than a large trained model.
	net := residualNet(f, 2, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrModelFile) {
				t.Fatalf("error does not wrap ErrModelFile: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := m.Write(&buf); err != nil {
			t.Fatalf("a model that reads cannot be written: %v", err)
		}
		back, err := Read(&buf)
		if err != nil {
			t.Fatalf("a written model does not read back: %v", err)
		}
		if len(back.Blocks) != len(m.Blocks) {
			t.Fatalf("round trip changed the blocks")
		}
		if m.Net() == nil {
			// A custom model attaches to a network or says what differs.
			if err := m.Attach(net); err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("attach: %v", err)
			}
			return
		}
		x := make([]float64, m.In)
		if _, err := m.Predict(x, 1); err != nil {
			t.Fatalf("valid model cannot predict: %v", err)
		}
	})
}

func TestPredictConcurrent(t *testing.T) {
	// Predict compiles a private program per call: concurrent calls on one
	// loaded model give the serial results (run with -race).
	net := residualNet(t, 2, 3)
	m, err := FromNet(net, net.Init(rand.New(rand.NewPCG(8, 8))), testScaler(2, dataset.TargetStandard))
	require.NoError(t, err)
	x := randomInput(2, 7, 1)
	want, err := m.Predict(x, 7)
	require.NoError(t, err)
	got := make([][]float64, 4)
	errs := make([]error, 4)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i], errs[i] = m.Predict(x, 7)
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i := range got {
		require.NoError(t, errs[i])
		assert.Equal(t, want, got[i])
	}
}

package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models/dataset"
)

func writeNPZ(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, m.WriteNPZ(&buf))
	return buf.Bytes()
}

func readNPZ(data []byte) (*NPZ, error) {
	return ReadNPZ(bytes.NewReader(data), int64(len(data)))
}

func TestNPZRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		spec   *Spec
		scaler *dataset.Scaler
	}{
		{"bodyfat minmax", ptr(BodyFat()), testScaler(13, dataset.TargetMinMax)},
		{"bias standard", &Spec{Sizes: []int{3, 4, 1}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}, testScaler(3, dataset.TargetStandard)},
		{"identity target", ptr(MLP("softplus", 2, 2, 1)), testScaler(2, dataset.TargetIdentity)},
		{"no scaler", ptr(DeepLinear(3, 2, 2)), nil},
		{"custom", nil, testScaler(2, dataset.TargetStandard)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var net *graph.Net
			var err error
			if tc.spec != nil {
				net, err = tc.spec.Net()
				require.NoError(t, err)
			} else {
				net = residualNet(t, 2, 3)
			}
			w := net.Init(rand.New(rand.NewPCG(9, 9)))
			m, err := FromNet(net, w, tc.scaler)
			require.NoError(t, err)
			data := writeNPZ(t, m)
			z, err := readNPZ(data)
			require.NoError(t, err)
			assert.Equal(t, m.Blocks, withoutRegularisers(m.Blocks), "no regulariser in these nets")
			assert.Equal(t, blockNames(m.Blocks), blockNames(z.Blocks), "archive order is block order")
			got, err := z.WeightsFor(net)
			require.NoError(t, err)
			assert.Equal(t, w, got, "weights round-trip bitwise")
			assert.Equal(t, tc.scaler, z.Scaler)

			// Import into a model of other weights restores them.
			other, err := FromNet(net, net.Init(rand.New(rand.NewPCG(1, 1))), nil)
			require.NoError(t, err)
			require.NoError(t, other.ImportNPZ(z))
			assert.Equal(t, w, other.Weights)
			assert.Equal(t, tc.scaler, other.Scaler)
			z.Weights[0][0] = 42
			assert.NotEqual(t, 42.0, other.Weights[0][0], "ImportNPZ copies")

			// The entries are what numpy.savez writes: NAME.npy, C order.
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			f, err := zr.Open(m.Blocks[0].Name + ".npy")
			require.NoError(t, err)
			defer f.Close()
			var d mat.Dense
			require.NoError(t, npy.Read(f, &d))
			r, c := d.Dims()
			assert.Equal(t, [2]int{m.Blocks[0].Rows, m.Blocks[0].Cols}, [2]int{r, c})
			assert.Equal(t, w[0], d.RawMatrix().Data)
		})
	}
}

func withoutRegularisers(bs []BlockInfo) []BlockInfo {
	out := append([]BlockInfo(nil), bs...)
	for i := range out {
		out[i].Tikhonov, out[i].L1 = 0, 0
	}
	return out
}

func TestImportNPZMismatch(t *testing.T) {
	net := residualNet(t, 2, 3)
	m, err := FromNet(net, net.Init(rand.New(rand.NewPCG(2, 2))), nil)
	require.NoError(t, err)
	z, err := readNPZ(writeNPZ(t, m))
	require.NoError(t, err)
	small := residualNet(t, 2, 2)
	target, err := FromNet(small, small.Init(rand.New(rand.NewPCG(3, 3))), nil)
	require.NoError(t, err)
	before := target.Weights.Clone()
	err = target.ImportNPZ(z)
	var mis *MismatchError
	require.True(t, errors.As(err, &mis), "%v", err)
	assert.Len(t, mis.Shapes, 3)
	assert.Equal(t, before, target.Weights, "unchanged on error")
	_, err = z.WeightsFor(small)
	assert.ErrorIs(t, err, ErrMismatch)
	// A scaler of the wrong size is refused too.
	z2, err := readNPZ(writeNPZ(t, withScaler(t, m, testScaler(2, dataset.TargetStandard))))
	require.NoError(t, err)
	z2.Scaler = testScaler(3, dataset.TargetStandard)
	assert.ErrorIs(t, m.ImportNPZ(z2), ErrModelFile)
	// A block name the scaler reserves cannot be exported.
	bad := &Model{In: 1, Out: 1, Loss: LossInfo{Name: "l2"}, Blocks: []BlockInfo{{Name: "scaler.mean", Rows: 1, Cols: 1}}, Weights: graph.Weights{{1}}}
	assert.ErrorIs(t, bad.WriteNPZ(&bytes.Buffer{}), graph.ErrArgument)
}

func withScaler(t *testing.T, m *Model, s *dataset.Scaler) *Model {
	t.Helper()
	c := *m
	c.Scaler = s
	return &c
}

// python returns a Python interpreter that imports numpy, or "".
func python() string {
	cands := []string{os.Getenv("BSUM_PYTHON"), "python3", "/usr/bin/python3", "python"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if err := exec.Command(c, "-c", "import numpy").Run(); err == nil {
			return c
		}
	}
	return ""
}

// TestNPZMatchesNumPy exports built-in MLPs with their scalers, recomputes
// the predictions from the archive in NumPy (testdata/npz_predict.py,
// activations as in package layers) and compares them with Predict.
func TestNPZMatchesNumPy(t *testing.T) {
	py := python()
	if py == "" {
		t.Skip("no python3 with numpy (set BSUM_PYTHON to an interpreter that has it): skipping the NumPy cross-check")
	}
	tests := []struct {
		name   string
		spec   Spec
		scaler *dataset.Scaler
	}{
		{"bodyfat logistic minmax", BodyFat(), testScaler(13, dataset.TargetMinMax)},
		{"tanh identity bias standard", Spec{Sizes: []int{4, 8, 8, 1}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}, testScaler(4, dataset.TargetStandard)},
		{"softplus relu identity-target", Spec{Sizes: []int{3, 5, 2}, Activation: "softplus", Output: "relu", Bias: true, Loss: "l2"}, twoTargets(testScaler(3, dataset.TargetIdentity))},
		{"elu bent", Spec{Sizes: []int{3, 6, 1}, Activation: "elu", ActivationParams: []float64{0.5}, Output: "bentidentity", Loss: "l2"}, testScaler(3, dataset.TargetStandard)},
		{"leaky isru", Spec{Sizes: []int{2, 4, 1}, Activation: "leakyrelu", ActivationParams: []float64{0.1}, Output: "isru", OutputParams: []float64{0.5}, Bias: true, Loss: "l2"}, testScaler(2, dataset.TargetMinMax)},
	}
	dir := t.TempDir()
	worst := 0.0
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := tc.spec.Net()
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			w := net.Init(rng)
			for _, b := range w {
				for k := range b {
					b[k] *= 1.5 // reach the activations' curved parts
				}
			}
			m, err := NewModel(tc.spec, w, tc.scaler)
			require.NoError(t, err)
			wpath := filepath.Join(dir, fmt.Sprintf("w%d.npz", i))
			require.NoError(t, m.SaveNPZ(wpath))

			const n = 64
			x := randomInput(net.In(), n, uint64(i))
			for k := range x {
				x[k] = x[k]*tc.scaler.Std[k/n] + tc.scaler.Mean[k/n] // data units
			}
			xpath := filepath.Join(dir, fmt.Sprintf("x%d.npy", i))
			writeNPY(t, xpath, mat.NewDense(net.In(), n, x))
			output := actSpec(tc.spec.Output, tc.spec.OutputParams)
			if tc.spec.Output == "" {
				output = actSpec(tc.spec.Activation, tc.spec.ActivationParams)
			}
			cfg := map[string]any{"blocks": blockNames(m.Blocks), "bias": tc.spec.Bias,
				"activation": actSpec(tc.spec.Activation, tc.spec.ActivationParams), "output": output}
			cpath := filepath.Join(dir, fmt.Sprintf("c%d.json", i))
			js, err := json.Marshal(cfg)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(cpath, js, 0o644))
			opath := filepath.Join(dir, fmt.Sprintf("y%d.npy", i))
			out, err := exec.Command(py, filepath.Join("testdata", "npz_predict.py"), wpath, cpath, xpath, opath).CombinedOutput()
			require.NoError(t, err, "%s", out)

			want, err := m.Predict(x, n)
			require.NoError(t, err)
			f, err := os.Open(opath)
			require.NoError(t, err)
			defer f.Close()
			var got mat.Dense
			require.NoError(t, npy.Read(f, &got))
			r, c := got.Dims()
			require.Equal(t, [2]int{net.Out(), n}, [2]int{r, c})
			for k, v := range got.RawMatrix().Data {
				scale := math.Max(1, math.Abs(want[k]))
				assert.InDelta(t, want[k], v, 1e-12*scale, "output %d", k)
				worst = math.Max(worst, math.Abs(v-want[k])/scale)
			}
		})
	}
	t.Logf("largest difference between NumPy and Predict: %.3g (relative to max(1, |y|))", worst)
}

func actSpec(name string, params []float64) []any {
	out := []any{name}
	for _, p := range params {
		out = append(out, p)
	}
	return out
}

func twoTargets(s *dataset.Scaler) *dataset.Scaler {
	s.TargetNames = []string{"y1", "y2"}
	return s
}

func writeNPY(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, npy.Write(f, v))
	require.NoError(t, f.Close())
}

// npyBytes is a hand-made .npy version 1.0 array: header dict and data.
func npyBytes(descr string, fortran bool, shape string, data []byte) []byte {
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, shape)
	for (10+len(dict)+1)%16 != 0 {
		dict += " "
	}
	dict += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(data)
	return b.Bytes()
}

func f64(v ...float64) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}

// zipOf stores entries (name, content) in a zip archive, in order.
func zipOf(entries ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(entries); i += 2 {
		w, _ := zw.Create(entries[i])
		_, _ = w.Write([]byte(entries[i+1]))
	}
	_ = zw.Close()
	return b.Bytes()
}

func TestReadNPZFortranOrder(t *testing.T) {
	// numpy.asfortranarray([[1, 2, 3], [4, 5, 6]]) stores columns first.
	data := zipOf("W.npy", string(npyBytes("<f8", true, "(2, 3)", f64(1, 4, 2, 5, 3, 6))))
	z, err := readNPZ(data)
	require.NoError(t, err)
	assert.Equal(t, []BlockInfo{{Name: "W", Rows: 2, Cols: 3}}, z.Blocks)
	assert.Equal(t, graph.Weights{{1, 2, 3, 4, 5, 6}}, z.Weights)
	// Big-endian float64 is float64 too.
	var be bytes.Buffer
	_ = binary.Write(&be, binary.BigEndian, []float64{1, 2})
	z, err = readNPZ(zipOf("W.npy", string(npyBytes(">f8", false, "(1, 2)", be.Bytes()))))
	require.NoError(t, err)
	assert.Equal(t, graph.Weights{{1, 2}}, z.Weights)
}

func TestReadNPZRejects(t *testing.T) {
	good := npyBytes("<f8", false, "(1, 2)", f64(1, 2))
	sc := writeNPZ(t, withScaler(t, tinyModel(t), &dataset.Scaler{FeatureNames: []string{"a", "b"}, Mean: []float64{0, 0}, Std: []float64{1, 1}, TargetNames: []string{"y"}, TargetMode: dataset.TargetIdentity}))
	_, err := readNPZ(sc)
	require.NoError(t, err)
	dropEntry := func(data []byte, name string) []byte {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		var entries []string
		for _, f := range zr.File {
			if f.Name == name {
				continue
			}
			rc, err := f.Open()
			require.NoError(t, err)
			var b bytes.Buffer
			_, err = b.ReadFrom(rc)
			require.NoError(t, err)
			entries = append(entries, f.Name, b.String())
		}
		return zipOf(entries...)
	}
	tests := map[string][]byte{
		"not a zip":          []byte("PK\x03\x04 nope"),
		"empty archive":      zipOf(),
		"not npy name":       zipOf("W.txt", string(good)),
		"no name":            zipOf(".npy", string(good)),
		"twice":              zipOf("W.npy", string(good), "W.npy", string(good)),
		"not npy content":    zipOf("W.npy", "hello world, this is not numpy"),
		"short":              zipOf("W.npy", "\x93NUM"),
		"int64":              zipOf("W.npy", string(npyBytes("<i8", false, "(1, 2)", f64(1, 2)))),
		"float32":            zipOf("W.npy", string(npyBytes("<f4", false, "(1, 2)", f64(1)))),
		"one dimension":      zipOf("W.npy", string(npyBytes("<f8", false, "(2,)", f64(1, 2)))),
		"three dimensions":   zipOf("W.npy", string(npyBytes("<f8", false, "(1, 1, 2)", f64(1, 2)))),
		"zero rows":          zipOf("W.npy", string(npyBytes("<f8", false, "(0, 2)", nil))),
		"truncated data":     zipOf("W.npy", string(npyBytes("<f8", false, "(1, 2)", f64(1)))),
		"half a value":       zipOf("W.npy", string(npyBytes("<f8", false, "(1, 2)", f64(1, 2)[:12]))),
		"trailing data":      zipOf("W.npy", string(npyBytes("<f8", false, "(1, 2)", f64(1, 2, 3)))),
		"huge shape":         zipOf("W.npy", string(npyBytes("<f8", false, "(100000, 100000)", f64(1, 2)))),
		"shape beyond entry": zipOf("W.npy", string(npyBytes("<f8", false, "(1000, 1000)", f64(1, 2)))),
		"nan":                zipOf("W.npy", string(npyBytes("<f8", false, "(1, 2)", f64(1, math.NaN())))),
		"bad shape text":     zipOf("W.npy", string(npyBytes("<f8", false, "(1, x)", f64(1, 2)))),
		"no newline":         zipOf("W.npy", "\x93NUMPY\x01\x00\x04\x00abcd"),
		"header too long":    zipOf("W.npy", "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}"),
		"bad order":          zipOf("W.npy", strings.Replace(string(good), "False", "Maybe", 1)),
		"scaler alone":       dropEntry(sc, "W1.npy"),
		"scaler incomplete":  dropEntry(sc, "scaler.std.npy"),
		"scaler no mode":     dropEntry(sc, "scaler.target_mode.npy"),
		"scaler unknown":     zipOf("W.npy", string(good), "scaler.other.npy", string(good)),
		"scaler names float": zipOf("W.npy", string(good), "scaler.feature_names.npy", string(npyBytes("<f8", false, "(2,)", f64(1, 2)))),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := readNPZ(data)
			assert.ErrorIs(t, err, ErrNPZ)
		})
	}
	_, err = LoadNPZ(filepath.Join(t.TempDir(), "missing.npz"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func FuzzReadNPZ(f *testing.F) {
	// Seeds in testdata/fuzz/FuzzReadNPZ: small archives with one block,
	// with and without each scaler mode.
	net := residualNet(f, 2, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := readNPZ(data)
		if err != nil {
			if !errors.Is(err, ErrNPZ) {
				t.Fatalf("error does not wrap ErrNPZ: %v", err)
			}
			return
		}
		if len(z.Blocks) != len(z.Weights) || len(z.Blocks) == 0 {
			t.Fatalf("%d blocks, %d arrays", len(z.Blocks), len(z.Weights))
		}
		for j, b := range z.Blocks {
			if len(z.Weights[j]) != b.Size() || !graph.Weights([][]float64{z.Weights[j]}).AllFinite() {
				t.Fatalf("block %q: %d values for %d×%d", b.Name, len(z.Weights[j]), b.Rows, b.Cols)
			}
		}
		if z.Scaler != nil {
			if err := z.Scaler.Validate(); err != nil {
				t.Fatalf("scaler read but invalid: %v", err)
			}
		}
		if _, err := z.WeightsFor(net); err != nil && !errors.Is(err, ErrMismatch) {
			t.Fatalf("WeightsFor: %v", err)
		}
		// What reads, writes back and reads the same.
		in, out := 1, 1
		if z.Scaler != nil {
			in, out = z.Scaler.In(), z.Scaler.Out()
		}
		m := &Model{In: in, Out: out, Loss: LossInfo{Name: "l2"}, Blocks: z.Blocks, Weights: z.Weights, Scaler: z.Scaler}
		var buf bytes.Buffer
		if err := m.WriteNPZ(&buf); err != nil {
			t.Fatalf("write back: %v", err)
		}
		back, err := readNPZ(buf.Bytes())
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if fmt.Sprint(back.Blocks) != fmt.Sprint(z.Blocks) {
			t.Fatalf("round trip changed the blocks: %v → %v", z.Blocks, back.Blocks)
		}
	})
}

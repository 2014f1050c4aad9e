package dataset

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeFashion writes a tiny Fashion-MNIST folder: nTrain and nTest 28×28
// images whose pixel i of image j is pixel(j, i), labels j mod 10. The
// training images are gzip-compressed, the test files plain, as both occur.
func fakeFashion(t testing.TB, nTrain, nTest int) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte, compress bool) {
		if compress {
			b, name = gzipBytes(t, b), name+".gz"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	images := func(n, offset int) []byte {
		b := make([]byte, n*FashionMNISTPixels)
		for j := range n {
			for i := range FashionMNISTPixels {
				b[j*FashionMNISTPixels+i] = pixel(j+offset, i)
			}
		}
		return b
	}
	labels := func(n, offset int) []byte {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte((j + offset) % 10)
		}
		return b
	}
	write(FashionMNISTTrainImages, idxBytes(IDXUint8, []int{nTrain, 28, 28}, images(nTrain, 0)), true)
	write(FashionMNISTTrainLabels, idxBytes(IDXUint8, []int{nTrain}, labels(nTrain, 0)), true)
	write(FashionMNISTTestImages, idxBytes(IDXUint8, []int{nTest, 28, 28}, images(nTest, 1000)), false)
	write(FashionMNISTTestLabels, idxBytes(IDXUint8, []int{nTest}, labels(nTest, 1000)), false)
	return dir
}

// pixel is the value of pixel i in fake image j. Pixel 0 is always 0 (a
// constant pixel, as the corners of real images nearly are).
func pixel(j, i int) byte {
	if i == 0 {
		return 0
	}
	return byte((j*31 + i*7) % 256)
}

func TestFashionMNISTScaled(t *testing.T) {
	dir := fakeFashion(t, 23, 7)
	train, test, err := FashionMNIST(FashionMNISTOptions{Dir: dir})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		set    *Set
		n, off int
	}{{"train", train, 23, 0}, {"test", test, 7, 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.set
			require.Equal(t, FashionMNISTPixels, s.In)
			require.Equal(t, 10, s.Out)
			require.Equal(t, tc.n, s.N)
			require.Len(t, s.X, FashionMNISTPixels*tc.n)
			require.Len(t, s.Y, 10*tc.n)
			assert.Equal(t, FashionMNISTClasses(), s.TargetNames)
			assert.Equal(t, "pixel_0_0", s.FeatureNames[0])
			assert.Equal(t, "pixel_27_27", s.FeatureNames[783])
			assert.Equal(t, "pixel_1_2", s.FeatureNames[30])
			for j := range tc.n {
				x, y := s.Sample(j, nil, nil)
				for i := range x {
					require.Equal(t, float64(pixel(j+tc.off, i))/255, x[i], "sample %d pixel %d", j, i)
				}
				for k := range y {
					want := 0.0
					if k == (j+tc.off)%10 {
						want = 1
					}
					require.Equal(t, want, y[k], "sample %d class %d", j, k)
				}
			}
			require.NotNil(t, s.Scaler)
			require.NoError(t, s.Scaler.Validate())
		})
	}
	assert.Same(t, train.Scaler, test.Scaler)
	// The Scaler maps raw pixels to X: applying it to raw values gives X.
	raw := make([]float64, FashionMNISTPixels*test.N)
	for i := range FashionMNISTPixels {
		for j := range test.N {
			raw[i*test.N+j] = float64(pixel(j+1000, i))
		}
	}
	test.Scaler.TransformX(raw, raw, test.N)
	assert.Equal(t, test.X, raw)
}

func TestFashionMNISTStandardize(t *testing.T) {
	dir := fakeFashion(t, 40, 9)
	train, test, err := FashionMNIST(FashionMNISTOptions{Dir: dir, Standardize: true})
	require.NoError(t, err)
	sc := train.Scaler
	assert.Equal(t, 255.0, sc.Std[0], "a constant pixel is divided by 255")
	assert.Equal(t, 0.0, sc.Mean[0])
	for i := range FashionMNISTPixels {
		row := train.X[i*train.N : (i+1)*train.N]
		mean, std, _, _ := stats(row)
		assert.InDelta(t, 0, mean, 1e-14, "pixel %d", i)
		if i == 0 {
			assert.Equal(t, 0.0, std)
			continue
		}
		assert.InDelta(t, 1, std, 1e-13, "pixel %d", i)
		// The statistics are those of the raw training values.
		vals := make([]float64, train.N)
		for j := range vals {
			vals[j] = float64(pixel(j, i))
		}
		m, s, _, _ := stats(vals)
		assert.InDelta(t, m, sc.Mean[i], 1e-12*m)
		assert.InDelta(t, s, sc.Std[i], 1e-12*s)
	}
	// The test set uses the training statistics.
	for j := range test.N {
		for _, i := range []int{1, 100, 783} {
			want := (float64(pixel(j+1000, i)) - sc.Mean[i]) / sc.Std[i]
			assert.Equal(t, want, test.X[i*test.N+j])
		}
	}
}

func TestFashionMNISTFirstN(t *testing.T) {
	dir := fakeFashion(t, 30, 12)
	full, fullTest, err := FashionMNIST(FashionMNISTOptions{Dir: dir})
	require.NoError(t, err)
	tests := []struct {
		name           string
		trainN, testN  int
		wantTr, wantTe int
	}{
		{"both", 5, 3, 5, 3},
		{"train only", 7, 0, 7, 12},
		{"more than there are", 100, 100, 30, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			train, test, err := FashionMNIST(FashionMNISTOptions{Dir: dir, TrainN: tc.trainN, TestN: tc.testN})
			require.NoError(t, err)
			assert.Equal(t, tc.wantTr, train.N)
			assert.Equal(t, tc.wantTe, test.N)
			idx := make([]int, tc.wantTr)
			for i := range idx {
				idx[i] = i
			}
			assert.Equal(t, full.Subset(idx).X, train.X)
			assert.Equal(t, full.Subset(idx).Y, train.Y)
			idx = idx[:0]
			for i := range tc.wantTe {
				idx = append(idx, i)
			}
			assert.Equal(t, fullTest.Subset(idx).Y, test.Y)
		})
	}
	_, _, err = FashionMNIST(FashionMNISTOptions{Dir: dir, TrainN: -1})
	assert.ErrorIs(t, err, ErrBadConfig)
}

func TestFashionMNISTDir(t *testing.T) {
	t.Setenv(FashionMNISTEnv, "")
	assert.Equal(t, FashionMNISTDefaultDir, FashionMNISTDir(""))
	assert.Equal(t, "/x", FashionMNISTDir("/x"))
	dir := fakeFashion(t, 3, 2)
	t.Setenv(FashionMNISTEnv, dir)
	assert.Equal(t, dir, FashionMNISTDir(""))
	assert.Equal(t, "/x", FashionMNISTDir("/x"), "the argument wins over the environment")
	train, _, err := FashionMNIST(FashionMNISTOptions{})
	require.NoError(t, err, "the environment variable is used")
	assert.Equal(t, 3, train.N)
}

func TestFashionMNISTMissing(t *testing.T) {
	empty := t.TempDir()
	_, _, err := FashionMNIST(FashionMNISTOptions{Dir: empty})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotInstalled)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	for _, s := range []string{"apt-get install -y dataset-fashion-mnist", empty, "train-images-idx3-ubyte[.gz]", FashionMNISTEnv} {
		assert.Contains(t, err.Error(), s)
	}
	// One file missing is named.
	dir := fakeFashion(t, 3, 2)
	require.NoError(t, os.Remove(filepath.Join(dir, FashionMNISTTestLabels)))
	_, _, err = FashionMNIST(FashionMNISTOptions{Dir: dir})
	assert.ErrorIs(t, err, ErrNotInstalled)
	assert.Contains(t, err.Error(), "no t10k-labels-idx1-ubyte[.gz] in "+dir)
}

func TestFashionMNISTBadFiles(t *testing.T) {
	tests := []struct {
		name string
		file string
		raw  []byte
		want error
		has  string
	}{
		{"label out of range", FashionMNISTTrainLabels, idxBytes(IDXUint8, []int{4}, []byte{0, 1, 10, 2}), ErrLabels,
			"label 10 of item 2 is outside [0, 10)"},
		{"negative label", FashionMNISTTrainLabels, idxBytes(IDXInt8, []int{4}, []byte{0, 1, 0xff, 2}), ErrLabels, "label -1 of item 2"},
		{"count mismatch", FashionMNISTTestLabels, idxBytes(IDXUint8, []int{3}, []byte{0, 1, 2}), ErrLabels, "3 labels for 2 images"},
		{"labels 2-D", FashionMNISTTrainLabels, idxBytes(IDXUint8, []int{4, 1}, []byte{0, 1, 2, 3}), ErrLabels, "a 4×1 array"},
		{"float labels", FashionMNISTTrainLabels, idxBytes(IDXFloat32, []int{4}, make([]byte, 16)), ErrLabels, "float32 labels"},
		{"images 27×28", FashionMNISTTrainImages, idxBytes(IDXUint8, []int{4, 27, 28}, make([]byte, 4*27*28)), ErrIDX,
			"a 4×27×28 array of uint8, want N×28×28 uint8 images"},
		{"images int16", FashionMNISTTestImages, idxBytes(IDXInt16, []int{2, 28, 28}, make([]byte, 2*2*784)), ErrIDX, "of int16"},
		{"truncated images", FashionMNISTTrainImages, idxBytes(IDXUint8, []int{4, 28, 28}, make([]byte, 100)), ErrIDX, "truncated"},
		{"wrong magic", FashionMNISTTestImages, []byte("GIF89a......"), ErrIDX, "not an IDX file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeFashion(t, 4, 2)
			for _, suffix := range []string{"", ".gz"} {
				_ = os.Remove(filepath.Join(dir, tc.file+suffix))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, tc.file), tc.raw, 0o644))
			train, test, err := FashionMNIST(FashionMNISTOptions{Dir: dir})
			require.Error(t, err)
			assert.Nil(t, train)
			assert.Nil(t, test)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.has)
			assert.Contains(t, err.Error(), tc.file, "the message names the file")
		})
	}
}

func TestImageSet(t *testing.T) {
	images := &IDX{Type: IDXUint8, Dims: []int{3, 2}, Data: []byte{0, 10, 20, 30, 40, 255}}
	labels := &IDX{Type: IDXUint8, Dims: []int{3}, Data: []byte{1, 0, 1}}
	sc := &Scaler{FeatureNames: []string{"a", "b"}, Mean: []float64{10, 0}, Std: []float64{2, 5},
		TargetNames: []string{"no", "yes"}}
	s, err := ImageSet(images, labels, "l", []string{"no", "yes"}, sc)
	require.NoError(t, err)
	assert.Equal(t, []float64{-5, 5, 15, 2, 6, 51}, s.X)
	assert.Equal(t, []float64{0, 1, 0, 1, 0, 1}, s.Y)
	assert.Equal(t, []string{"a", "b"}, s.FeatureNames)

	_, err = ImageSet(images, labels, "l", []string{"no"}, sc)
	assert.ErrorIs(t, err, ErrLabels)
	_, err = ImageSet(&IDX{Type: IDXUint8, Dims: []int{3, 3}, Data: make([]byte, 9)}, labels, "l", []string{"no", "yes"}, sc)
	assert.ErrorIs(t, err, ErrInvalidScaler)
	_, err = ImageSet(images, labels, "l", []string{"no", "yes"}, &Scaler{})
	assert.ErrorIs(t, err, ErrInvalidScaler)
}

// TestTransposePixelsParallel: the split over goroutines gives exactly the
// serial result.
func TestTransposePixelsParallel(t *testing.T) {
	n, d := 6000, 784 // n·d ≥ 1<<22: the parallel path
	data := make([]byte, n*d)
	for i := range data {
		data[i] = byte(i*131 + i/7)
	}
	mean, std := make([]float64, d), make([]float64, d)
	for i := range d {
		mean[i], std[i] = float64(i%50), 1+float64(i%13)
	}
	got := make([]float64, n*d)
	transposePixels(got, data, n, d, mean, std)
	want := make([]float64, n*d)
	transposeRange(want, data, n, d, 0, d, mean, std)
	require.Equal(t, want, got)
	for _, k := range []int{0, 1, n*d - 1, 12345} {
		i, j := k/n, k%n
		require.Equal(t, (float64(data[j*d+i])-mean[i])/std[i], got[k])
	}
}

// TestFashionMNISTReal reads the installed data set, if present.
func TestFashionMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 30 MB of Fashion-MNIST; skipped with -short")
	}
	dir := FashionMNISTDir("")
	if _, err := os.Stat(filepath.Join(dir, FashionMNISTTrainImages+".gz")); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("Fashion-MNIST not installed in %s (%s)", dir, FashionMNISTInstall)
	}
	train, test, err := FashionMNIST(FashionMNISTOptions{})
	require.NoError(t, err)
	assert.Equal(t, FashionMNISTTrainN, train.N)
	assert.Equal(t, FashionMNISTTestN, test.N)
	// The classes are balanced: 6,000 training and 1,000 test images each.
	for k := range 10 {
		var ntr, nte float64
		for _, v := range train.Y[k*train.N : (k+1)*train.N] {
			ntr += v
		}
		for _, v := range test.Y[k*test.N : (k+1)*test.N] {
			nte += v
		}
		assert.Equal(t, 6000.0, ntr, "class %d", k)
		assert.Equal(t, 1000.0, nte, "class %d", k)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range train.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	assert.Equal(t, 0.0, lo)
	assert.Equal(t, 1.0, hi)
}

// BenchmarkFashionMNIST loads the installed data set (skipped if absent):
// go test -run '^$' -bench FashionMNIST -benchtime 1x ./models/dataset/
func BenchmarkFashionMNIST(b *testing.B) {
	for _, std := range []bool{false, true} {
		name := "scaled"
		if std {
			name = "standardized"
		}
		b.Run(name, func(b *testing.B) {
			if _, err := os.Stat(filepath.Join(FashionMNISTDir(""), FashionMNISTTrainImages+".gz")); err != nil {
				b.Skipf("Fashion-MNIST not installed (%s)", FashionMNISTInstall)
			}
			for b.Loop() {
				train, test, err := FashionMNIST(FashionMNISTOptions{Standardize: std})
				if err != nil || train.N != FashionMNISTTrainN || test.N != FashionMNISTTestN {
					b.Fatal(err)
				}
			}
		})
	}
}

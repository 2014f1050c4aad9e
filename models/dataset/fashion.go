package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// FashionMNISTEnv is the environment variable that points
// [FashionMNIST] to a folder holding the four IDX files when
// FashionMNISTOptions.Dir is empty.
const FashionMNISTEnv = "BSUM_FASHION_MNIST"

// FashionMNISTDefaultDir is where the Debian package dataset-fashion-mnist
// installs the files; [FashionMNIST] looks there when neither
// FashionMNISTOptions.Dir nor $BSUM_FASHION_MNIST is set.
const FashionMNISTDefaultDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTInstall is the command that installs the data set on Debian.
const FashionMNISTInstall = "apt-get install -y dataset-fashion-mnist"

// Fashion-MNIST sizes: 28×28 images, 10 classes, 60,000 training and
// 10,000 test samples.
const (
	FashionMNISTSide     = 28
	FashionMNISTPixels   = FashionMNISTSide * FashionMNISTSide
	FashionMNISTTrainN   = 60000
	FashionMNISTTestN    = 10000
	FashionMNISTClassesN = 10
)

// The file names of Fashion-MNIST (as published by Zalando and packaged by
// Debian), each looked for with and without a ".gz" suffix.
const (
	FashionMNISTTrainImages = "train-images-idx3-ubyte"
	FashionMNISTTrainLabels = "train-labels-idx1-ubyte"
	FashionMNISTTestImages  = "t10k-images-idx3-ubyte"
	FashionMNISTTestLabels  = "t10k-labels-idx1-ubyte"
)

// FashionMNISTClasses returns the names of the 10 classes, indexed by label.
func FashionMNISTClasses() []string {
	return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
}

// FashionMNISTOptions selects where Fashion-MNIST is read from and how it
// is prepared. The zero value loads all samples from the default folder
// with pixels scaled to [0, 1].
type FashionMNISTOptions struct {
	// Dir is the folder with the IDX files; "" means $BSUM_FASHION_MNIST,
	// or FashionMNISTDefaultDir if that is unset or empty.
	Dir string
	// TrainN, if positive, keeps only the first TrainN training samples
	// (for quick runs; the rest of the file is not read). 0 means all
	// 60,000.
	TrainN int
	// TestN, if positive, keeps only the first TestN test samples; 0 means
	// all 10,000.
	TestN int
	// Standardize maps each pixel to a z-score with the mean and population
	// standard deviation of that pixel over the training samples loaded,
	// and applies the same map to the test set. A pixel that is constant
	// over those samples is divided by 255 instead, after centring. When
	// false, pixels are scaled to [0, 1] by dividing by 255.
	Standardize bool
}

// FashionMNISTDir returns the folder [FashionMNIST] reads for dir: dir
// itself if not empty, else $BSUM_FASHION_MNIST if set and not empty, else
// FashionMNISTDefaultDir.
func FashionMNISTDir(dir string) string {
	if dir != "" {
		return dir
	}
	if env := os.Getenv(FashionMNISTEnv); env != "" {
		return env
	}
	return FashionMNISTDefaultDir
}

// FashionMNIST loads Zalando's Fashion-MNIST (Xiao, Rasul and Vollgraf,
// 2017; MIT licence) from its four IDX files, gzip-compressed or plain.
// Both sets are feature-major like every [Set]: X is 784×N with pixel
// (r, c) of sample n at X[(28r+c)·N+n] (feature name "pixel_r_c"), and Y
// is 10×N, one-hot, with Y[k·N+n] = 1 when sample n has label k (target
// names [FashionMNISTClasses]). Set.Scaler records the map from raw pixel
// values 0…255 to X (Mean 0 and Std 255 for the [0, 1] scaling), so raw
// images can be prepared for a saved model with [Scaler.TransformX]; its
// targets are left as they are (TargetIdentity). Both sets share the
// training set's Scaler.
//
// A missing file gives an error wrapping [ErrNotInstalled] and
// [fs.ErrNotExist] that names the folder searched and the install command
// (FashionMNISTInstall). Malformed files give [ErrIDX], labels that do not
// fit the images [ErrLabels], and a file of the wrong shape (not N×28×28
// images or N labels) [ErrIDX] naming the shape.
func FashionMNIST(opt FashionMNISTOptions) (train, test *Set, err error) {
	if opt.TrainN < 0 || opt.TestN < 0 {
		return nil, nil, fmt.Errorf("dataset: Fashion-MNIST: %w: TrainN %d and TestN %d must not be negative",
			ErrBadConfig, opt.TrainN, opt.TestN)
	}
	dir := FashionMNISTDir(opt.Dir)
	names := []string{FashionMNISTTrainImages, FashionMNISTTrainLabels, FashionMNISTTestImages, FashionMNISTTestLabels}
	paths := make([]string, len(names))
	for i, name := range names {
		if paths[i], err = findIDX(dir, name); err != nil {
			return nil, nil, err
		}
	}
	type loaded struct {
		images, labels *IDX
		err            error
	}
	load := func(imgPath, lblPath string, n int) loaded {
		img, err := LoadIDX(imgPath, IDXOptions{MaxItems: n})
		if err != nil {
			return loaded{err: err}
		}
		if err := checkImages(img, imgPath); err != nil {
			return loaded{err: err}
		}
		lbl, err := LoadIDX(lblPath, IDXOptions{MaxItems: n})
		return loaded{img, lbl, err}
	}
	var tr, te loaded
	var wg sync.WaitGroup
	wg.Go(func() { te = load(paths[2], paths[3], opt.TestN) })
	tr = load(paths[0], paths[1], opt.TrainN)
	wg.Wait()
	if tr.err != nil {
		return nil, nil, tr.err
	}
	if te.err != nil {
		return nil, nil, te.err
	}
	classes := FashionMNISTClasses()
	features := pixelNames(FashionMNISTSide, FashionMNISTSide)
	sc := &Scaler{
		FeatureNames: features,
		Mean:         make([]float64, FashionMNISTPixels),
		Std:          make([]float64, FashionMNISTPixels),
		TargetNames:  classes,
		TargetMode:   TargetIdentity,
	}
	if opt.Standardize {
		pixelStats(tr.images.Data, FashionMNISTPixels, sc.Mean, sc.Std)
	} else {
		for i := range sc.Std {
			sc.Std[i] = 255
		}
	}
	if train, err = imageSet(tr.images, tr.labels, paths[1], features, classes, sc); err != nil {
		return nil, nil, err
	}
	if test, err = imageSet(te.images, te.labels, paths[3], features, classes, sc); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findIDX returns the path of name.gz or name in dir, or an
// ErrNotInstalled error that says how to get the files.
func findIDX(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("dataset: Fashion-MNIST: %w", err)
		}
	}
	return "", fmt.Errorf("dataset: Fashion-MNIST: %w: no %s[.gz] in %s (%w); install it with `%s` "+
		"(it goes to %s), or set %s or the Dir option to a folder with %s, %s, %s and %s (plain or .gz)",
		ErrNotInstalled, name, dir, fs.ErrNotExist, FashionMNISTInstall, FashionMNISTDefaultDir, FashionMNISTEnv,
		FashionMNISTTrainImages, FashionMNISTTrainLabels, FashionMNISTTestImages, FashionMNISTTestLabels)
}

// checkImages verifies that a is a uint8 array of 28×28 images.
func checkImages(a *IDX, path string) error {
	if a.Type != IDXUint8 || len(a.Dims) != 3 || a.Dims[1] != FashionMNISTSide || a.Dims[2] != FashionMNISTSide {
		return fmt.Errorf("dataset: %s: %w: a %s array of %v, want N×28×28 uint8 images", path, ErrIDX, shape(a.Dims), a.Type)
	}
	return nil
}

// pixelNames returns "pixel_r_c" for every pixel of a rows×cols image, in
// row-major order.
func pixelNames(rows, cols int) []string {
	names := make([]string, 0, rows*cols)
	for r := range rows {
		for c := range cols {
			names = append(names, fmt.Sprintf("pixel_%d_%d", r, c))
		}
	}
	return names
}

// pixelStats sets mean[i] and std[i] to the mean and population standard
// deviation of byte i of every d-byte sample in data. The sums are exact
// (integer histograms), so the statistics do not depend on sample order.
// A constant pixel gets std 255.
func pixelStats(data []byte, d int, mean, std []float64) {
	histStats(pixelHist(data, d), len(data)/d, mean, std)
}

// pixelHist returns, for each byte position i of the d-byte samples in
// data, the count of every value 0…255 there.
func pixelHist(data []byte, d int) [][256]int64 {
	n := len(data) / d
	hist := make([][256]int64, d)
	for s := range n {
		row := data[s*d : (s+1)*d]
		for i, v := range row {
			hist[i][v]++
		}
	}
	return hist
}

// histStats sets mean[i] and std[i] to the mean and population standard
// deviation of the n values counted in hist[i]; a constant pixel gets std
// 255.
func histStats(hist [][256]int64, n int, mean, std []float64) {
	for i := range hist {
		var sum int64
		for v, c := range hist[i] {
			sum += int64(v) * c
		}
		m := float64(sum) / float64(n)
		var ss float64
		for v, c := range hist[i] {
			if c != 0 {
				dv := float64(v) - m
				ss += float64(c) * dv * dv
			}
		}
		mean[i], std[i] = m, math.Sqrt(ss/float64(n))
		if std[i] == 0 {
			std[i] = 255
		}
	}
}

// ImageSet builds a feature-major Set from IDX arrays of images (N items
// of any shape with uint8 elements, flattened row-major into In features)
// and labels (N integers in [0, len(classes))): X[i·N+n] is
// (pixel i of image n − sc.Mean[i]) / sc.Std[i] and Y is one-hot with
// len(classes) rows. The Set's names come from sc and classes and its
// Scaler is sc, which must have one feature per pixel; labelsName is used in
// error messages. Errors wrap [ErrIDX] (images not uint8), [ErrLabels] or
// [ErrInvalidScaler].
func ImageSet(images, labels *IDX, labelsName string, classes []string, sc *Scaler) (*Set, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return imageSet(images, labels, labelsName, sc.FeatureNames, classes, sc)
}

func imageSet(images, labels *IDX, labelsName string, features, classes []string, sc *Scaler) (*Set, error) {
	if images.Type != IDXUint8 || len(images.Dims) < 1 {
		return nil, fmt.Errorf("dataset: %w: images are a %s array of %v, want uint8", ErrIDX, shape(images.Dims), images.Type)
	}
	n := images.Dims[0]
	d := 1
	for _, k := range images.Dims[1:] {
		d *= k
	}
	if d != len(sc.Mean) || d != len(features) {
		return nil, fmt.Errorf("dataset: %w: images have %d pixels, the scaler %d features", ErrInvalidScaler, d, len(sc.Mean))
	}
	switch labels.Type {
	case IDXUint8, IDXInt8, IDXInt16, IDXInt32:
	default:
		return nil, fmt.Errorf("dataset: %s: %w: %v labels, want integers", labelsName, ErrLabels, labels.Type)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("dataset: %s: %w: a %s array, want one label per image", labelsName, ErrLabels, shape(labels.Dims))
	}
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("dataset: %s: %w: %d labels for %d images", labelsName, ErrLabels, labels.Dims[0], n)
	}
	k := len(classes)
	s := &Set{
		X:            make([]float64, d*n),
		Y:            make([]float64, k*n),
		In:           d,
		Out:          k,
		N:            n,
		FeatureNames: slices.Clone(features),
		TargetNames:  slices.Clone(classes),
		Scaler:       sc,
	}
	for j := range n {
		v := labels.At(j)
		if v < 0 || v >= float64(k) {
			return nil, fmt.Errorf("dataset: %s: %w: label %v of item %d is outside [0, %d)", labelsName, ErrLabels, v, j, k)
		}
		s.Y[int(v)*n+j] = 1
	}
	transposePixels(s.X, images.Data, n, d, sc.Mean, sc.Std)
	return s, nil
}

// transposePixels sets x[i·n+j] = (data[j·d+i] − mean[i]) / std[i]: it
// turns n sample-major d-byte images into a feature-major float64 matrix,
// through a 256-entry table per pixel, in blocks of samples that stay in
// cache. Large inputs are split by pixel over up to GOMAXPROCS goroutines;
// every value is computed the same way whatever the split.
func transposePixels(x []float64, data []byte, n, d int, mean, std []float64) {
	workers := 1
	if n*d >= 1<<22 {
		workers = min(runtime.GOMAXPROCS(0), d)
	}
	var wg sync.WaitGroup
	for w := range workers {
		i0, i1 := w*d/workers, (w+1)*d/workers
		wg.Go(func() { transposeRange(x, data, n, d, i0, i1, mean, std) })
	}
	wg.Wait()
}

// transposeRange does transposePixels for the pixels i0 ≤ i < i1.
func transposeRange(x []float64, data []byte, n, d, i0, i1 int, mean, std []float64) {
	lut := make([][256]float64, i1-i0)
	for i := i0; i < i1; i++ {
		for v := range 256 {
			lut[i-i0][v] = (float64(v) - mean[i]) / std[i]
		}
	}
	const block = 256
	for j0 := 0; j0 < n; j0 += block {
		j1 := min(j0+block, n)
		src := data[j0*d : j1*d]
		for i := i0; i < i1; i++ {
			t := &lut[i-i0]
			row := x[i*n+j0 : i*n+j1]
			p := i
			for j := range row {
				row[j] = t[src[p]]
				p += d
			}
		}
	}
}

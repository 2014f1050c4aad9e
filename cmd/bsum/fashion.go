package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// fashionName is the --data value that selects Fashion-MNIST.
const fashionName = "fashion-mnist"

// fashionFlags checks the flags that only Fashion-MNIST reads and sets its
// defaults: the softmax cross-entropy loss on an identity (logit) output,
// and no --target or --features (the 784 pixels and 10 classes are fixed).
func fashionFlags(cmd *cobra.Command, f *trainFlags, fashion bool) error {
	changed := cmd.Flags().Changed
	if !fashion {
		for _, name := range []string{"data-dir", "train-n", "test-n"} {
			if changed(name) {
				return usageErrorf("--%s applies only to --data %s", name, fashionName)
			}
		}
		return nil
	}
	if f.target != "" || f.featuresFlag != "" {
		return usageErrorf("--data %s has fixed features (the 784 pixels) and targets (the 10 classes); leave out --target and --features", fashionName)
	}
	if f.trainN < 0 || f.testN < 0 {
		return usageErrorf("--train-n and --test-n must be ≥ 0 (0: all images), got %d and %d", f.trainN, f.testN)
	}
	if !changed("loss") {
		f.loss = losses.NameSoftmaxCrossEntropy
	}
	if f.output == "" {
		f.output = "identity" // logits for the softmax
	}
	if f.arch == "" {
		return usageErrorf("missing --arch: give layer sizes from 784 (pixels) to 10 (classes), e.g. --arch 784-256-10")
	}
	return nil
}

// loadFashion loads Fashion-MNIST for train from --data-dir, else
// $BSUM_FASHION_MNIST, else the Debian package's folder. Missing files and
// malformed ones are bad data (exit 2); the message of missing files gives
// the apt-get command.
func loadFashion(f *trainFlags) (train, test *dataset.Set, err error) {
	train, test, err = dataset.FashionMNIST(dataset.FashionMNISTOptions{Dir: f.dataDir, TrainN: f.trainN, TestN: f.testN})
	if err != nil {
		return nil, nil, fashionError(err)
	}
	return train, test, nil
}

// fashionError explains a Fashion-MNIST loading error.
func fashionError(err error) error {
	if errors.Is(err, dataset.ErrNotInstalled) {
		return badData(fmt.Errorf("%w; or point --data-dir to the folder", err))
	}
	return badData(err)
}

// checkLabels refuses targets the loss cannot take (binary, ±1 or one-hot
// labels), before training.
func checkLabels(net *graph.Net, set *dataset.Set, name string) error {
	lc, ok := net.Loss().(graph.LabelChecker)
	if !ok {
		return nil
	}
	if err := lc.CheckLabels(set.Y, set.Out, set.N); err != nil {
		return badData(fmt.Errorf("%s: the targets do not suit --loss %s: %w", name, net.Loss().Name(), err))
	}
	return nil
}

// classReport is the accuracy and confusion matrix of a classifier on a
// labelled set.
type classReport struct {
	pred      []int   // predicted class per sample
	truth     []int   // true class per sample
	confusion [][]int // [true][predicted]
	correct   int
}

// classify runs the network with weights w on set and compares the class of
// the largest output with the label.
func classify(spec models.Spec, w graph.Weights, sc *dataset.Scaler, set *dataset.Set) (*classReport, error) {
	m, err := models.NewModel(spec, w, sc)
	if err != nil {
		return nil, err
	}
	return classifyModel(m, set)
}

// classifyModel is classify for a loaded model.
func classifyModel(m *models.Model, set *dataset.Set) (*classReport, error) {
	h, err := m.Predict(set.X, set.N)
	if err != nil {
		return nil, err
	}
	r := &classReport{pred: dataset.ArgmaxColumns(h, set.Out, set.N), truth: set.Labels()}
	if r.confusion, err = dataset.Confusion(r.truth, r.pred, set.Out); err != nil {
		return nil, err
	}
	for k := range r.confusion {
		r.correct += r.confusion[k][k]
	}
	return r, nil
}

// accuracy is the share of correct predictions.
func (r *classReport) accuracy() float64 {
	if len(r.truth) == 0 {
		return 0
	}
	return float64(r.correct) / float64(len(r.truth))
}

// print writes the accuracy and a compact confusion matrix: one row per
// true class (numbered and named), one column per predicted class
// (numbered), and the recall of each class.
func (r *classReport) print(w io.Writer, label string, classes []string) {
	fmt.Fprintf(w, "%-12s %.4f (%d of %d)\n", label+" accuracy:", r.accuracy(), r.correct, len(r.truth))
	k := len(r.confusion)
	nameW := 0
	for i := 0; i < k; i++ {
		nameW = max(nameW, len([]rune(className(classes, i))))
	}
	cellW := 3
	for _, row := range r.confusion {
		for _, c := range row {
			cellW = max(cellW, len(fmt.Sprint(c)))
		}
	}
	fmt.Fprintf(w, "confusion (%s; rows: true class, columns: predicted class):\n", label)
	var b strings.Builder
	fmt.Fprintf(&b, "  %*s", nameW+3, "")
	for p := 0; p < k; p++ {
		fmt.Fprintf(&b, " %*d", cellW, p)
	}
	b.WriteString("  recall\n")
	for t, row := range r.confusion {
		name := className(classes, t)
		fmt.Fprintf(&b, "  %2d %s%s", t, name, strings.Repeat(" ", nameW-len([]rune(name))))
		n := 0
		for _, c := range row {
			n += c
		}
		for _, c := range row {
			fmt.Fprintf(&b, " %*d", cellW, c)
		}
		if n > 0 {
			fmt.Fprintf(&b, "  %.3f\n", float64(row[t])/float64(n))
		} else {
			b.WriteString("      -\n")
		}
	}
	io.WriteString(w, b.String())
}

// className names class i, or numbers it when classes is too short.
func className(classes []string, i int) string {
	if i < len(classes) && classes[i] != "" {
		return classes[i]
	}
	return fmt.Sprintf("class %d", i)
}

// fashionTestSet loads the Fashion-MNIST test images for a saved model,
// scaled with the model's own scaler so that predict sees the pixels as
// train did. Only the test files are read.
func fashionTestSet(dir string, testN int, sc *dataset.Scaler) (*dataset.Set, error) {
	dir = dataset.FashionMNISTDir(dir)
	var paths [2]string
	for i, name := range []string{dataset.FashionMNISTTestImages, dataset.FashionMNISTTestLabels} {
		paths[i] = ""
		for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
			if _, err := os.Stat(p); err == nil {
				paths[i] = p
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, badData(fmt.Errorf("Fashion-MNIST: %w", err))
			}
		}
		if paths[i] == "" {
			return nil, badData(fmt.Errorf("Fashion-MNIST: %w: no %s[.gz] in %s; install it with `%s` (it goes to %s), or point --data-dir (or $%s) to the folder",
				dataset.ErrNotInstalled, name, dir, dataset.FashionMNISTInstall, dataset.FashionMNISTDefaultDir, dataset.FashionMNISTEnv))
		}
	}
	img, err := dataset.LoadIDX(paths[0], dataset.IDXOptions{MaxItems: testN})
	if err != nil {
		return nil, badData(err)
	}
	lbl, err := dataset.LoadIDX(paths[1], dataset.IDXOptions{MaxItems: testN})
	if err != nil {
		return nil, badData(err)
	}
	set, err := dataset.ImageSet(img, lbl, paths[1], dataset.FashionMNISTClasses(), sc)
	if err != nil {
		return nil, badData(err)
	}
	return set, nil
}

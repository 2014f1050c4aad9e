package dataset_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/bsum-go/bsum/models/dataset"
)

// ExampleFashionMNIST loads Fashion-MNIST from a folder. Here the folder
// holds four tiny generated IDX files (three training and two test images)
// so that the example runs anywhere; with the Debian package installed
// (apt-get install -y dataset-fashion-mnist), FashionMNISTOptions{} reads
// the real 60,000 + 10,000 images from /usr/share/datasets/fashion-mnist.
func ExampleFashionMNIST() {
	dir, err := os.MkdirTemp("", "fashion")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	write := func(name string, a *dataset.IDX) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if err := dataset.WriteIDX(zw, a); err != nil {
			log.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".gz"), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	images := func(n int) *dataset.IDX {
		a := &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{n, 28, 28}, Data: make([]byte, n*784)}
		for j := range n {
			a.Data[j*784+29] = byte(51 * (j + 1)) // pixel (1, 1)
		}
		return a
	}
	write(dataset.FashionMNISTTrainImages, images(3))
	write(dataset.FashionMNISTTrainLabels, &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{3}, Data: []byte{9, 0, 7}})
	write(dataset.FashionMNISTTestImages, images(2))
	write(dataset.FashionMNISTTestLabels, &dataset.IDX{Type: dataset.IDXUint8, Dims: []int{2}, Data: []byte{3, 9}})

	train, test, err := dataset.FashionMNIST(dataset.FashionMNISTOptions{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("train: %d×%d inputs, %d×%d one-hot targets\n", train.In, train.N, train.Out, train.N)
	fmt.Println("test samples:", test.N)
	x, y := train.Sample(2, nil, nil)
	label := 0
	for k, v := range y {
		if v == 1 {
			label = k
		}
	}
	fmt.Printf("sample 2: %s = %.1f, class %d (%s)\n", train.FeatureNames[29], x[29], label, train.TargetNames[label])

	// An empty folder says how to install the data set.
	_, _, err = dataset.FashionMNIST(dataset.FashionMNISTOptions{Dir: filepath.Join(dir, "none")})
	fmt.Println(errors.Is(err, dataset.ErrNotInstalled))
	// Output:
	// train: 784×3 inputs, 10×3 one-hot targets
	// test samples: 2
	// sample 2: pixel_1_1 = 0.6, class 7 (Sneaker)
	// true
}

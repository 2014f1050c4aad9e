package models_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// The seed paper's BodyFat network from its Spec.
func ExampleBodyFat() {
	spec := models.BodyFat()
	net, err := spec.Net()
	if err != nil {
		panic(err)
	}
	for _, b := range net.Blocks() {
		fmt.Printf("%s %d×%d\n", b.Name, b.Rows, b.Cols)
	}
	_, chain := net.Chain()
	fmt.Println("loss:", net.Loss().Name(), "chain:", chain)
	// Output:
	// W1 10×13
	// W2 10×10
	// W3 10×10
	// W4 1×10
	// loss: l2 chain: true
}

// Layer sizes as the command line writes them.
func ExampleParseSizes() {
	sizes, err := models.ParseSizes("13-10-10-10-1")
	fmt.Println(sizes, err)
	// Output: [13 10 10 10 1] <nil>
}

// Save a network built from a custom graph.BuildFunc and load it back: the
// file stores block names and shapes, so load takes a network built the
// same way and checks it, like PyTorch's strict load_state_dict.
func ExampleFromNet() {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "hidden", 3, x, layers.Tanh(), layers.WithBias())
		skip := b.Weight("skip", 3, 3)
		h = G.Must(G.Add(G.Must(G.Mul(skip, h)), h)) // residual connection
		return layers.Dense(b, "head", 1, h, layers.Identity()), b.Err()
	}
	net, err := graph.New(2, build, losses.L2(), graph.Tikhonov(1e-4))
	if err != nil {
		panic(err)
	}
	w := net.Init(rand.New(rand.NewPCG(1, 1))) // or the Weights of a solvers.Result
	m, err := models.FromNet(net, w, nil)
	if err != nil {
		panic(err)
	}
	m.Iter = 200 // the run's last iteration, so that a resumed run continues at 201
	m.Meta = map[string]string{"experiment": "residual"}
	dir, _ := os.MkdirTemp("", "bsum-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "residual.json")
	if err := m.Save(path); err != nil {
		panic(err)
	}

	again, _ := graph.New(2, build, losses.L2(), graph.Tikhonov(1e-4))
	back, err := models.LoadNet(path, again)
	if err != nil {
		panic(err)
	}
	for _, b := range back.Blocks {
		fmt.Printf("%s %d×%d\n", b.Name, b.Rows, b.Cols)
	}
	w0, start := back.Resume() // solvers.Minimize(ctx, back.Net(), data, w0, method, solvers.Settings{StartIter: start, MaxIter: 400})
	fmt.Println("resume at", start, "same weights:", fmt.Sprint(w0) == fmt.Sprint(w))

	// A network that differs is refused with every difference listed.
	wider, _ := graph.New(2, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "hidden", 4, x, layers.Tanh(), layers.WithBias())
		return layers.Dense(b, "head", 1, h, layers.Identity()), b.Err()
	}, losses.L2(), graph.Tikhonov(1e-4))
	_, err = models.LoadNet(path, wider)
	var mis *models.MismatchError
	if errors.As(err, &mis) {
		fmt.Println("unexpected:", mis.Unexpected)
		for _, s := range mis.Shapes {
			fmt.Printf("%s: %v in the file, %v in the network\n", s.Name, s.Saved, s.Net)
		}
	}
	// Output:
	// hidden 3×3
	// skip 3×3
	// head 1×3
	// resume at 201 same weights: true
	// unexpected: [skip]
	// hidden: [3 3] in the file, [4 3] in the network
	// head: [1 3] in the file, [1 4] in the network
}

// Export a model's weights for NumPy: one array per block, named by the
// block, shape (d_j, d_{j−1}); the scaler's statistics are arrays too.
func ExampleModel_SaveNPZ() {
	spec := models.Spec{Sizes: []int{2, 3, 1}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}
	net, _ := spec.Net()
	scaler := &dataset.Scaler{FeatureNames: []string{"area", "rooms"}, Mean: []float64{80, 3}, Std: []float64{25, 1},
		TargetNames: []string{"price"}, TargetMode: dataset.TargetStandard, TargetMean: []float64{300}, TargetStd: []float64{90}}
	m, err := models.NewModel(spec, net.Init(rand.New(rand.NewPCG(1, 1))), scaler)
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "bsum-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.npz")
	if err := m.SaveNPZ(path); err != nil { // bsum export --model m.json --npz weights.npz
		panic(err)
	}
	// In Python: z = numpy.load("weights.npz"); z["W1"] @ numpy.vstack([x, 1]) …
	z, err := models.LoadNPZ(path)
	if err != nil {
		panic(err)
	}
	for _, b := range z.Blocks {
		fmt.Printf("%s %d×%d\n", b.Name, b.Rows, b.Cols)
	}
	fmt.Println("scaler:", z.Scaler.FeatureNames, z.Scaler.TargetMode)
	w, _ := z.WeightsFor(net)
	fmt.Println("same weights:", fmt.Sprint(w) == fmt.Sprint(m.Weights))

	// Predictions in the target's units from raw features (area, rooms).
	x := []float64{
		60, 120, // area of two houses
		2, 4, // rooms
	}
	p, _ := m.Predict(x, 2)
	q, _ := models.Predict(net, w, z.Scaler, x, 2)
	fmt.Println("same predictions:", fmt.Sprint(p) == fmt.Sprint(q))
	// Output:
	// W1 3×3
	// W2 1×4
	// scaler: [area rooms] standard
	// same weights: true
	// same predictions: true
}

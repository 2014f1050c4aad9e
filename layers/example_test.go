package layers_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	G "gorgonia.org/gorgonia"
)

// ridge is the l2 loss (1/B)‖Y − H‖²_F (package losses has the real ones).
type ridge struct{}

func (ridge) Name() string       { return "l2" }
func (ridge) Shape() graph.Shape { return graph.Shape{Convex: true} }
func (ridge) Build(h, y *G.Node) (*G.Node, error) {
	s := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(y, h))))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

// The paper's BodyFat network (Section 6): d0 = 13, d1 = d2 = d3 = 10,
// d4 = 1, logistic activations, one block per layer.
func Example() {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "W1", 10, x, layers.Logistic())
		h = layers.Dense(b, "W2", 10, h, layers.Logistic())
		h = layers.Dense(b, "W3", 10, h, layers.Logistic())
		return layers.Dense(b, "W4", 1, h, layers.Logistic()), nil
	}
	net, err := graph.New(13, build, ridge{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, blk := range net.Blocks() {
		fmt.Printf("%s %d×%d\n", blk.Name, blk.Rows, blk.Cols)
	}
	acts, ok := net.Chain()
	fmt.Println("chain:", ok, "logistic convex:", acts[0].Convex)
	// Output:
	// W1 10×13
	// W2 10×10
	// W3 10×10
	// W4 1×10
	// chain: true logistic convex: false
}

// A bias folds into the block as an extra column.
func ExampleWithBias() {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "W1", 4, x, layers.Softplus(), layers.WithBias())
		return layers.Linear(b, "W2", 1, h, layers.WithBias()), nil
	}
	net, err := graph.New(3, build, ridge{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, blk := range net.Blocks() {
		fmt.Printf("%s %d×%d\n", blk.Name, blk.Rows, blk.Cols)
	}
	// Output:
	// W1 4×4
	// W2 1×5
}

func ExampleActivationByName() {
	for _, name := range []string{"softplus", "selu", "isrlu"} {
		a, err := layers.ActivationByName(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		s := a.Shape()
		fmt.Printf("%s: convex %v, non-decreasing %v\n", a.Name(), s.Convex, s.NonDecreasing)
	}
	_, err := layers.ActivationByName("swish")
	fmt.Println(err)
	// Output:
	// softplus: convex true, non-decreasing true
	// selu: convex false, non-decreasing true
	// isrlu: convex true, non-decreasing true
	// layers: unknown activation "swish" (valid: identity, logistic, tanh, softplus, relu, leakyrelu, elu, selu, isru, isrlu, bentidentity, softexponential): invalid argument
}

// Projection onto the circular-convolution subspace averages each wrapped
// diagonal W[r][c], (r − c) mod 3 = m.
func ExampleToeplitzSet() {
	s := layers.ToeplitzSet{Rows: 3, Cols: 3}
	w := []float64{
		3, 0, 6,
		0, 3, 0,
		0, 3, 0,
	}
	s.Project(w)
	fmt.Println(w)
	fmt.Println("filter:", s.Filter(w))
	// Output:
	// [2 0 3 3 2 0 0 3 2]
	// filter: [2 3 0]
}

// A convolutional layer starts on the subspace and stays there under the
// block's projection.
func ExampleConv() {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Conv(b, "C1", 8, x, layers.Tanh())
		return layers.Dense(b, "W2", 1, h, layers.Identity()), nil
	}
	net, err := graph.New(8, build, ridge{})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := net.Init(rand.New(rand.NewPCG(1, 1)))
	blk := net.Blocks()[0]
	fmt.Println(blk.Set, len(blk.Set.(layers.ToeplitzSet).Filter(w[0])), "free taps")
	// Output:
	// circular-convolution Toeplitz 8×8 8 free taps
}

package graph_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
)

// A network is any Gorgonia expression of the input and declared blocks.
// Here f = (1/3)Σ_n (tanh(x_n1))² for the three columns x = 0, 1, 2, and
// ∇_{W2} f = (2/3)Σ_n tanh(x_n1)² in its first entry: both 0.503125 and
// 1.006250 by hand.
func Example() {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w1 := b.Weight("W1", 2, 2)
		w2 := b.Weight("W2", 1, 2)
		h := G.Must(G.Tanh(G.Must(G.Mul(w1, x))))
		return G.Mul(w2, h)
	}
	net, err := graph.New(2, build, sqLoss{})
	if err != nil {
		panic(err)
	}
	p, err := net.Program(3)
	if err != nil {
		panic(err)
	}
	w := graph.Weights{{1, 0, 0, 1}, {1, 1}}
	_ = p.SetWeights(w)
	_ = p.SetBatch([]float64{0, 1, 2, 0, 0, 0}, []float64{0, 0, 0})
	f, _ := p.Objective()
	g := make([]float64, 2)
	_ = p.Grad(1, g)
	fmt.Printf("blocks %d, f %.6f, ∇W2 [%.6f %.6f]\n", net.NumBlocks(), f, g[0], g[1])
	// Output: blocks 2, f 0.503125, ∇W2 [1.006250 0.000000]
}

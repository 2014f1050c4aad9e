package graph_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// BodyFat's 252 samples on 3 column shards of 84: f and the gradient are
// the one-Program values to rounding (shown to 12 digits), and AutoShards
// would keep this small problem on one Program.
func ExampleNet_NewSharded() {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		panic(err)
	}
	net, err := models.BodyFat().Net()
	if err != nil {
		panic(err)
	}
	w := net.Init(rand.New(rand.NewPCG(1, 2)))
	one, err := net.NewProgram(set.N)
	if err != nil {
		panic(err)
	}
	sh, err := net.NewSharded(set.N, graph.ShardConfig{Shards: 3})
	if err != nil {
		panic(err)
	}
	for _, e := range []graph.Evaluator{one, sh} {
		if err := e.SetBatch(set.X, set.Y); err != nil {
			panic(err)
		}
		if err := e.SetWeights(w); err != nil {
			panic(err)
		}
		f, err := e.Objective()
		if err != nil {
			panic(err)
		}
		g := make([]float64, net.Blocks()[3].Size())
		if err := e.Grad(3, g); err != nil {
			panic(err)
		}
		fmt.Printf("%T: f %.12f, ∇W4[0] %.12f\n", e, f, g[0])
	}
	fmt.Println("automatic shards:", graph.AutoShards(net, set.N))
	// Output:
	// *graph.Program: f 0.052633712984, ∇W4[0] 0.038070938278
	// *graph.Sharded: f 0.052633712984, ∇W4[0] 0.038070938278
	// automatic shards: 1
}

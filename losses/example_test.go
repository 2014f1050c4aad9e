package losses_test

import (
	"fmt"
	"math"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	G "gorgonia.org/gorgonia"
)

// A linear three-class classifier H = W·X trained with the softmax
// cross-entropy: at W = 0 every class has probability 1/3, so the loss is
// log 3 and the gradient is (softmax − Y)Xᵀ/B.
func Example() {
	loss, err := losses.ByName("softmax-cross-entropy")
	if err != nil {
		fmt.Println(err)
		return
	}
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w := b.Weight("W", 3, 2)
		if err := b.Err(); err != nil {
			return nil, err
		}
		return G.Mul(w, x)
	}
	net, err := graph.New(2, build, loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := net.Program(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float64{ // two samples, one per column
		1, 0,
		0, 1,
	}
	y := []float64{ // sample 0 is class 0, sample 1 is class 1
		1, 0,
		0, 1,
		0, 0,
	}
	if err := p.SetBatch(x, y); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.SetWeights(net.NewWeights()); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := p.DataLoss()
	fmt.Printf("%s = %.6f, log 3 = %.6f\n", loss.Name(), f, math.Log(3))
	g := make([]float64, 6)
	_ = p.Grad(0, g)
	fmt.Printf("gradient %.4f\n", g)

	// Targets that are not one-hot are rejected when bound.
	err = p.SetBatch(x, []float64{1, 0, 1, 1, 0, 0})
	fmt.Println(err)

	// The proximal step of λ‖W‖₁ with threshold λ/γ = 0.5.
	w := []float64{0.3, -1.2, 2, -0.5}
	losses.SoftThreshold(w, w, 0.5)
	fmt.Println(w, losses.L1Norm(w))
	// Output:
	// softmax-cross-entropy = 1.098612, log 3 = 1.098612
	// gradient [-0.3333 0.1667 0.1667 -0.3333 0.1667 0.1667]
	// graph: targets for loss softmax-cross-entropy: losses: softmax-cross-entropy needs one-hot columns: Y column 0 has a 1 in rows 0 and 1: invalid label
	// [0 -0.7 1.5 0] 2.2
}

// Names lists what ByName accepts; every loss reports its shape in H.
func ExampleNames() {
	for _, n := range losses.Names() {
		l, _ := losses.ByName(n)
		fmt.Printf("%-26s convex=%v monotone=%v\n", l.Name(), l.Shape().Convex, l.Shape().NonDecreasing || l.Shape().NonIncreasing)
	}
	_, err := losses.ByName("hinge")
	fmt.Println(err)
	// Output:
	// l2                         convex=true monotone=false
	// exponential                convex=true monotone=false
	// cross-entropy              convex=true monotone=false
	// cross-entropy-with-logits  convex=true monotone=false
	// squared-hinge              convex=true monotone=false
	// logistic                   convex=true monotone=false
	// softmax-cross-entropy      convex=true monotone=false
	// losses: unknown loss "hinge"; valid names: l2, exponential, cross-entropy, cross-entropy-with-logits, squared-hinge, logistic, softmax-cross-entropy: invalid argument
}

// Package bench measures bsum's speed and memory against a PyTorch
// reference (internal/bench/pytorch/bench.py): per-step cost of a plain
// gradient step, BSUM block steps, curvature products and matrices, memory
// over long runs, and time to accuracy of the solvers on the seed's BodyFat
// network. See README.md in this folder for how to run each measurement and
// for measured numbers; cmd/compare runs both sides and prints ratios.
//
// Conventions match bench.py: samples are columns, W_l is out×in, no biases,
// H_l = σ(W_l H_{l−1}) on every layer, ℓ = (1/N)Σ(Y − H)², float64.
package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// Layer sizes of the two benchmark problems.
var (
	BodyFatSizes = []int{13, 10, 10, 10, 1}
	LargeSizes   = []int{784, 256, 256, 10}
)

// LargeN is the number of samples of the synthetic large problem.
const LargeN = 10000

// Problem is a network with its training data.
type Problem struct {
	Name string
	Net  *graph.Net
	Data solvers.Data
}

// BodyFat is the seed's BodyFat problem: 13-10-10-10-1 logistic, l2, no
// bias, on the embedded data (13 standardised inputs, target min-max to
// [0, 1], N = 252).
func BodyFat() (*Problem, error) {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		return nil, err
	}
	net, err := models.BodyFat().Net()
	if err != nil {
		return nil, err
	}
	return &Problem{Name: "bodyfat", Net: net, Data: solvers.Data{X: set.X, Y: set.Y, N: set.N}}, nil
}

// Large is the synthetic problem: 784-256-256-10 logistic, l2, no bias, with
// n samples, X ~ N(0, 1) and Y ~ U[0, 1] drawn from a PCG seeded with seed.
func Large(n int, seed uint64) (*Problem, error) {
	net, err := models.MLP("logistic", LargeSizes...).Net()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c61726765))
	x := make([]float64, LargeSizes[0]*n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, LargeSizes[len(LargeSizes)-1]*n)
	for i := range y {
		y[i] = rng.Float64()
	}
	return &Problem{Name: fmt.Sprintf("large-%d", n), Net: net, Data: solvers.Data{X: x, Y: y, N: n}}, nil
}

// InitRNG is the generator for the Glorot-normal start of seed: the one
// solvers.Minimize uses for w0 == nil, so a seeded start here and inside a
// solver run are the same weights.
func InitRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x62737566)) }

// Program compiles a private program for the whole data set and binds data
// and weights.
func (p *Problem) Program(w graph.Weights) (*graph.Program, error) {
	prog, err := p.Net.NewProgram(p.Data.N)
	if err != nil {
		return nil, err
	}
	if err := prog.SetBatch(p.Data.X, p.Data.Y); err != nil {
		return nil, err
	}
	if err := prog.SetWeights(w); err != nil {
		return nil, err
	}
	return prog, nil
}

// FullStep is PyTorch's training step through graph.Program: forward (the
// loss), backward (every block gradient), then W_j ← W_j − LR·∇_j f for every
// block.
type FullStep struct {
	Prog *graph.Program
	W, G graph.Weights
	LR   float64
	// Loss is f at the weights before the last step.
	Loss float64
}

// NewFullStep starts from w0 (copied).
func NewFullStep(p *Problem, w0 graph.Weights, lr float64) (*FullStep, error) {
	w := w0.Clone()
	prog, err := p.Program(w)
	if err != nil {
		return nil, err
	}
	return &FullStep{Prog: prog, W: w, G: p.Net.NewWeights(), LR: lr}, nil
}

// Step runs one step.
func (s *FullStep) Step() error {
	if err := s.Prog.SetWeights(s.W); err != nil {
		return err
	}
	f, err := s.Prog.Objective()
	if err != nil {
		return err
	}
	s.Loss = f
	for j := range s.G {
		if err := s.Prog.Grad(j, s.G[j]); err != nil {
			return err
		}
	}
	for j, g := range s.G {
		w := s.W[j]
		for i, v := range g {
			w[i] -= s.LR * v
		}
	}
	return nil
}

// BlockStep is one cyclic BSUM/BP iteration through graph.Program: the
// gradient of block j = k mod J (the activations below W_j are memoised from
// earlier iterations), W_j ← W_j − LR·∇_j f, and SetBlock, which invalidates
// only what depends on W_j.
type BlockStep struct {
	Prog *graph.Program
	W    graph.Weights
	G    graph.Weights
	LR   float64
	K    int
}

// NewBlockStep starts from w0 (copied).
func NewBlockStep(p *Problem, w0 graph.Weights, lr float64) (*BlockStep, error) {
	w := w0.Clone()
	prog, err := p.Program(w)
	if err != nil {
		return nil, err
	}
	return &BlockStep{Prog: prog, W: w, G: p.Net.NewWeights(), LR: lr}, nil
}

// Step updates one block.
func (s *BlockStep) Step() error {
	j := s.K % len(s.W)
	s.K++
	g, w := s.G[j], s.W[j]
	if err := s.Prog.Grad(j, g); err != nil {
		return err
	}
	for i, v := range g {
		w[i] -= s.LR * v
	}
	return s.Prog.SetBlock(j, w)
}

// FashionShaped is a synthetic problem of Fashion-MNIST's shape, the
// network of examples/fashion: 784-256-10 ReLU with biases, softmax
// cross-entropy, n samples with pixels ~ U[0, 1] and random one-hot labels
// drawn from a PCG seeded with seed.
func FashionShaped(n int, seed uint64) (*Problem, error) {
	spec := models.Spec{Kind: models.KindMLP, Sizes: []int{784, 256, 10}, Activation: "relu", Output: "identity",
		Bias: true, Loss: "softmax-cross-entropy"}
	net, err := spec.Net()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x66617368))
	x := make([]float64, 784*n)
	for i := range x {
		x[i] = rng.Float64()
	}
	y := make([]float64, 10*n)
	for c := 0; c < n; c++ {
		y[rng.IntN(10)*n+c] = 1
	}
	return &Problem{Name: fmt.Sprintf("fashion-shaped-%d", n), Net: net, Data: solvers.Data{X: x, Y: y, N: n}}, nil
}

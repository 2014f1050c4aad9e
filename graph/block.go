package graph

import (
	"math"
	"math/rand/v2"

	"github.com/bsum-go/bsum/internal/finite"
)

// Set is a closed convex set of feasible weights for one block, W_j in the
// seed paper's problem (3). Project replaces w by its Euclidean projection
// onto the set. A nil Set means the whole space R^{rows×cols}.
type Set interface {
	// Project overwrites w (row-major, rows×cols) with its Euclidean projection.
	Project(w []float64)
	// String names the set in errors and logs.
	String() string
}

// Initializer fills w (row-major rows×cols) with starting weights.
type Initializer func(rng *rand.Rand, rows, cols int, w []float64)

// GlorotNormal draws each weight from N(0, 2/(rows+cols)) (Glorot and Bengio, 2010).
func GlorotNormal(rng *rand.Rand, rows, cols int, w []float64) {
	s := math.Sqrt(2 / float64(rows+cols))
	for i := range w {
		w[i] = s * rng.NormFloat64()
	}
}

// Block is one weight block W_j of the network: a rows×cols matrix stored
// row-major.
type Block struct {
	Name       string
	Rows, Cols int
	// Set is the feasible set W_j; nil means unconstrained.
	Set Set
	// Init draws starting weights; nil means GlorotNormal. The result is
	// projected onto Set.
	Init Initializer
	// Tikhonov is λ_j of the smooth regulariser λ_j‖W_j‖²_F, which is part
	// of the differentiated objective.
	Tikhonov float64
	// L1 is λ_j of the non-smooth regulariser λ_j‖W_j‖₁. It is not in the
	// smooth graph: solvers handle it through its proximal operator.
	L1 float64
}

// Size is the number of weights in the block.
func (b Block) Size() int { return b.Rows * b.Cols }

// BlockOption configures a block when a layer declares it.
type BlockOption func(*Block)

// WithSet constrains the block to a closed convex set.
func WithSet(s Set) BlockOption { return func(b *Block) { b.Set = s } }

// WithInit sets the block's initializer.
func WithInit(f Initializer) BlockOption { return func(b *Block) { b.Init = f } }

// Weights holds one row-major slice per block, in block order.
//
// Weights are plain data, not guarded: do not write them while another
// goroutine reads them. Functions that take starting weights
// (solvers.Minimize, solvers.Race) copy them, so one Weights value may start
// several concurrent runs.
type Weights [][]float64

// Clone returns a deep copy.
func (w Weights) Clone() Weights {
	c := make(Weights, len(w))
	for i := range w {
		c[i] = append([]float64(nil), w[i]...)
	}
	return c
}

// CopyFrom copies src into w; the shapes must match.
func (w Weights) CopyFrom(src Weights) {
	for i := range w {
		copy(w[i], src[i])
	}
}

// AllFinite reports whether every weight is finite.
func (w Weights) AllFinite() bool {
	for _, b := range w {
		if !allFinite(b) {
			return false
		}
	}
	return true
}

func allFinite(x []float64) bool { return finite.All(x) }

// Box is the set {W : Lo ≤ W_ik ≤ Hi}.
type Box struct{ Lo, Hi float64 }

// Project clips every entry to [Lo, Hi].
func (b Box) Project(w []float64) {
	for i, v := range w {
		w[i] = math.Min(math.Max(v, b.Lo), b.Hi)
	}
}

// String names the set.
func (b Box) String() string { return "box" }

// Ball is the Frobenius-norm ball {W : ‖W‖_F ≤ Radius}.
type Ball struct{ Radius float64 }

// Project scales w onto the ball when it lies outside.
func (b Ball) Project(w []float64) {
	var s float64
	for _, v := range w {
		s += v * v
	}
	n := math.Sqrt(s)
	if n <= b.Radius || n == 0 {
		return
	}
	f := b.Radius / n
	for i := range w {
		w[i] *= f
	}
}

// String names the set.
func (b Ball) String() string { return "frobenius ball" }

// Bounds returns Lo and Hi.
func (b Box) Bounds() (lo, hi float64) { return b.Lo, b.Hi }

// Subspace marks a Set that is a linear subspace: its Project is then the
// orthogonal projector P (linear, self-adjoint, idempotent). Solvers use it
// to minimise quadratic models within the subspace directly (projected
// conjugate gradients) instead of by an inner projected method.
type Subspace interface {
	Set
	LinearSubspace()
}

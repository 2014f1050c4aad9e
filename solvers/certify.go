package solvers

import (
	"fmt"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/surrogate"
)

// Certify applies the seed paper's Proposition 1 (convexity of f_j) and
// Proposition 2 (concavity) to block j of net at weights w.
//
// It needs the network to be a verified plain chain (graph.Net.Chain); any
// other architecture gets no certificate. The activations Σ_j..Σ_J after
// the block and the loss's shape in H decide:
//
//   - if every Σ_j..Σ_J is affine (deep linear), H is affine in W_j and f_j
//     is convex exactly when the loss is;
//   - C1: Σ_j..Σ_J convex and non-decreasing, ℓ convex and non-decreasing;
//   - C2: Σ_j..Σ_J concave and non-decreasing, ℓ convex and non-increasing;
//   - Proposition 2: Σ_j..Σ_J convex and non-decreasing, ℓ concave and
//     non-increasing, no Tikhonov term on the block.
//
// One condition the seed's proof omits is checked as well: between Σ_j and
// Σ_{j+1} sits the fixed matrix W_{j+1}, and a convex function mapped through
// a matrix with a negative entry need not be convex (the seed's eq. (15)
// treats the later layers as if they were monotone maps, which they are only
// when W_{j+1}, …, W_J are entrywise non-negative). So for j < J the
// certificate also requires those blocks to be non-negative at w.
func Certify(net *graph.Net, w graph.Weights, j int) surrogate.Certificate {
	acts, ok := net.Chain()
	if !ok {
		return surrogate.Certificate{Reason: "the network is not a verified chain of declared layers, so Proposition 1 does not apply"}
	}
	if j < 0 || j >= len(acts) {
		return surrogate.Certificate{Reason: fmt.Sprintf("block %d out of range", j)}
	}
	loss := net.Loss().Shape()
	blocks := net.Blocks()
	after := acts[j:]
	all := func(pred func(graph.Shape) bool) bool {
		for _, a := range after {
			if !pred(a) {
				return false
			}
		}
		return true
	}
	affine := all(func(s graph.Shape) bool { return s.Convex && s.Concave })
	if affine {
		if loss.Convex {
			return surrogate.Certificate{Convex: true, Affine: true, Reason: "H is affine in the block (identity activations) and the loss is convex"}
		}
		if loss.Concave {
			return surrogate.Certificate{Concave: true, Affine: true, Reason: "H is affine in the block (identity activations) and the loss is concave"}
		}
		return surrogate.Certificate{Affine: true, Reason: "H is affine in the block but the loss is neither convex nor concave"}
	}
	for k := j + 1; k < len(blocks); k++ {
		for _, v := range w[k] {
			if v < 0 {
				return surrogate.Certificate{Reason: fmt.Sprintf("block %q after block %q has a negative weight; Proposition 1's composition argument needs W_{j+1..J} ≥ 0", blocks[k].Name, blocks[j].Name)}
			}
		}
	}
	cvxInc := all(func(s graph.Shape) bool { return s.Convex && s.NonDecreasing })
	ccvInc := all(func(s graph.Shape) bool { return s.Concave && s.NonDecreasing })
	switch {
	case cvxInc && loss.Convex && loss.NonDecreasing:
		return surrogate.Certificate{Convex: true, Reason: "C1: convex non-decreasing activations and a convex non-decreasing loss"}
	case ccvInc && loss.Convex && loss.NonIncreasing:
		return surrogate.Certificate{Convex: true, Reason: "C2: concave non-decreasing activations and a convex non-increasing loss"}
	case cvxInc && loss.Concave && loss.NonIncreasing && blocks[j].Tikhonov == 0:
		return surrogate.Certificate{Concave: true, Reason: "Proposition 2: convex non-decreasing activations and a concave non-increasing loss, no regularisation"}
	}
	return surrogate.Certificate{Reason: fmt.Sprintf("neither C1, C2 nor Proposition 2 holds for block %q with loss %s", blocks[j].Name, net.Loss().Name())}
}

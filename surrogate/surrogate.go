// Package surrogate builds the strongly convex upper bounds g_j of the seed
// paper's BSUM method (Ghauch et al., Section 4 and Appendix A) and returns
// their minimisers, the block directions D_j = argmin_{W ∈ W_j} g_j(W; W^(k))
// of its eq. (6).
//
// A Surrogate sees the block problem f_j(·; W_{-j}^(k)) through the Problem
// interface and states in Needs what it will ask of it, so a first-order
// bound never pays for a Hessian-vector product. Non-smooth L1 terms
// (Appendix A.6) and feasible sets W_j are handled by every surrogate: the
// first-order bound composes its step with the proximal map or projection,
// the curvature-based bounds run an inner proximal or projected method on
// their quadratic model.
//
// For blocks too large for a p×p matrix, HessianFree minimises the damped
// Gauss-Newton bound matrix-free (Martens' Hessian-free recipe): products on
// a curvature mini-batch drawn through CurvatureSampler, a budgeted,
// warm-started conjugate-gradient solve, and Levenberg-Marquardt damping by
// the gain ratio on the current batch.
package surrogate

import (
	"context"
	"errors"

	"github.com/bsum-go/bsum/graph"
)

// Certificate says what is known about the block function f_j: convex
// (Proposition 1, conditions C1/C2) or concave (Proposition 2). Reason
// explains the verdict in words.
type Certificate struct {
	Convex, Concave bool
	// Affine: the network output H is affine in the block (identity
	// activations after it), so f_j is the loss composed with an affine map;
	// with the l2 loss the block problem is linear least squares.
	Affine bool
	Reason string
}

// Problem is the block problem f_j(W_j; W_{-j}^(k)) at the current iterate
// W^(k). Slices it returns are read-only and valid until the next call that
// moves the iterate.
type Problem interface {
	// Index is j, the block's position.
	Index() int
	// Block describes W_j: shape, feasible set, regularisers.
	Block() graph.Block
	// Point is W_j^(k).
	Point() []float64
	// Value is the smooth objective f(W^(k)) on the current batch.
	Value() float64
	// Gradient is ∇_{W_j} f(W^(k)).
	Gradient() []float64
	// L1 is λ_j of the non-smooth term λ_j‖W_j‖₁ (0 for none).
	L1() float64
	// HVP writes ∇²_{W_j} f(W^(k)) · v into dst.
	HVP(v, dst []float64) error
	// GaussNewton writes the Gauss-Newton product G_j v into dst.
	GaussNewton(v, dst []float64) error
	// Hessian writes the explicit p×p block Hessian into dst.
	Hessian(dst []float64) error
	// GaussNewtonMatrix writes the explicit p×p Gauss-Newton matrix.
	GaussNewtonMatrix(dst []float64) error
	// Eval returns the smooth f_j at w with the other blocks fixed, and its
	// gradient in grad when grad is not nil. It does not move the iterate.
	Eval(w, grad []float64) (float64, error)
	// Certificate is the convexity verdict for f_j.
	Certificate() Certificate
}

// Needs lists what a surrogate asks of a Problem.
type Needs struct {
	HVP, GaussNewton, Hessian, Eval bool
	// Convex / Concave: the surrogate is only an upper bound, or only
	// well defined, when f_j is certified convex / concave.
	Convex, Concave bool
}

// Info reports how a direction was found.
type Info struct {
	// Gamma is the proximal weight γ_j finally used.
	Gamma float64
	// Inner counts inner iterations (CG, proximal gradient, Newton).
	Inner int
	// Rejected counts trial directions rejected before this one (LM damping).
	Rejected int
	// ModelDecrease is g_j(W^(k)) − g_j(D_j) ≥ 0.
	ModelDecrease float64
	// CurvatureBatch is the number of columns the curvature products were
	// evaluated on (HessianFree's curvature mini-batch); 0 when the
	// surrogate did not choose one.
	CurvatureBatch int
}

// Surrogate computes the block direction D_j.
//
// Direction may be called concurrently for different blocks of one run
// (solvers' Jacobi rule), so per-block state must be guarded. State that
// belongs to one run is reset by Resetter or, so that concurrent runs never
// share it, copied per run by solvers.Minimize (see solvers.SurrogateForker).
type Surrogate interface {
	// Name is a short human-readable name.
	Name() string
	// Needs states what Direction will ask of the Problem.
	Needs() Needs
	// Direction writes D_j = argmin_{W ∈ W_j} g_j(W; W^(k)) (+ λ_j‖W‖₁) into d.
	Direction(ctx context.Context, p Problem, d []float64) (Info, error)
}

// Resetter is implemented by stateful surrogates (adaptive damping,
// accumulated squared gradients) so a new run starts from a clean state.
type Resetter interface {
	Reset(blocks int)
}

// Errors; test with errors.Is.
var (
	// ErrNotCertified: the surrogate needs a convex (or concave) block and
	// Proposition 1 (or 2) does not certify it.
	ErrNotCertified = errors.New("block is not certified convex/concave")
	// ErrUnsupported: the combination of surrogate, feasible set and
	// regulariser has no exact minimiser here.
	ErrUnsupported = errors.New("unsupported combination")
	// ErrNotFinite: a NaN or Inf appeared.
	ErrNotFinite = errors.New("value is not finite")
)

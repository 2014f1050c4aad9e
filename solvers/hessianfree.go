package solvers

import (
	"fmt"

	"github.com/bsum-go/bsum/surrogate"
)

// HFOptions configure HessianFree. Zero values take Martens' defaults as
// given; see surrogate.HessianFree for the exact meaning of each.
type HFOptions struct {
	// CurvatureBatch is the number of columns of each iteration's batch on
	// which Gauss-Newton products are evaluated, redrawn every block update.
	// If 0, CurvatureFraction decides.
	CurvatureBatch int
	// CurvatureFraction is the share of the batch used when CurvatureBatch
	// is 0 (default 0.1; 1 uses the whole batch).
	CurvatureFraction float64
	// CGIters is the CG budget in curvature products per model
	// minimisation (default 50).
	CGIters int
	// CGTol is CG's relative residual tolerance (default 1e-10).
	CGTol float64
	// Progress is ε of Martens' relative-progress stop (default 5e-4;
	// negative disables it).
	Progress float64
	// WarmStart is ζ of the warm start from the previous CG solution of the
	// block (default 0.95; negative starts CG from 0 every time).
	WarmStart float64
	// Damping, if not nil, sets the Levenberg-Marquardt damping (initial γ,
	// bounds, factors). It holds per-run state: give each run its own. A
	// nil Damping uses surrogate.Damping's defaults.
	Damping *surrogate.Damping
}

// HessianFree is the Hessian-free second-order method of J. Martens (2010)
// as a BSUM instance: the second-order bound (A.1) with Gauss-Newton
// curvature evaluated on a curvature mini-batch, minimised matrix-free by a
// budgeted, warm-started conjugate-gradient solve, with Levenberg-Marquardt
// damping by the gain ratio on the current batch, and unit step
// (surrogate.HessianFree). It never forms a p×p matrix, so it serves blocks
// of hundreds of thousands of weights; the memory of one block direction is
// O(p).
//
// It is BSUM{Surrogate: &surrogate.HessianFree{…}, Step: Unit{}} with the
// default cyclic blocks and full batch; set Batches for mini-batches (the
// gradient and the gain ratio use the iteration's batch, the curvature a
// sub-batch of it) and Blocks for another block rule. The curvature columns
// of iteration k and block j come from a stream seeded by (Settings.Seed,
// k, j), so runs are reproducible and the batches and blocks drawn are those
// of the same method without a curvature mini-batch. Each block keeps one
// private program for its curvature mini-batch size; with GrowingBatch use
// a fixed CurvatureBatch, since a fraction of a growing batch changes size,
// and so compiles a program, at every iteration.
//
// Guarantee, as for LM (Lemma2 is set): with the full batch every accepted
// step strictly decreases f and a rejected one leaves it unchanged, so f
// never increases; when the damping stays at or above the Lipschitz
// constant L_j of ∇_j f (Damping.Min ≥ L_j) the damped Gauss-Newton model
// is a global upper bound for a loss convex in the output, and the seed's
// Lemma 2 (the BSUM theorem of Razaviyayn et al.) covers the unit step up to
// the inexactness of truncated CG. Below that damping the model need not
// bound f and only the monotone decrease is guaranteed; with mini-batches
// the decrease holds on each iteration's batch only, and no convergence is
// claimed.
func HessianFree(o HFOptions) BSUM {
	s := &surrogate.HessianFree{
		CurvatureBatch: o.CurvatureBatch, CurvatureFraction: o.CurvatureFraction,
		CGMaxIter: o.CGIters, CGTol: o.CGTol, Progress: o.Progress, WarmStart: o.WarmStart,
		Damping: o.Damping,
	}
	curv := fmt.Sprintf("%g of the batch", hfDefault(o.CurvatureFraction, 0.1))
	if o.CurvatureBatch > 0 {
		curv = fmt.Sprintf("%d columns", o.CurvatureBatch)
	}
	budget := o.CGIters
	if budget == 0 {
		budget = 50
	}
	name := fmt.Sprintf("HF (curvature %s, CG ≤ %d)", curv, budget)
	return BSUM{Name: name, Surrogate: s, Step: Unit{}, Lemma2: true}
}

func hfDefault(x, d float64) float64 {
	if x == 0 {
		return d
	}
	return x
}

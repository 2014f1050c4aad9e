package solvers

import "fmt"

// Evaluation weights: what one count of each Stats field costs, in network
// passes over the batch (one forward or one backward sweep). They define
// Progress.Evaluations and so EvaluationBudget.
const (
	// PassesObjective is the cost of f on a batch: one forward pass.
	PassesObjective = 1
	// PassesGradient is the cost of ∇_j f given f's forward pass: one
	// backward pass (f and ∇_j f together cost 2).
	PassesGradient = 1
	// PassesProduct is the cost of one curvature-vector product, ∇²_j f·v
	// (Pearlmutter's R-operator: a tangent forward and a backward pass) or
	// G_j v (J_j v forward, J_jᵀ(·) backward): 2, as much as f and ∇_j f.
	PassesProduct = 2
)

// EvaluationBudget stops the run with status EvaluationLimit once the
// method's work, Progress.Evaluations, reaches Max network passes. The
// check follows every record, so the last iteration may overshoot Max by
// at most its own cost; the count reached is in the reason.
//
// What counts (the weights are the constants Passes*): every objective on
// a batch 1, every block gradient 1, every Hessian- or Gauss-Newton-vector
// product 2, and an explicit P_j×P_j block Hessian or Gauss-Newton matrix
// 2·P_j, the P_j products that would build it column by column (P_j is the
// size of the block it is of: the updated block; when an iteration updates
// several blocks, as Jacobi does, the matrices are shared out equally among
// them, which is exact for this package's surrogates, one matrix per block
// update). Full evaluations for the records and the Result, and validation,
// are not counted: they are bookkeeping, the same for every method.
//
// Why this is fair between first- and second-order methods: every unit is
// a pass of the same network over the same batch, so a gradient step (2 per
// block update), a matrix-free Newton step (2 + 2 per product) and an
// explicit Levenberg-Marquardt step (2 + 2·P_j + its trial objectives) are
// charged for the derivative information they use, and a method that builds
// a matrix pays as much as one that applies the same operator P_j times. A
// plain count of calls would charge a P_j×P_j matrix like one gradient and
// let the second-order methods win for free. The count depends only on the
// method's operations, not on the machine, so it is reproducible. It does
// not model how the program assembles a matrix (possibly with fewer passes
// when B·d_J < P_j) nor curvature mini-batches being smaller than the batch.
//
// EvaluationBudget is stateless and safe for concurrent use.
type EvaluationBudget struct{ Max int }

// Converged implements Converger.
func (b EvaluationBudget) Converged(p *Progress) (Status, string) {
	if p.Evaluations >= b.Max {
		return EvaluationLimit, fmt.Sprintf("%d evaluations (network passes) reached the budget %d at iteration %d", p.Evaluations, b.Max, p.History[len(p.History)-1].K)
	}
	return NotStopped, ""
}

// passes is the method's work since the last record, weighed as
// EvaluationBudget says; rec is the newest record.
func (r *run) passes(rec *Record) int {
	d, o := r.ctl.stats, r.ctl.counted
	n := PassesObjective*(d.Objective-o.Objective) + PassesGradient*(d.Gradient-o.Gradient) +
		PassesProduct*(d.HVP-o.HVP+d.GaussNewton-o.GaussNewton)
	if m := d.Hessian - o.Hessian + d.GaussNewtonMatrix - o.GaussNewtonMatrix; m > 0 && len(rec.Blocks) > 0 {
		size := 0
		for _, j := range rec.Blocks {
			size += r.blocks[j].Size()
		}
		// m matrices shared out among the updated blocks, rounded up.
		n += PassesProduct * ((m*size + len(rec.Blocks) - 1) / len(rec.Blocks))
	}
	return n
}

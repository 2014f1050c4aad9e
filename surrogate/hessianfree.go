package surrogate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
)

// CurvatureSampler is implemented by a Problem that can evaluate its block
// curvature products on a sub-batch: m of the current batch's B columns, at
// the same iterate W^(k). The block problems of package solvers implement
// it; HessianFree uses it for its curvature mini-batch.
type CurvatureSampler interface {
	// BatchColumns is B, the number of columns (samples) of the current
	// batch on which Value, Gradient and Eval are computed.
	BatchColumns() int
	// SampleCurvature draws m distinct columns of the current batch
	// (1 ≤ m ≤ B), uniformly without replacement from a seeded stream, and
	// returns the block's curvature products on them alone. The products
	// are valid while the iterate W^(k) does not move.
	SampleCurvature(m int) (SampledCurvature, error)
}

// SampledCurvature is the block curvature of the objective f_S evaluated on
// a sub-batch S of the current batch's columns alone, at W^(k): f_S is the
// network's objective (loss plus regularisers) on a batch made of exactly
// those columns. For a loss that is a mean of per-sample terms (every loss
// in package losses except the exponential one) the Gauss-Newton matrix G_S
// of f_S is an unbiased estimate of the batch's G when S is drawn uniformly.
type SampledCurvature interface {
	// Columns are the indices of S in the current batch, ascending
	// (read-only).
	Columns() []int
	// GaussNewton writes G_S v, the Gauss-Newton product of f_S, into dst.
	GaussNewton(v, dst []float64) error
	// HVP writes ∇²f_S v into dst.
	HVP(v, dst []float64) error
}

// errNoMatrix is returned by the explicit-matrix methods of the problem
// HessianFree hands to its inner solver: the Hessian-free path must never
// form a p×p matrix.
var errNoMatrix = errors.New("hessian-free: explicit p×p curvature matrices are never formed")

// HessianFree is the second-order bound (A.1) with Gauss-Newton curvature
// minimised matrix-free, for blocks too large for a p×p matrix: the
// Hessian-free recipe of J. Martens, "Deep learning via Hessian-free
// optimization" (ICML 2010), as a BSUM surrogate.
//
// Each Direction call
//   - draws a curvature mini-batch S of CurvatureBatch columns (or
//     CurvatureFraction of the current batch) when the Problem is a
//     CurvatureSampler, and evaluates the Gauss-Newton products G_S v there,
//     on a program of batch size |S| with the same weights; the gradient
//     ∇f, the value f and the trial evaluations stay on the whole current
//     batch. A Problem that is not a CurvatureSampler, or a sub-batch as
//     large as the batch, uses the batch's own products;
//   - minimises the damped model q(s) = ⟨∇f, s⟩ + ½sᵀ(G_S + γ_j I)s by
//     conjugate gradients with a budget of CGMaxIter products, stopped early
//     by Martens' relative-progress test on q, started from the previous
//     solution of the same block scaled by WarmStart;
//   - accepts the point only when the gain ratio ρ of the true f on the
//     current batch against the model decrease is positive, and adapts γ_j
//     by Nielsen's rule (Damping), exactly as SecondOrder with Adaptive.
//
// No p×p matrix is ever formed, and the memory of one direction is O(p):
// the explicit-matrix methods of the Problem are never called (the inner
// solver sees a problem on which they fail), and the L1 or feasible-set
// path runs FISTA with a power-iteration Lipschitz estimate on products.
//
// What is guaranteed: when the loss is convex in the network output, G_S is
// positive semi-definite, so every CG iterate from a start with q < 0 is a
// descent direction and its model decrease is positive; an accepted step
// (ρ > 0) strictly decreases f on the current batch, and a rejected one
// raises γ_j (after Damping.MaxRejections rejections the null step D = W^(k)
// is returned, f unchanged). With the full batch f therefore never
// increases. Once γ_j ≥ L_j, a Lipschitz constant of ∇_j f on the sublevel
// set, the damped model is a global upper bound of f_j (f_j(W+s) ≤ f + ⟨∇f,
// s⟩ + L_j/2‖s‖² ≤ f + q(s) because G_S ⪰ 0), so with Damping.Min ≥ L_j,
// cyclic blocks and the full batch the method satisfies the hypotheses of
// BSUM's convergence theorem (Razaviyayn et al., 2013; the seed's Lemma 2),
// up to CG's inexact minimisation. Below that γ the model need not bound f
// and only the monotone decrease is guaranteed, not convergence to a
// stationary point; with mini-batches (Batches.Size > 0) nothing is.
//
// A HessianFree holds per-block state (the damping in Damping and the
// warm-start vectors), so use it through a pointer, Reset it per run (the
// solvers driver does) and give each concurrent run its own. It is safe
// for concurrent use by different blocks (the Jacobi rule), not by one
// block from several goroutines.
type HessianFree struct {
	// CurvatureBatch is the number of columns of the current batch on which
	// the Gauss-Newton products are evaluated, redrawn at every Direction
	// call; it is capped at the batch size. If CurvatureBatch is 0,
	// CurvatureFraction decides.
	CurvatureBatch int
	// CurvatureFraction is the share of the current batch's columns used
	// when CurvatureBatch is 0: ⌈CurvatureFraction·B⌉, at least 1. If
	// CurvatureFraction is 0, it defaults to 0.1; 1 uses the whole batch.
	CurvatureFraction float64
	// CGMaxIter is the CG budget: the most curvature products one
	// minimisation of the model may spend (a warm start's residual
	// included). If CGMaxIter is 0, it defaults to 50.
	CGMaxIter int
	// CGTol stops CG at ‖r‖ ≤ CGTol·‖∇f‖. If CGTol is 0, it defaults to
	// 1e-10 (in practice the progress test or the budget stops CG first).
	CGTol float64
	// Progress is ε of Martens' stopping rule: CG stops at iteration i when
	// q_i < 0 and (q_i − q_{i−k})/q_i < k·ε with k = max(10, ⌈i/10⌉). If
	// Progress is 0, it defaults to 5e-4; negative disables the rule.
	Progress float64
	// WarmStart is ζ: CG starts from ζ times the previous solution of the
	// same block (Martens' 0.95), or from 0 when that start does not lower
	// the model below 0 (then every iterate is still a descent direction).
	// If WarmStart is 0, it defaults to 0.95; negative starts from 0 each
	// time. It must not exceed 1.
	WarmStart float64
	// InnerTol and MaxInner control the inner FISTA loop used with an L1
	// term or a feasible set (see SecondOrder).
	InnerTol float64
	MaxInner int
	// Damping is the Levenberg-Marquardt control of γ_j. If Damping is nil,
	// a private one with default settings is used.
	Damping *Damping

	mu   sync.Mutex
	own  *Damping
	prev [][]float64 // warm-start vectors, by block
}

var (
	_ Surrogate = (*HessianFree)(nil)
	_ Resetter  = (*HessianFree)(nil)
	_ Bounder   = (*HessianFree)(nil)
)

// Name returns "hessian-free".
func (h *HessianFree) Name() string { return "hessian-free" }

// Needs lists Gauss-Newton products and Eval (the gain ratio).
func (h *HessianFree) Needs() Needs { return Needs{GaussNewton: true, Eval: true} }

// Reset clears the damping and the warm-start vectors for a run over blocks
// blocks.
func (h *HessianFree) Reset(blocks int) {
	h.damping().Reset(blocks)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.prev = make([][]float64, blocks)
}

// Gamma returns the current γ_j of block j.
func (h *HessianFree) Gamma(j int) float64 { return h.damping().Gamma(j) }

func (h *HessianFree) damping() *Damping {
	if h.Damping != nil {
		return h.Damping
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.own == nil {
		h.own = &Damping{}
	}
	return h.own
}

func (h *HessianFree) validate() error {
	switch {
	case h.CurvatureBatch < 0:
		return fmt.Errorf("surrogate: HessianFree.CurvatureBatch = %d must not be negative", h.CurvatureBatch)
	case !(h.CurvatureFraction >= 0 && h.CurvatureFraction <= 1):
		return fmt.Errorf("surrogate: HessianFree.CurvatureFraction = %v must be in [0, 1]", h.CurvatureFraction)
	case h.CGMaxIter < 0 || h.MaxInner < 0 || !(h.CGTol >= 0) || !(h.InnerTol >= 0):
		return errors.New("surrogate: HessianFree CG and inner settings must not be negative")
	case math.IsNaN(h.Progress) || math.IsInf(h.Progress, 0):
		return fmt.Errorf("surrogate: HessianFree.Progress = %v must be finite", h.Progress)
	case math.IsNaN(h.WarmStart) || h.WarmStart > 1 || math.IsInf(h.WarmStart, 0):
		return fmt.Errorf("surrogate: HessianFree.WarmStart = %v must be at most 1", h.WarmStart)
	}
	return h.damping().validate()
}

// columns is the curvature mini-batch size for a batch of b columns.
func (h *HessianFree) columns(b int) int {
	m := h.CurvatureBatch
	if m == 0 {
		m = int(math.Ceil(orDefault(h.CurvatureFraction, 0.1) * float64(b)))
	}
	return min(max(m, 1), b)
}

// inner is the SecondOrder that does the work: Gauss-Newton curvature,
// always conjugate gradients, this HessianFree's CG and damping.
func (h *HessianFree) inner() SecondOrder {
	budget := h.CGMaxIter
	if budget == 0 {
		budget = 50
	}
	return SecondOrder{
		Curvature: GaussNewton, Solver: CG, CGTol: h.CGTol, CGMaxIter: budget,
		InnerTol: h.InnerTol, MaxInner: h.MaxInner, Adaptive: h.damping(), cg: h,
	}
}

// Direction writes the approximate minimiser of the damped Gauss-Newton
// bound, with curvature on a fresh curvature mini-batch, into d. Info.Inner
// counts curvature products (CG, the warm start, model values, inner
// FISTA); Info.CurvatureBatch is |S|.
func (h *HessianFree) Direction(ctx context.Context, p Problem, d []float64) (Info, error) {
	if err := h.validate(); err != nil {
		return Info{}, err
	}
	if _, _, err := start(p, d); err != nil {
		return Info{}, err
	}
	q := &hfProblem{Problem: p}
	m := 0
	if cs, ok := p.(CurvatureSampler); ok {
		b := cs.BatchColumns()
		m = h.columns(b)
		if m < b {
			sc, err := cs.SampleCurvature(m)
			if err != nil {
				return Info{}, fmt.Errorf("surrogate: block %d: curvature mini-batch of %d columns: %w", p.Index(), m, err)
			}
			q.curv = sc
		}
	}
	info, err := h.inner().Direction(ctx, q, d)
	info.CurvatureBatch = m
	return info, err
}

// Bound returns the damped Gauss-Newton bound (A.1) at w with the current
// γ_j and the curvature of the whole current batch (the model Direction
// minimises has the curvature of a random sub-batch instead, an unbiased
// estimate of it for losses that are means over samples).
func (h *HessianFree) Bound(p Problem, w []float64) (float64, error) {
	return SecondOrder{Curvature: GaussNewton}.BoundGamma(&hfProblem{Problem: p}, w, h.Gamma(p.Index()))
}

// hfProblem is the Problem the inner SecondOrder sees: curvature products
// from the curvature mini-batch (or the problem's own), explicit matrices
// refused.
type hfProblem struct {
	Problem
	curv SampledCurvature // nil: the problem's own products
}

func (q *hfProblem) GaussNewton(v, dst []float64) error {
	if q.curv != nil {
		return q.curv.GaussNewton(v, dst)
	}
	return q.Problem.GaussNewton(v, dst)
}

func (q *hfProblem) HVP(v, dst []float64) error {
	if q.curv != nil {
		return q.curv.HVP(v, dst)
	}
	return q.Problem.HVP(v, dst)
}

func (q *hfProblem) Hessian([]float64) error {
	return fmt.Errorf("surrogate: block %d: %w", q.Index(), errNoMatrix)
}

func (q *hfProblem) GaussNewtonMatrix([]float64) error {
	return fmt.Errorf("surrogate: block %d: %w", q.Index(), errNoMatrix)
}

// solveCG is conjugate gradients for A x = b (A = G_S + γI) with a budget of
// maxIter products, a warm start and Martens' relative-progress stop. With
// φ(x) = ½xᵀAx − bᵀx (the model q at s = −x), every returned x has
// φ(x) < 0 when b ≠ 0, hence bᵀx > ½xᵀAx > 0: a descent direction.
func (h *HessianFree) solveCG(ctx context.Context, j int, a linOp, b, x []float64, tol float64, maxIter int) (cgResult, error) {
	n := len(b)
	r := make([]float64, n)
	p := make([]float64, n)
	ap := make([]float64, n)
	var res cgResult
	clear(x)
	copy(r, b)
	phi := 0.0
	if zeta := orDefault(h.WarmStart, 0.95); zeta > 0 && maxIter > 1 && h.warm(j, x, zeta) {
		if err := a(x, ap); err != nil {
			return res, err
		}
		res.iters++
		for i := range r {
			r[i] = b[i] - ap[i]
		}
		phi = -0.5 * (dot(x, b) + dot(x, r))
		if !(phi < 0) { // NaN included: start from 0
			clear(x)
			copy(r, b)
			phi = 0
		}
	}
	copy(p, r)
	rr := dot(r, r)
	stop := tol * tol * dot(b, b)
	eps := orDefault(h.Progress, 5e-4)
	phis := make([]float64, 1, maxIter+1)
	phis[0] = phi
	for res.iters < maxIter && rr > stop && rr > 0 {
		if len(phis)%16 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		if err := a(p, ap); err != nil {
			return res, err
		}
		res.iters++
		pap := dot(p, ap)
		if math.IsNaN(pap) || math.IsInf(pap, 0) {
			return res, ErrNotFinite
		}
		if pap <= 0 {
			res.negCurv = true
			return res, nil
		}
		alpha := rr / pap
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * ap[i]
		}
		rn := dot(r, r)
		beta := rn / rr
		rr = rn
		for i := range p {
			p[i] = r[i] + beta*p[i]
		}
		// φ(x) = ½xᵀ(b − r) − bᵀx with r = b − Ax.
		phi = -0.5 * (dot(x, b) + dot(x, r))
		phis = append(phis, phi)
		if i := len(phis) - 1; eps > 0 {
			k := max(10, (i+9)/10)
			if i > k && phi < 0 && (phi-phis[i-k])/phi < float64(k)*eps {
				break
			}
		}
	}
	h.remember(j, x)
	return res, nil
}

// warm writes ζ times block j's previous CG solution into x and reports
// whether there was one of the right length.
func (h *HessianFree) warm(j int, x []float64, zeta float64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if j < 0 || j >= len(h.prev) || len(h.prev[j]) != len(x) {
		return false
	}
	for i, v := range h.prev[j] {
		x[i] = zeta * v
	}
	return true
}

// remember keeps x as block j's warm start.
func (h *HessianFree) remember(j int, x []float64) {
	if j < 0 || orDefault(h.WarmStart, 0.95) <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.prev) <= j {
		h.prev = append(h.prev, nil)
	}
	if len(h.prev[j]) != len(x) {
		h.prev[j] = make([]float64, len(x))
	}
	copy(h.prev[j], x)
}

package surrogate

import (
	"context"
	"fmt"
	"math"
)

// Proximal is the proximal upper bound of the seed's eq. (14): the block
// function itself plus a proximal term,
//
//	g_j(W) = f_j(W; W_{-j}^(k)) + γ_j/2 ‖W − W_j^(k)‖²_F,
//	D_j = prox_{γ_j⁻¹ f_j}(W_j^(k)) = argmin_{W ∈ W_j} g_j(W) (+ λ_j‖W‖₁).
//
// g_j ≥ f_j everywhere, and it is strongly convex when f_j is convex, which
// Section 4.2 requires: Direction refuses blocks whose Certificate is not
// Convex with an error wrapping ErrNotCertified and the certificate's
// Reason.
//
// The minimisation is an inner accelerated proximal-gradient method (FISTA
// with backtracking and restart) on values and gradients from Problem.Eval —
// Problem's Hessian products live at W^(k) only — stopped when the
// gradient-mapping norm is at most Tol. L1 together with a set other than a
// box containing 0 returns ErrUnsupported.
type Proximal struct {
	// Gamma is γ_j > 0. If Gamma is 0, it defaults to 1 (use Exact for
	// γ_j = 0).
	Gamma float64
	// Tol is the gradient-mapping norm at which the inner method stops. If
	// Tol is 0, it defaults to 1e-8·max(1, ‖∇f(W^(k))‖).
	Tol float64
	// MaxInner caps inner iterations. If MaxInner is 0, it defaults to 500.
	// When it is reached, D_j is the last inner iterate, which does not
	// increase g_j + λ‖·‖₁; Info.Inner then equals MaxInner.
	MaxInner int
}

// Name returns "proximal".
func (Proximal) Name() string { return "proximal" }

// Needs returns Eval and Convex.
func (Proximal) Needs() Needs { return Needs{Eval: true, Convex: true} }

// Direction writes prox_{γ⁻¹f_j}(W^(k)) over W_j into d (eq. (14)).
func (s Proximal) Direction(ctx context.Context, p Problem, d []float64) (Info, error) {
	gamma := orDefault(s.Gamma, 1)
	if err := checkPositive("Proximal.Gamma", gamma); err != nil {
		return Info{}, err
	}
	if c := p.Certificate(); !c.Convex {
		return Info{}, fmt.Errorf("surrogate: block %d: proximal bound needs a convex block: %w: %s", p.Index(), ErrNotCertified, c.Reason)
	}
	return proxSolve(ctx, p, d, gamma, s.Tol, s.MaxInner)
}

// Bound returns g_j(w) = f_j(w) + γ/2‖w − W^(k)‖² (one Problem.Eval).
func (s Proximal) Bound(p Problem, w []float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	f, err := p.Eval(w, nil)
	return f + 0.5*orDefault(s.Gamma, 1)*dist2(w, p.Point()), err
}

// Exact is exact block minimisation, D_j = argmin_{W ∈ W_j} f_j(W) (+ λ_j‖W‖₁):
// the proximal bound (14) with γ_j = 0, i.e. the seed's "standard BCD" for
// blocks that are strongly convex (Section 4.2.1, Proposition 1). The block
// must be certified Convex and carry a Tikhonov term λ_j > 0 (the strong
// convexity of Proposition 1); otherwise Direction returns an error wrapping
// ErrNotCertified. It uses the same inner method as Proximal.
type Exact struct {
	// Tol is the gradient-mapping norm at which the inner method stops. If
	// Tol is 0, it defaults to 1e-8·max(1, ‖∇f(W^(k))‖).
	Tol float64
	// MaxInner caps inner iterations. If MaxInner is 0, it defaults to 500.
	MaxInner int
}

// Name returns "exact".
func (Exact) Name() string { return "exact" }

// Needs returns Eval and Convex.
func (Exact) Needs() Needs { return Needs{Eval: true, Convex: true} }

// Direction writes the block minimiser into d.
func (s Exact) Direction(ctx context.Context, p Problem, d []float64) (Info, error) {
	c := p.Certificate()
	if !c.Convex {
		return Info{}, fmt.Errorf("surrogate: block %d: exact minimisation needs a strongly convex block: %w: %s", p.Index(), ErrNotCertified, c.Reason)
	}
	if !(p.Block().Tikhonov > 0) {
		return Info{}, fmt.Errorf("surrogate: block %d: exact minimisation needs a strongly convex block, but Tikhonov λ = %g: %w (use Proximal with γ > 0)",
			p.Index(), p.Block().Tikhonov, ErrNotCertified)
	}
	return proxSolve(ctx, p, d, 0, s.Tol, s.MaxInner)
}

// Bound returns f_j(w) itself (one Problem.Eval): the tightest bound.
func (Exact) Bound(p Problem, w []float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	return p.Eval(w, nil)
}

// proxSolve minimises f_j(W) + γ/2‖W − W0‖² + λ‖W‖₁ over W_j by FISTA on
// Problem.Eval.
func proxSolve(ctx context.Context, p Problem, d []float64, gamma, tol float64, maxInner int) (Info, error) {
	w0, g, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	if err := checkL1Set(p); err != nil {
		return Info{}, err
	}
	if tol < 0 || maxInner < 0 {
		return Info{}, fmt.Errorf("surrogate: negative Tol or MaxInner")
	}
	tol = orDefault(tol, 1e-8*math.Max(1, norm2(g)))
	if maxInner == 0 {
		maxInner = 500
	}
	lambda, set := p.L1(), p.Block().Set
	n := len(w0)
	evals := 0
	phi := func(x, grad []float64) (float64, error) {
		evals++
		f, err := p.Eval(x, grad)
		if err != nil {
			return 0, err
		}
		var r float64
		for i := range x {
			s := x[i] - w0[i]
			r += s * s
			grad[i] += gamma * s
		}
		return f + 0.5*gamma*r, nil
	}
	// Start at W0 (projected in case it is not feasible).
	x0 := append([]float64(nil), w0...)
	f0, g0 := p.Value(), append([]float64(nil), g...)
	if set != nil {
		set.Project(x0)
		if dist2(x0, w0) > 0 {
			if f0, err = phi(x0, g0); err != nil {
				return Info{}, err
			}
		}
	}
	// Initial Lipschitz estimate: a secant along a fixed direction.
	L := gamma
	{
		h := make([]float64, n)
		for i := range h {
			h[i] = math.Sin(float64(i) + 1)
		}
		scale := 1e-4 * math.Max(1, norm2(x0)) / math.Max(norm2(h), 1e-300)
		for i := range h {
			h[i] = x0[i] + scale*h[i]
		}
		gh := make([]float64, n)
		if _, err := phi(h, gh); err == nil && finite(gh) {
			sub(gh, gh, g0)
			sub(h, h, x0)
			L = math.Max(L, norm2(gh)/norm2(h))
		}
		if !(L > 0) {
			L = 1
		}
	}
	x, Fx, it, err := fista(ctx, phi, x0, f0, g0, fistaOpts{
		lambda: lambda, set: set, L: L, tol: tol, maxIter: maxInner,
	})
	if err != nil {
		return Info{}, fmt.Errorf("surrogate: block %d: inner proximal gradient: %w", p.Index(), err)
	}
	copy(d, x)
	if !finite(d) {
		return Info{}, notFinite(p, "proximal direction")
	}
	return Info{Gamma: gamma, Inner: it, ModelDecrease: p.Value() + lambda*norm1(w0) - Fx}, nil
}

// ExactQuadratic is exact block minimisation for blocks on which f_j is
// exactly quadratic, such as a layer of a deep linear network under the l2
// loss (16), where the seed (Section 5.2) notes that (Q) is solved in closed
// form: D_j = W^(k) − (∇²f_j)⁻¹∇f_j, the block least-squares solution, by
// Cholesky on Problem.Hessian. With an L1 term or a feasible set the
// quadratic is minimised over W_j by the inner method of SecondOrder.
//
// The caller asserts quadraticity (typically from Certificate.Affine with the
// l2 loss); Direction verifies it by comparing the
// decrease the Hessian predicts with f(D) from Problem.Eval (to 1e-8
// relative to max(1, |f(W^(k))|)) and returns an error wrapping
// ErrNotCertified when they differ or when the Hessian is not positive
// definite.
type ExactQuadratic struct{}

// Name returns "exact-quadratic".
func (ExactQuadratic) Name() string { return "exact-quadratic" }

// Needs returns Hessian and Eval.
func (ExactQuadratic) Needs() Needs { return Needs{Hessian: true, Eval: true} }

// Direction writes the block minimiser of the quadratic f_j into d.
func (ExactQuadratic) Direction(ctx context.Context, p Problem, d []float64) (Info, error) {
	w0, g, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	if err := checkL1Set(p); err != nil {
		return Info{}, err
	}
	n := len(w0)
	h := make([]float64, n*n)
	if err := p.Hessian(h); err != nil {
		return Info{}, fmt.Errorf("surrogate: block %d: Hessian: %w", p.Index(), err)
	}
	if !finite(h) {
		return Info{}, notFinite(p, "Hessian")
	}
	symmetrize(h, n)
	l := make([]float64, n*n)
	if !cholesky(l, h, n, 0) {
		return Info{}, fmt.Errorf("surrogate: block %d: exact quadratic minimisation: Hessian is not positive definite: %w", p.Index(), ErrNotCertified)
	}
	newton := make([]float64, n)
	cholSolve(newton, l, n, g)
	for i := range newton {
		newton[i] = w0[i] - newton[i]
	}
	m := &quadModel{w0: w0, g: g, lambda: p.L1(), set: p.Block().Set, mat: h}
	if m.lambda > 0 || m.set != nil {
		if err := m.constrained(ctx, newton, d, 1e-10*math.Max(1, norm2(g)), 5000); err != nil {
			return Info{}, fmt.Errorf("surrogate: block %d: inner proximal gradient: %w", p.Index(), err)
		}
	} else {
		copy(d, newton)
	}
	if !finite(d) {
		return Info{}, notFinite(p, "exact quadratic direction")
	}
	q, err := m.value(d, make([]float64, n))
	if err != nil {
		return Info{}, err
	}
	f0 := p.Value()
	fd, err := p.Eval(d, nil)
	if err != nil {
		return Info{}, fmt.Errorf("surrogate: block %d: evaluating the minimiser: %w", p.Index(), err)
	}
	if diff := math.Abs(fd - (f0 + q)); !(diff <= 1e-8*math.Max(1, math.Abs(f0))) {
		return Info{}, fmt.Errorf("surrogate: block %d: f_j is not quadratic: f(D) = %.12g but the Hessian model predicts %.12g: %w",
			p.Index(), fd, f0+q, ErrNotCertified)
	}
	return Info{Inner: m.inner, ModelDecrease: m.lambda*(norm1(w0)-norm1(d)) - q}, nil
}

// Bound returns the second-order Taylor model f(W^(k)) + ⟨∇f, s⟩ + ½sᵀ∇²f s,
// s = w − W^(k), which equals f_j when f_j is quadratic (Hessian-vector
// products).
func (ExactQuadratic) Bound(p Problem, w []float64) (float64, error) {
	return SecondOrder{}.BoundGamma(p, w, 0)
}

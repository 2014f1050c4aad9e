package surrogate

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// Curvature selects the curvature matrix C of the second-order bound.
type Curvature int

const (
	// Hessian uses the exact block Hessian ∇²_{W_j} f(W^(k)) of (A.1).
	Hessian Curvature = iota
	// GaussNewton uses the positive semi-definite Gauss-Newton matrix
	// (classical Levenberg-Marquardt).
	GaussNewton
)

// String returns "hessian" or "gauss-newton".
func (c Curvature) String() string {
	if c == GaussNewton {
		return "gauss-newton"
	}
	return "hessian"
}

// LinearSolver selects how (C + γI)x = ∇f is solved.
type LinearSolver int

const (
	// Auto uses Cholesky when the block has at most CholeskyMax weights and
	// CG otherwise.
	Auto LinearSolver = iota
	// Cholesky factors the explicit p×p matrix (Problem.Hessian or
	// Problem.GaussNewtonMatrix).
	Cholesky
	// CG runs matrix-free conjugate gradients on Problem.HVP or
	// Problem.GaussNewton.
	CG
)

// String returns "auto", "cholesky" or "cg".
func (s LinearSolver) String() string {
	switch s {
	case Cholesky:
		return "cholesky"
	case CG:
		return "cg"
	}
	return "auto"
}

// maxRaises bounds how often γ is multiplied by raiseFactor when C + γI
// is found indefinite within one Direction call.
const (
	maxRaises   = 30
	raiseFactor = 10
)

// SecondOrder is the second-order proximal upper bound of the seed's
// eq. (A.1),
//
//	g_j(W) = f(W^(k)) + ⟨∇f, W − W^(k)⟩ + ½(W − W^(k))ᵀ(C + γ_j I)(W − W^(k)),
//
// with C the block Hessian ∇²_{W_j} f(W^(k)) or the Gauss-Newton matrix.
// Unconstrained and without L1 its minimiser is the damped Newton
// (Levenberg-Marquardt) point of eq. (A.2) and (12),
//
//	D_j = W^(k) − (C + γ_j I)⁻¹ ∇f.
//
// Small blocks (Solver Auto with p ≤ CholeskyMax, or Cholesky) are solved by
// dense Cholesky on the explicit matrix; large ones by matrix-free conjugate
// gradients on Hessian- or Gauss-Newton-vector products.
//
// An indefinite C + γI is never used silently: a failed Cholesky
// factorisation, a CG direction with pᵀAp ≤ 0, or a solution that is not a
// descent direction multiplies γ by 10 and retries, up to 30 times, after
// which Direction fails with an error wrapping ErrNotFinite. Info.Gamma
// reports the γ finally used.
//
// With an L1 term or a feasible set the bound is minimised by an inner
// accelerated proximal-/projected-gradient method (FISTA with restart and
// backtracking, starting from the better of W^(k) and the projected Newton
// point) on the strongly convex model, with step 1/L where L bounds
// ‖C + γI‖ (Gershgorin on an explicit matrix, power iteration otherwise),
// until the gradient-mapping norm is at most InnerTol. L1 together with a
// set other than a box containing 0 returns ErrUnsupported.
//
// With Adaptive set, γ_j is per-block Levenberg-Marquardt state (see
// Damping): each trial direction is evaluated with Problem.Eval and
// accepted only when it decreases f + λ‖·‖₁. That state lives in the
// *Damping, which copies of the SecondOrder share, so use a SecondOrder
// with Adaptive through a pointer (*SecondOrder implements Resetter) and
// one Damping per training run; solvers.Minimize makes that copy itself, so
// one SecondOrder may serve concurrent runs there.
type SecondOrder struct {
	// Gamma is γ_j > 0 when Adaptive is nil. If Gamma is 0, it defaults to 1.
	Gamma float64
	// Curvature is Hessian (the default) or GaussNewton.
	Curvature Curvature
	// Solver is Auto (the default), Cholesky or CG.
	Solver LinearSolver
	// CholeskyMax is the largest block Auto solves by Cholesky. If
	// CholeskyMax is 0, it defaults to 1000.
	CholeskyMax int
	// CGTol is the relative residual ‖r‖ ≤ CGTol·‖∇f‖ at which CG stops.
	// If CGTol is 0, it defaults to 1e-10.
	CGTol float64
	// CGMaxIter caps CG iterations; the truncated CG point is still a
	// descent direction. If CGMaxIter is 0, it defaults to 2p clamped to
	// [20, 500].
	CGMaxIter int
	// InnerTol is the gradient-mapping norm at which the inner FISTA loop
	// (L1 or feasible set) stops. If InnerTol is 0, it defaults to
	// 1e-9·max(1, ‖∇f‖).
	InnerTol float64
	// MaxInner caps the inner FISTA iterations. If MaxInner is 0, it
	// defaults to 2000. The last iterate is returned when it is reached; it
	// never increases the model.
	MaxInner int
	// Adaptive, when not nil, turns on Levenberg-Marquardt damping.
	Adaptive *Damping

	// cg, when set, replaces conjGrad on the matrix-free path (HessianFree:
	// warm start, Martens' relative-progress stop).
	cg cgSolver
}

// cgSolver solves A x = b approximately for the symmetric operator a of
// block j, writing x, with the contract of conjGrad: a result with negCurv
// set when it met pᵀAp ≤ 0, otherwise an x with bᵀx > 0 whenever b ≠ 0.
type cgSolver interface {
	solveCG(ctx context.Context, j int, a linOp, b, x []float64, tol float64, maxIter int) (cgResult, error)
}

// Name returns "second-order", "gauss-newton", and a "-lm" suffix when
// Adaptive is set.
func (s SecondOrder) Name() string {
	n := "second-order"
	if s.Curvature == GaussNewton {
		n = "gauss-newton"
	}
	if s.Adaptive != nil {
		n += "-lm"
	}
	return n
}

// Needs lists the explicit matrix (Cholesky), the products (CG) or both
// (Auto) of the chosen curvature, and Eval when Adaptive is set.
func (s SecondOrder) Needs() Needs {
	var n Needs
	explicit, free := s.Solver != CG, s.Solver != Cholesky
	if s.Curvature == GaussNewton {
		n.GaussNewton = true
	} else {
		n.Hessian, n.HVP = explicit, free
	}
	n.Eval = s.Adaptive != nil
	return n
}

// Damping returns the current γ of block j: the adaptive state when
// Adaptive is set (its Init before block j's first step), else Gamma.
func (s *SecondOrder) Damping(j int) float64 {
	if s.Adaptive != nil {
		g, _ := s.Adaptive.state(j)
		return g
	}
	return orDefault(s.Gamma, 1)
}

// Reset clears the adaptive damping state (if any) for a run over blocks
// blocks.
func (s *SecondOrder) Reset(blocks int) {
	if s.Adaptive != nil {
		s.Adaptive.Reset(blocks)
	}
}

func (s SecondOrder) validate() error {
	if s.Curvature != Hessian && s.Curvature != GaussNewton {
		return fmt.Errorf("surrogate: unknown curvature %d", int(s.Curvature))
	}
	if s.Solver < Auto || s.Solver > CG {
		return fmt.Errorf("surrogate: unknown linear solver %d", int(s.Solver))
	}
	if s.CholeskyMax < 0 || s.CGMaxIter < 0 || s.MaxInner < 0 || s.CGTol < 0 || s.InnerTol < 0 {
		return errors.New("surrogate: SecondOrder settings must not be negative")
	}
	if s.Adaptive != nil {
		return s.Adaptive.validate()
	}
	return checkPositive("SecondOrder.Gamma", orDefault(s.Gamma, 1))
}

// curvatureCache holds the explicit curvature matrix for one Direction call.
type curvatureCache struct{ mat, chol []float64 }

func (s SecondOrder) explicit(n int) bool {
	switch s.Solver {
	case Cholesky:
		return true
	case CG:
		return false
	}
	return n <= int(orDefault(float64(s.CholeskyMax), 1000))
}

// Direction writes the minimiser of the second-order bound into d (A.2).
func (s SecondOrder) Direction(ctx context.Context, p Problem, d []float64) (Info, error) {
	if err := s.validate(); err != nil {
		return Info{}, err
	}
	w0, _, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	if err := checkL1Set(p); err != nil {
		return Info{}, err
	}
	var c curvatureCache
	if s.Adaptive == nil {
		return s.solve(ctx, p, d, orDefault(s.Gamma, 1), &c)
	}
	return s.adaptive(ctx, p, d, w0, &c)
}

// adaptive runs the Levenberg-Marquardt trial loop (see Damping).
func (s SecondOrder) adaptive(ctx context.Context, p Problem, d, w0 []float64, c *curvatureCache) (Info, error) {
	a := s.Adaptive.withDefaults()
	j := p.Index()
	gamma, nu := s.Adaptive.state(j)
	lambda := p.L1()
	F0 := p.Value() + lambda*norm1(w0)
	inner := 0
	for rejected := 0; ; rejected++ {
		if rejected == a.MaxRejections {
			copy(d, w0)
			s.Adaptive.set(j, gamma, nu)
			return Info{Gamma: gamma, Inner: inner, Rejected: rejected}, nil
		}
		info, err := s.solve(ctx, p, d, gamma, c)
		inner += info.Inner
		if err != nil {
			return Info{}, err
		}
		gamma = info.Gamma
		info.Inner, info.Rejected = inner, rejected
		if !(info.ModelDecrease > 0) {
			// Stationary for the model: nothing to gain, nothing to adapt.
			s.Adaptive.set(j, gamma, nu)
			return info, nil
		}
		fd, err := p.Eval(d, nil)
		if err != nil {
			return Info{}, fmt.Errorf("surrogate: block %d: evaluating the trial point: %w", j, err)
		}
		rho := (F0 - fd - lambda*norm1(d)) / info.ModelDecrease
		if rho > 0 { // NaN (non-finite f at the trial point) is a rejection
			r := 2*rho - 1
			next := gamma * math.Max(a.Decrease, 1-r*r*r)
			s.Adaptive.set(j, math.Min(math.Max(next, a.Min), a.Max), a.Increase)
			return info, nil
		}
		gamma = math.Min(gamma*nu, a.Max)
		nu *= 2
	}
}

// solve minimises the bound with damping gamma, raising gamma while the
// damped curvature is indefinite.
func (s SecondOrder) solve(ctx context.Context, p Problem, d []float64, gamma float64, c *curvatureCache) (Info, error) {
	w0, g := p.Point(), p.Gradient()
	n := len(w0)
	m := &quadModel{w0: w0, g: g, lambda: p.L1(), set: p.Block().Set}
	explicit := s.explicit(n)
	if explicit {
		if c.mat == nil {
			c.mat = make([]float64, n*n)
			var err error
			if s.Curvature == GaussNewton {
				err = p.GaussNewtonMatrix(c.mat)
			} else {
				err = p.Hessian(c.mat)
			}
			if err != nil {
				return Info{}, fmt.Errorf("surrogate: block %d: %v matrix: %w", p.Index(), s.Curvature, err)
			}
			if !finite(c.mat) {
				return Info{}, notFinite(p, s.Curvature.String()+" matrix")
			}
			symmetrize(c.mat, n)
			c.chol = make([]float64, n*n)
		}
		m.mat = c.mat
	} else if s.Curvature == GaussNewton {
		m.prod = p.GaussNewton
	} else {
		m.prod = p.HVP
	}
	cgTol := orDefault(s.CGTol, 1e-10)
	cgMax := s.CGMaxIter
	if cgMax == 0 {
		cgMax = min(max(2*n, 20), 500)
	}
	innerTol := orDefault(s.InnerTol, 1e-9*math.Max(1, norm2(g)))
	maxInner := s.MaxInner
	if maxInner == 0 {
		maxInner = 2000
	}
	constrained := m.lambda > 0 || m.set != nil
	sub, isSub := m.set.(graph.Subspace)
	subspace := isSub && m.lambda == 0
	newton := make([]float64, n)
	for try := 0; try <= maxRaises; try++ {
		if try > 0 {
			gamma *= raiseFactor
		}
		m.gamma = gamma
		if subspace {
			// W0 lies in the subspace S = range(P): the minimiser of the
			// model over S is W0 − s with P(C + γI)P s = P∇f, s ∈ S, which
			// conjugate gradients solve within S in at most dim S steps.
			pg := append([]float64(nil), g...)
			sub.Project(pg)
			tmp := make([]float64, n)
			op := func(v, dst []float64) error {
				copy(tmp, v)
				sub.Project(tmp)
				if err := m.apply(tmp, dst); err != nil {
					return err
				}
				sub.Project(dst)
				return nil
			}
			res, err := conjGrad(ctx, op, pg, newton, cgTol, cgMax)
			m.inner += res.iters
			if err != nil {
				return Info{}, fmt.Errorf("surrogate: block %d: projected conjugate gradients: %w", p.Index(), err)
			}
			if res.negCurv {
				continue
			}
			if gx := dot(pg, newton); !(gx > 0) && norm2(pg) > 0 {
				continue
			}
			for i := range newton {
				d[i] = w0[i] - newton[i]
			}
			sub.Project(d)
		} else if explicit {
			if !cholesky(c.chol, c.mat, n, gamma) {
				continue
			}
			cholSolve(newton, c.chol, n, g)
		} else {
			var res cgResult
			var err error
			if s.cg != nil {
				res, err = s.cg.solveCG(ctx, p.Index(), m.apply, g, newton, cgTol, cgMax)
			} else {
				res, err = conjGrad(ctx, m.apply, g, newton, cgTol, cgMax)
			}
			m.inner += res.iters
			if err != nil {
				return Info{}, fmt.Errorf("surrogate: block %d: conjugate gradients: %w", p.Index(), err)
			}
			if res.negCurv {
				continue
			}
		}
		if gx := dot(g, newton); !(gx > 0) && norm2(g) > 0 {
			continue // not a descent direction: treat as indefinite
		}
		// newton holds (C + γI)⁻¹∇f; the unconstrained minimiser is W0 − it.
		for i := range newton {
			newton[i] = w0[i] - newton[i]
		}
		if subspace {
			// d is already the minimiser over the subspace.
		} else if constrained {
			err := m.constrained(ctx, newton, d, innerTol, maxInner)
			if errors.Is(err, errNegCurv) {
				continue
			}
			if err != nil {
				return Info{}, fmt.Errorf("surrogate: block %d: inner proximal gradient: %w", p.Index(), err)
			}
		} else {
			copy(d, newton)
		}
		if !finite(d) {
			return Info{}, notFinite(p, "second-order direction")
		}
		Q0 := m.lambda * norm1(w0)
		Qd, err := m.objective(d)
		if err != nil {
			return Info{}, err
		}
		return Info{Gamma: gamma, Inner: m.inner, ModelDecrease: Q0 - Qd}, nil
	}
	return Info{}, fmt.Errorf("surrogate: block %d: %v + γI not positive definite up to γ = %g: %w",
		p.Index(), s.Curvature, gamma, ErrNotFinite)
}

// Bound returns g_j(w) of eq. (A.1) with γ = s.Damping(p.Index()), using
// curvature-vector products.
func (s SecondOrder) Bound(p Problem, w []float64) (float64, error) {
	return s.BoundGamma(p, w, s.Damping(p.Index()))
}

// BoundGamma returns g_j(w) of eq. (A.1) for the given γ, for instance the
// Info.Gamma a Direction call reported after raising γ.
func (s SecondOrder) BoundGamma(p Problem, w []float64, gamma float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	m := &quadModel{w0: p.Point(), g: p.Gradient(), gamma: gamma, prod: p.HVP}
	if s.Curvature == GaussNewton {
		m.prod = p.GaussNewton
	}
	q, err := m.value(w, make([]float64, len(w)))
	return p.Value() + q, err
}

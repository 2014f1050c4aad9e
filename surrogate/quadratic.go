package surrogate

import (
	"context"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// quadModel is the strongly convex quadratic model
//
//	q(W) = ⟨g, W − W0⟩ + ½(W − W0)ᵀ(C + γI)(W − W0)
//
// of the second-order bound (A.1) without its constant f(W^(k)), with the
// curvature C given either explicitly (mat, n×n) or as a product (prod).
type quadModel struct {
	w0, g  []float64
	lambda float64
	set    graph.Set
	gamma  float64
	mat    []float64
	prod   linOp
	tmp    []float64
	inner  int // products / iterations spent
}

// apply writes (C + γI)v into dst.
func (m *quadModel) apply(v, dst []float64) error {
	if m.mat != nil {
		matVec(dst, m.mat, m.gamma, v)
		return nil
	}
	if err := m.prod(v, dst); err != nil {
		return err
	}
	for i := range dst {
		dst[i] += m.gamma * v[i]
	}
	return nil
}

// value returns q(x) and writes ∇q(x) = g + A(x − W0) into grad.
func (m *quadModel) value(x, grad []float64) (float64, error) {
	if m.tmp == nil {
		m.tmp = make([]float64, len(x))
	}
	s := m.tmp
	sub(s, x, m.w0)
	if err := m.apply(s, grad); err != nil {
		return 0, err
	}
	var q float64
	for i := range s {
		q += s[i] * (m.g[i] + 0.5*grad[i])
		grad[i] += m.g[i]
	}
	return q, nil
}

// objective is Q(x) = q(x) + λ‖x‖₁.
func (m *quadModel) objective(x []float64) (float64, error) {
	grad := make([]float64, len(x))
	q, err := m.value(x, grad)
	return q + m.lambda*norm1(x), err
}

// lipschitz bounds ‖C + γI‖: Gershgorin on an explicit matrix, else power
// iteration (an estimate the inner method's backtracking corrects).
func (m *quadModel) lipschitz() (float64, error) {
	n := len(m.w0)
	if m.mat != nil {
		return gershgorin(m.mat, n, m.gamma), nil
	}
	l, err := powerNorm(m.apply, n, 20)
	m.inner += 20
	return 1.1 * l, err
}

// constrained writes into d the minimiser of Q over the feasible set, given
// the unconstrained minimiser newton of q. It starts from the better of W0
// and the projected Newton point and runs FISTA to gradient-mapping norm
// tol. errNegCurv means C + γI showed non-positive curvature.
func (m *quadModel) constrained(ctx context.Context, newton, d []float64, tol float64, maxIter int) error {
	n := len(m.w0)
	if m.lambda == 0 && m.set != nil {
		copy(d, newton)
		m.set.Project(d)
		if dist2(d, newton) <= 1e-28*math.Max(1, dot(newton, newton)) {
			return nil // the Newton point is feasible
		}
	}
	x0 := append([]float64(nil), m.w0...)
	if m.set != nil {
		m.set.Project(x0)
	}
	g0 := make([]float64, n)
	f0, err := m.value(x0, g0)
	if err != nil {
		return err
	}
	xn := append([]float64(nil), newton...)
	if m.set != nil {
		m.set.Project(xn)
	}
	gn := make([]float64, n)
	fn, err := m.value(xn, gn)
	if err != nil {
		return err
	}
	if fn+m.lambda*norm1(xn) < f0+m.lambda*norm1(x0) {
		x0, g0, f0 = xn, gn, fn
	}
	L, err := m.lipschitz()
	if err != nil {
		return err
	}
	x, _, it, err := fista(ctx, m.value, x0, f0, g0, fistaOpts{
		lambda: m.lambda, set: m.set, L: L, tol: tol, maxIter: maxIter,
		affine: true, curvCheck: true,
	})
	m.inner += it
	if err != nil {
		return err
	}
	copy(d, x)
	return nil
}

package surrogate

import (
	"context"
	"fmt"
)

// FirstOrder is the first-order proximal upper bound of the seed's eq. (9),
//
//	g_j(W) = f(W^(k)) + ⟨∇_{W_j} f(W^(k)), W − W_j^(k)⟩ + γ_j/2 ‖W − W_j^(k)‖²_F,
//
// whose minimiser is the gradient step D_j = W_j^(k) − γ_j⁻¹∇_{W_j} f(W^(k))
// of eq. (10) (with γ_j = 1 and the step size α as learning rate this is
// back-propagation, Special Case 1). With an L1 term the step is followed by
// soft-thresholding (Appendix A.6, eq. (A.5)); with a feasible set W_j by the
// Euclidean projection onto it, which is the exact minimiser of the bound
// over W_j. L1 together with a set other than a box containing 0 returns
// ErrUnsupported.
//
// g_j is an upper bound of f_j near W^(k) whenever γ_j is at least the
// Lipschitz constant of ∇f_j there. FirstOrder needs nothing but the
// gradient.
type FirstOrder struct {
	// Gamma is γ_j > 0. If Gamma is 0, it defaults to 1.
	Gamma float64
}

func (s FirstOrder) gamma() float64 { return orDefault(s.Gamma, 1) }

// Name returns "first-order".
func (FirstOrder) Name() string { return "first-order" }

// Needs returns the zero Needs: only the value and gradient are used.
func (FirstOrder) Needs() Needs { return Needs{} }

// Direction writes the prox-gradient step D_j into d (eq. (10), (A.5)).
func (s FirstOrder) Direction(_ context.Context, p Problem, d []float64) (Info, error) {
	gamma := s.gamma()
	if err := checkPositive("FirstOrder.Gamma", gamma); err != nil {
		return Info{}, err
	}
	w0, g, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	lambda := p.L1()
	if err := checkL1Set(p); err != nil {
		return Info{}, err
	}
	if err := proxStep(d, w0, g, gamma, lambda, p.Block().Set); err != nil {
		return Info{}, fmt.Errorf("surrogate: block %d: %w", p.Index(), err)
	}
	if !finite(d) {
		return Info{}, notFinite(p, "first-order direction")
	}
	f0 := p.Value()
	dec := f0 - firstOrderValue(f0, w0, g, d, gamma)
	if lambda > 0 {
		dec += lambda * (norm1(w0) - norm1(d))
	}
	return Info{Gamma: gamma, ModelDecrease: dec}, nil
}

// Bound returns g_j(w) of eq. (9).
func (s FirstOrder) Bound(p Problem, w []float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	return firstOrderValue(p.Value(), p.Point(), p.Gradient(), w, s.gamma()), nil
}

package surrogate

import (
	"fmt"
	"math"
)

// Bounder is implemented by every surrogate in this package. Bound returns
// the smooth upper bound g_j(w; W^(k)) at w, including the constant
// f(W^(k)), so g_j(W^(k)) = f(W^(k)) and ∇g_j(W^(k)) = ∇f_j(W^(k))
// (properties P2 of Appendix A.3). The non-smooth term λ_j‖w‖₁ is not
// bounded but kept exactly, so it is not part of Bound: Direction minimises
// Bound(w) + λ_j‖w‖₁ over W_j.
type Bounder interface {
	Bound(p Problem, w []float64) (float64, error)
}

var (
	_ Surrogate = FirstOrder{}
	_ Surrogate = SecondOrder{}
	_ Surrogate = Proximal{}
	_ Surrogate = Exact{}
	_ Surrogate = ExactQuadratic{}
	_ Surrogate = Linear{}
	_ Surrogate = (*AdaGrad)(nil)
	_ Resetter  = (*SecondOrder)(nil)
	_ Resetter  = (*AdaGrad)(nil)
	_ Bounder   = FirstOrder{}
	_ Bounder   = SecondOrder{}
	_ Bounder   = Proximal{}
	_ Bounder   = Exact{}
	_ Bounder   = ExactQuadratic{}
	_ Bounder   = Linear{}
	_ Bounder   = (*AdaGrad)(nil)
)

// orDefault returns d when x is 0.
func orDefault(x, d float64) float64 {
	if x == 0 {
		return d
	}
	return x
}

// checkPositive rejects negative or non-finite settings.
func checkPositive(name string, x float64) error {
	if !(x > 0) || math.IsInf(x, 0) {
		return fmt.Errorf("surrogate: %s = %v must be positive and finite", name, x)
	}
	return nil
}

// start validates d against the problem and returns W^(k) and ∇f.
func start(p Problem, d []float64) (w0, g []float64, err error) {
	w0, g = p.Point(), p.Gradient()
	if len(d) != len(w0) || len(g) != len(w0) {
		return nil, nil, fmt.Errorf("surrogate: block %d: direction has %d entries, point %d, gradient %d",
			p.Index(), len(d), len(w0), len(g))
	}
	if !finite(g) || math.IsNaN(p.Value()) || math.IsInf(p.Value(), 0) {
		return nil, nil, fmt.Errorf("surrogate: block %d: objective or gradient: %w", p.Index(), ErrNotFinite)
	}
	return w0, g, nil
}

// checkL1Set returns ErrUnsupported when the block has an L1 term and a
// feasible set whose combined proximal map is not available (proxStep).
func checkL1Set(p Problem) error {
	set := p.Block().Set
	if p.L1() > 0 && set != nil && !boxWithZero(set) {
		return fmt.Errorf("surrogate: block %d: L1 regulariser with feasible set %s: %w", p.Index(), set, ErrUnsupported)
	}
	return nil
}

// firstOrderValue is f0 + ⟨g, w − w0⟩ + γ/2‖w − w0‖².
func firstOrderValue(f0 float64, w0, g, w []float64, gamma float64) float64 {
	v := f0
	for i, x := range w {
		s := x - w0[i]
		v += g[i]*s + 0.5*gamma*s*s
	}
	return v
}

func checkLen(p Problem, w []float64) error {
	if len(w) != len(p.Point()) {
		return fmt.Errorf("surrogate: block %d: point has %d entries, want %d", p.Index(), len(w), len(p.Point()))
	}
	return nil
}

func notFinite(p Problem, what string) error {
	return fmt.Errorf("surrogate: block %d: %s: %w", p.Index(), what, ErrNotFinite)
}

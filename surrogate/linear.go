package surrogate

import (
	"context"
	"fmt"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// Linear is the linear upper bound of the seed's Appendix A.5,
//
//	g_j(W) = f(W^(k)) + ⟨∇_{W_j} f(W^(k)), W − W_j^(k)⟩,
//
// an upper bound exactly when f_j is concave (Appendix A.2, Proposition 2),
// so Direction refuses blocks whose Certificate is not Concave (error
// wrapping ErrNotCertified).
//
// A linear function has a minimiser only over a bounded set, and Appendix
// A.2 prescribes one, W_j = {r_j(W_j) ≤ ρ_j}. Direction therefore requires
// Block.Set to be a graph.Ball (D_j = −R·∇f/‖∇f‖) or a graph.Box
// (D_i = Lo if ∂_i f > 0, Hi if ∂_i f < 0, W_i^(k) if ∂_i f = 0): the
// conditional-gradient (Frank-Wolfe) vertex, with the L1 term included
// exactly when present. Other sets, and no set, return ErrUnsupported.
//
// The paper's printed direction D_j = ∇f and update (A.3),
// W^(k+1) = (1 − α)W^(k) − α∇f, is not the minimiser of a linear function
// (which is unbounded below on an unbounded set); it is shorthand for the
// unbounded problem. We implement the argmin over the bounded feasible set
// instead, so that (7) is a convex combination of feasible points.
type Linear struct{}

// Name returns "linear".
func (Linear) Name() string { return "linear" }

// Needs returns Concave.
func (Linear) Needs() Needs { return Needs{Concave: true} }

// Direction writes argmin_{W ∈ W_j} ⟨∇f, W⟩ + λ‖W‖₁ into d.
func (Linear) Direction(_ context.Context, p Problem, d []float64) (Info, error) {
	if c := p.Certificate(); !c.Concave {
		return Info{}, fmt.Errorf("surrogate: block %d: linear bound needs a concave block: %w: %s", p.Index(), ErrNotCertified, c.Reason)
	}
	w0, g, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	lambda := p.L1()
	switch set := p.Block().Set.(type) {
	case graph.Box:
		linearBox(d, w0, g, lambda, set.Lo, set.Hi)
	case *graph.Box:
		linearBox(d, w0, g, lambda, set.Lo, set.Hi)
	case graph.Ball:
		linearBall(d, w0, g, lambda, set.Radius)
	case *graph.Ball:
		linearBall(d, w0, g, lambda, set.Radius)
	default:
		name := "none"
		if set != nil {
			name = set.String()
		}
		return Info{}, fmt.Errorf("surrogate: block %d: linear bound needs a bounded box or ball, have set %s: %w", p.Index(), name, ErrUnsupported)
	}
	if !finite(d) {
		return Info{}, notFinite(p, "linear direction")
	}
	var dec float64
	for i := range d {
		dec -= g[i] * (d[i] - w0[i])
	}
	dec += lambda * (norm1(w0) - norm1(d))
	return Info{ModelDecrease: dec}, nil
}

// linearBox minimises Σ g_i w_i + λ|w_i| over [lo, hi] coordinate-wise,
// keeping w0_i on ties.
func linearBox(d, w0, g []float64, lambda, lo, hi float64) {
	for i, gi := range g {
		if lambda == 0 {
			switch {
			case gi > 0:
				d[i] = lo
			case gi < 0:
				d[i] = hi
			default:
				d[i] = w0[i]
			}
			continue
		}
		best, bv := w0[i], gi*w0[i]+lambda*math.Abs(w0[i])
		for _, c := range []float64{lo, hi, math.Min(math.Max(0, lo), hi)} {
			if v := gi*c + lambda*math.Abs(c); v < bv {
				best, bv = c, v
			}
		}
		d[i] = best
	}
}

// linearBall minimises ⟨g, w⟩ + λ‖w‖₁ over ‖w‖ ≤ r: w = −r·s/‖s‖ with s the
// soft-thresholded gradient (s = g when λ = 0). When s = 0 the minimum value
// 0 is attained at w = 0 (λ > 0), or everywhere (g = 0, λ = 0: null step).
func linearBall(d, w0, g []float64, lambda, r float64) {
	softThreshold(d, g, lambda)
	ns := norm2(d)
	switch {
	case ns > 0:
		for i := range d {
			d[i] *= -r / ns
		}
	case lambda > 0:
		clear(d)
	default:
		copy(d, w0)
	}
}

// Bound returns g_j(w) = f(W^(k)) + ⟨∇f, w − W^(k)⟩.
func (Linear) Bound(p Problem, w []float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	return firstOrderValue(p.Value(), p.Point(), p.Gradient(), w, 0), nil
}

package surrogate

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/bsum-go/bsum/graph"
)

// AdaGrad is the diagonal AdaGrad step (Duchi, Hazan and Singer, 2011), the
// baseline the seed's Section 6 compares against. It is written as a
// first-order bound with a diagonal metric,
//
//	g_j(W) = f(W^(k)) + ⟨∇f, W − W^(k)⟩ + ½ Σ_i h_i (W_i − W_i^(k))²,
//	h = (√G_k + ε)/η,   G_k = Σ_{t ≤ k} (∇f_t)² (per coordinate, per block),
//
// so D_j = W^(k) − ∇f/h, with L1 by per-coordinate soft-thresholding and a
// box or ball by the projection in the metric h (composite mirror descent).
// Other sets return ErrUnsupported, and so do L1 with a ball.
//
// AdaGrad is a baseline, not a BSUM upper bound with a guarantee: nothing
// ties h to the Lipschitz constant of ∇f, and the metric changes between
// iterations, so Lemma 1 does not apply.
//
// AdaGrad accumulates state: use it through a pointer (*AdaGrad implements
// Surrogate and Resetter); it is safe for concurrent use by different
// blocks. solvers.Minimize gives each run a fresh copy, so one *AdaGrad may
// serve concurrent runs; code that calls Direction itself shares the
// accumulators between its callers.
type AdaGrad struct {
	// Eta is the step η > 0. If Eta is 0, it defaults to 0.01.
	Eta float64
	// Eps is ε > 0, added to √G. If Eps is 0, it defaults to 1e-8.
	Eps float64

	mu   sync.Mutex
	acc  [][]float64 // G per block
	last [][]float64 // metric h of the last step per block
}

// Name returns "adagrad".
func (*AdaGrad) Name() string { return "adagrad" }

// Needs returns the zero Needs: only the gradient is used.
func (*AdaGrad) Needs() Needs { return Needs{} }

// Reset forgets the accumulated squared gradients.
func (a *AdaGrad) Reset(blocks int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acc = make([][]float64, blocks)
	a.last = make([][]float64, blocks)
}

// metric returns h for block j from the accumulator plus g² (without
// storing when commit is false).
func (a *AdaGrad) metric(j int, g []float64, commit bool) []float64 {
	eta, eps := orDefault(a.Eta, 0.01), orDefault(a.Eps, 1e-8)
	a.mu.Lock()
	defer a.mu.Unlock()
	if j < 0 {
		j, commit = 0, false
	}
	for len(a.acc) <= j {
		a.acc = append(a.acc, nil)
		a.last = append(a.last, nil)
	}
	acc := a.acc[j]
	if len(acc) != len(g) {
		acc = make([]float64, len(g))
	}
	h := make([]float64, len(g))
	for i, v := range g {
		s := acc[i] + v*v
		if commit {
			acc[i] = s
		}
		h[i] = (math.Sqrt(s) + eps) / eta
	}
	if commit {
		a.acc[j], a.last[j] = acc, h
	}
	return h
}

// Direction accumulates ∇f² for the block and writes the AdaGrad step into d.
func (a *AdaGrad) Direction(_ context.Context, p Problem, d []float64) (Info, error) {
	if err := checkPositive("AdaGrad.Eta", orDefault(a.Eta, 0.01)); err != nil {
		return Info{}, err
	}
	if err := checkPositive("AdaGrad.Eps", orDefault(a.Eps, 1e-8)); err != nil {
		return Info{}, err
	}
	w0, g, err := start(p, d)
	if err != nil {
		return Info{}, err
	}
	if p.Index() < 0 {
		return Info{}, fmt.Errorf("surrogate: negative block index %d", p.Index())
	}
	lambda := p.L1()
	set := p.Block().Set
	var ball float64 = -1
	switch s := set.(type) {
	case nil, graph.Box, *graph.Box:
	case graph.Ball:
		ball = s.Radius
	case *graph.Ball:
		ball = s.Radius
	default:
		return Info{}, fmt.Errorf("surrogate: block %d: AdaGrad with set %s: %w", p.Index(), set, ErrUnsupported)
	}
	if ball >= 0 && lambda > 0 {
		return Info{}, fmt.Errorf("surrogate: block %d: AdaGrad with L1 and a ball: %w", p.Index(), ErrUnsupported)
	}
	h := a.metric(p.Index(), g, true)
	for i := range d {
		d[i] = w0[i] - g[i]/h[i]
		if lambda > 0 {
			softThreshold(d[i:i+1], d[i:i+1], lambda/h[i])
		}
	}
	// A box is separable in any diagonal metric, and for a one-dimensional
	// convex problem clipping the unconstrained minimiser is exact.
	if ball >= 0 {
		metricBallProject(d, h, ball)
	} else if set != nil {
		set.Project(d)
	}
	if !finite(d) {
		return Info{}, notFinite(p, "AdaGrad direction")
	}
	var dec, mean float64
	for i := range d {
		s := d[i] - w0[i]
		dec -= g[i]*s + 0.5*h[i]*s*s
		mean += h[i]
	}
	dec += lambda * (norm1(w0) - norm1(d))
	if len(h) > 0 {
		mean /= float64(len(h))
	}
	return Info{Gamma: mean, ModelDecrease: dec}, nil
}

// metricBallProject replaces v by argmin Σ h_i(w_i − v_i)² over ‖w‖ ≤ r:
// w_i = h_i v_i/(h_i + μ) with μ ≥ 0 found by bisection.
func metricBallProject(v, h []float64, r float64) {
	if norm2(v) <= r {
		return
	}
	w := make([]float64, len(v))
	at := func(mu float64) float64 {
		for i := range v {
			w[i] = h[i] * v[i] / (h[i] + mu)
		}
		return norm2(w)
	}
	var hmax float64
	for _, x := range h {
		hmax = math.Max(hmax, x)
	}
	lo, hi := 0.0, hmax*norm2(v)/math.Max(r, 1e-300)
	for k := 0; k < 200 && hi-lo > 1e-15*hi; k++ {
		mid := 0.5 * (lo + hi)
		if at(mid) > r {
			lo = mid
		} else {
			hi = mid
		}
	}
	at(hi)
	copy(v, w)
}

// Bound returns g_j(w) with the metric of block j's last step, or, before
// its first step, the metric the next step would use.
func (a *AdaGrad) Bound(p Problem, w []float64) (float64, error) {
	if err := checkLen(p, w); err != nil {
		return 0, err
	}
	j := p.Index()
	a.mu.Lock()
	var h []float64
	if j >= 0 && j < len(a.last) && len(a.last[j]) == len(w) {
		h = a.last[j]
	}
	a.mu.Unlock()
	if h == nil {
		h = a.metric(j, p.Gradient(), false)
	}
	w0, g := p.Point(), p.Gradient()
	v := p.Value()
	for i := range w {
		s := w[i] - w0[i]
		v += g[i]*s + 0.5*h[i]*s*s
	}
	return v, nil
}

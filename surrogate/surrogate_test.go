package surrogate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dim = 6

var (
	cvxFn        = logisticFn(1, dim, 1, 0, 0)
	ncvFn        = logisticFn(2, dim, 1, 1.0, 0.5)
	cavFn        = logisticFn(3, dim, -1, 0, 0)
	qFn, qArgmin = quadFn(4, dim)
	w0           = point(5, dim, 0.5)
)

// fdGrad is the central-difference gradient of fun at w.
func fdGrad(fun func([]float64) float64, w []float64) []float64 {
	g := make([]float64, len(w))
	x := append([]float64(nil), w...)
	for i := range w {
		h := 1e-5 * math.Max(1, math.Abs(w[i]))
		x[i] = w[i] + h
		fp := fun(x)
		x[i] = w[i] - h
		fm := fun(x)
		x[i] = w[i]
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// boundFunc returns w ↦ g_j(w) for the bound Direction minimised (for
// SecondOrder, with the γ it reported).
func boundFunc(t *testing.T, s Surrogate, p Problem, info Info) func([]float64) float64 {
	return func(w []float64) float64 {
		var v float64
		var err error
		switch b := s.(type) {
		case SecondOrder:
			v, err = b.BoundGamma(p, w, info.Gamma)
		case *SecondOrder:
			v, err = b.BoundGamma(p, w, info.Gamma)
		default:
			v, err = s.(Bounder).Bound(p, w)
		}
		require.NoError(t, err)
		return v
	}
}

// stationarity is ‖D − T_t(D)‖/t for the prox-gradient map T_t of
// bound + λ‖·‖₁ + ι_set: zero exactly at the minimiser.
func stationarity(t *testing.T, bound func([]float64) float64, p Problem, d []float64) float64 {
	g := fdGrad(bound, d)
	const step = 1e-3
	tr := make([]float64, len(d))
	require.NoError(t, proxStep(tr, d, g, 1/step, p.L1(), p.Block().Set))
	return math.Sqrt(dist2(tr, d)) / step
}

// feasible returns w0 projected onto set.
func feasible(set graph.Set, w []float64) []float64 {
	x := append([]float64(nil), w...)
	if set != nil {
		set.Project(x)
	}
	return x
}

type variant struct {
	name string
	set  graph.Set
	l1   float64
}

var variants = []variant{
	{"plain", nil, 0},
	{"l1", nil, 0.3},
	{"box", graph.Box{Lo: -0.4, Hi: 0.6}, 0},
	{"ball", graph.Ball{Radius: 0.8}, 0},
	{"box+l1", graph.Box{Lo: -0.4, Hi: 0.6}, 0.3},
}

func (v variant) problem(fn *testFn, opts ...probOpt) *testProblem {
	opts = append([]probOpt{withSet(v.set), withL1(v.l1)}, opts...)
	return newProblem(fn, feasible(v.set, w0), opts...)
}

func TestFunctionsMatchFiniteDifferences(t *testing.T) {
	for _, fn := range []*testFn{cvxFn, ncvFn, cavFn, qFn, sqrtFn(dim)} {
		t.Run(fn.name, func(t *testing.T) {
			for _, tik := range []float64{0, 0.05} {
				p := newProblem(fn, w0, withTikhonov(tik))
				require.InDelta(t, 0, maxAbsDiff(fdGrad(func(w []float64) float64 { return p.value(w, nil) }, w0), p.g), 1e-8)
				h := make([]float64, dim*dim)
				p.hessAt(w0, h)
				for i := 0; i < dim; i++ {
					col := fdGrad(func(w []float64) float64 {
						g := make([]float64, dim)
						p.value(w, g)
						return g[i]
					}, w0)
					require.InDelta(t, 0, maxAbsDiff(col, h[i*dim:(i+1)*dim]), 1e-7, "Hessian row %d", i)
				}
				v := point(9, dim, 1)
				hv, hv2 := make([]float64, dim), make([]float64, dim)
				require.NoError(t, p.HVP(v, hv))
				matVec(hv2, h, 0, v)
				require.InDelta(t, 0, maxAbsDiff(hv, hv2), 1e-12)
			}
		})
	}
}

// surrogateCase pairs a surrogate with a function it applies to.
type surrogateCase struct {
	name string
	s    Surrogate
	fn   *testFn
	opts []probOpt
}

func allCases() []surrogateCase {
	tik := []probOpt{withTikhonov(0.05)}
	return []surrogateCase{
		{"first-order", FirstOrder{Gamma: 20}, ncvFn, nil},
		{"first-order-default", FirstOrder{}, cvxFn, nil},
		{"second-order-chol", SecondOrder{Gamma: 1}, cvxFn, nil},
		{"second-order-cg", SecondOrder{Gamma: 1, Solver: CG}, cvxFn, nil},
		{"second-order-nonconvex", SecondOrder{Gamma: 1e-3}, ncvFn, nil},
		{"second-order-nonconvex-cg", SecondOrder{Gamma: 1e-3, Solver: CG}, ncvFn, nil},
		{"gauss-newton", SecondOrder{Gamma: 0.1, Curvature: GaussNewton}, ncvFn, nil},
		{"gauss-newton-cg", SecondOrder{Gamma: 0.1, Curvature: GaussNewton, Solver: CG}, ncvFn, nil},
		{"lm", &SecondOrder{Adaptive: &Damping{}}, cvxFn, nil},
		{"proximal", Proximal{Gamma: 0.5}, cvxFn, nil},
		{"exact", Exact{}, cvxFn, tik},
		{"exact-quadratic", ExactQuadratic{}, qFn, nil},
		{"adagrad", &AdaGrad{Eta: 0.1}, ncvFn, nil},
	}
}

// TestBoundTouchesAtPoint checks g_j(W^(k)) = f(W^(k)) and property P2 of
// Appendix A.3, ∇g_j(W^(k)) = ∇f_j(W^(k)), by finite differences of Bound.
func TestBoundTouchesAtPoint(t *testing.T) {
	cases := allCases()
	cases = append(cases, surrogateCase{"linear", Linear{}, cavFn, []probOpt{withSet(graph.Ball{Radius: 2})}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProblem(c.fn, w0, c.opts...)
			b := c.s.(Bounder)
			v, err := b.Bound(p, w0)
			require.NoError(t, err)
			assert.InDelta(t, p.f0, v, 1e-12*math.Max(1, math.Abs(p.f0)))
			g := fdGrad(func(w []float64) float64 {
				v, err := b.Bound(p, w)
				require.NoError(t, err)
				return v
			}, w0)
			assert.InDelta(t, 0, maxAbsDiff(g, p.g), 1e-7)
		})
	}
}

// gershgorinAt bounds the spectral norm of H(w) − ref over sampled points.
func sampleBall(seed uint64, center []float64, r float64, k int) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	out := make([][]float64, k)
	for i := range out {
		d := randMat(rng, 1, len(center), 1)
		s := r * math.Pow(rng.Float64(), 1/float64(len(center))) / norm2(d)
		x := make([]float64, len(center))
		for l := range x {
			x[l] = center[l] + s*d[l]
		}
		out[i] = x
	}
	return out
}

// TestBoundIsUpperBound samples points near W^(k) and checks g_j ≥ f_j when
// γ is at least the relevant local constant.
func TestBoundIsUpperBound(t *testing.T) {
	const r = 0.3
	pts := sampleBall(21, w0, r, 300)
	n := dim
	h := make([]float64, n*n)
	ref := make([]float64, n*n)
	gn := make([]float64, n*n)
	// Local constants over the ball, with a safety factor: Lipschitz
	// constant of ∇f (first order) and sup‖∇²f(w) − C‖ (second order).
	probe := newProblem(ncvFn, w0)
	probe.hessAt(w0, ref)
	probe.gnAt(w0, gn)
	var lip, dH, dGN float64
	for _, x := range pts {
		probe.hessAt(x, h)
		lip = math.Max(lip, gershgorin(h, n, 0))
		for i := range h {
			h[i] -= ref[i]
		}
		dH = math.Max(dH, gershgorin(h, n, 0))
		probe.hessAt(x, h)
		for i := range h {
			h[i] -= gn[i]
		}
		dGN = math.Max(dGN, gershgorin(h, n, 0))
	}
	cases := []surrogateCase{
		{"first-order", FirstOrder{Gamma: 1.5 * lip}, ncvFn, nil},
		{"second-order", SecondOrder{Gamma: 1.5 * dH}, ncvFn, nil},
		{"gauss-newton", SecondOrder{Gamma: 1.5 * dGN, Curvature: GaussNewton}, ncvFn, nil},
		{"proximal", Proximal{Gamma: 0.1}, cvxFn, nil},
		{"proximal-nonconvex-value", Proximal{Gamma: 0.1}, ncvFn, nil},
		{"exact", Exact{}, cvxFn, []probOpt{withTikhonov(0.05)}},
		{"exact-quadratic", ExactQuadratic{}, qFn, nil},
		{"linear", Linear{}, cavFn, nil},
		{"adagrad-small-eta", &AdaGrad{Eta: 0.1 / lip}, ncvFn, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProblem(c.fn, w0, c.opts...)
			b := c.s.(Bounder)
			for _, x := range pts {
				g, err := b.Bound(p, x)
				require.NoError(t, err)
				f := p.value(x, nil)
				require.GreaterOrEqual(t, g, f-1e-10*math.Max(1, math.Abs(f)), "at %v", x)
			}
		})
	}
}

// TestDirectionIsMinimiser checks the optimality condition of D_j for every
// surrogate and every supported combination of L1 and feasible set: D is a
// fixed point of the prox-gradient map of g_j + λ‖·‖₁ over W_j (for smooth
// unconstrained bounds, ∇g_j(D) = 0; with L1, 0 ∈ ∇g_j(D) + λ∂‖D‖₁
// coordinate-wise; with a set, D = P(D − t∇g_j(D))).
func TestDirectionIsMinimiser(t *testing.T) {
	ctx := context.Background()
	for _, c := range allCases() {
		for _, v := range variants {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				if r, ok := c.s.(Resetter); ok {
					r.Reset(1)
				}
				p := v.problem(c.fn, c.opts...)
				d := make([]float64, dim)
				info, err := c.s.Direction(ctx, p, d)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, info.ModelDecrease, -1e-12)
				res := stationarity(t, boundFunc(t, c.s, p, info), p, d)
				assert.Less(t, res, 1e-5, "D = %v, info %+v", d, info)
				if v.set != nil {
					assert.LessOrEqual(t, dist2(d, feasible(v.set, d)), 1e-28, "D must be feasible")
				}
			})
		}
	}
}

// TestLinearIsMinimiser: the conditional-gradient vertex is a fixed point
// of the projected-gradient map of the linear bound.
func TestLinearIsMinimiser(t *testing.T) {
	for _, v := range []variant{
		{"box", graph.Box{Lo: -1, Hi: 1}, 0},
		{"box+l1", graph.Box{Lo: -1, Hi: 1}, 0.5},
		{"ball", graph.Ball{Radius: 2}, 0},
	} {
		t.Run(v.name, func(t *testing.T) {
			p := v.problem(cavFn)
			d := make([]float64, dim)
			info, err := Linear{}.Direction(context.Background(), p, d)
			require.NoError(t, err)
			assert.Positive(t, info.ModelDecrease)
			assert.Less(t, stationarity(t, boundFunc(t, Linear{}, p, info), p, d), 1e-6)
		})
	}
}

func TestUnsupportedCombinations(t *testing.T) {
	ctx := context.Background()
	ballL1 := variant{"ball+l1", graph.Ball{Radius: 1}, 0.1}
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			p := ballL1.problem(c.fn, c.opts...)
			_, err := c.s.Direction(ctx, p, make([]float64, dim))
			require.ErrorIs(t, err, ErrUnsupported)
		})
	}
	t.Run("linear-unbounded", func(t *testing.T) {
		_, err := Linear{}.Direction(ctx, newProblem(cavFn, w0), make([]float64, dim))
		require.ErrorIs(t, err, ErrUnsupported)
	})
	t.Run("first-order-box-without-zero+l1", func(t *testing.T) {
		p := newProblem(ncvFn, feasible(graph.Box{Lo: 0.1, Hi: 1}, w0), withSet(graph.Box{Lo: 0.1, Hi: 1}), withL1(0.1))
		_, err := FirstOrder{}.Direction(ctx, p, make([]float64, dim))
		require.ErrorIs(t, err, ErrUnsupported)
	})
}

// TestNeedsHonoured runs every surrogate on a Problem that records calls
// outside the surrogate's Needs.
func TestNeedsHonoured(t *testing.T) {
	ctx := context.Background()
	cases := allCases()
	cases = append(cases,
		surrogateCase{"second-order-chol-only", SecondOrder{Solver: Cholesky}, cvxFn, nil},
		surrogateCase{"linear", Linear{}, cavFn, []probOpt{withSet(graph.Box{Lo: -1, Hi: 1})}})
	for _, c := range cases {
		for _, v := range []variant{variants[0], variants[4]} {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				p := v.problem(c.fn, c.opts...)
				p.expect(c.s.Needs())
				_, err := c.s.Direction(ctx, p, make([]float64, dim))
				require.NoError(t, err)
				assert.Empty(t, p.violated())
			})
		}
	}
	assert.Equal(t, Needs{}, FirstOrder{}.Needs())
	assert.Equal(t, Needs{Eval: true, Convex: true}, Proximal{}.Needs())
	assert.Equal(t, Needs{Concave: true}, Linear{}.Needs())
	assert.Equal(t, Needs{Hessian: true}, SecondOrder{Solver: Cholesky}.Needs())
	assert.Equal(t, Needs{HVP: true}, SecondOrder{Solver: CG}.Needs())
	assert.Equal(t, Needs{GaussNewton: true, Eval: true}, SecondOrder{Curvature: GaussNewton, Adaptive: &Damping{}}.Needs())
}

func TestFirstOrderStep(t *testing.T) {
	p := newProblem(ncvFn, w0)
	d := make([]float64, dim)
	info, err := FirstOrder{Gamma: 4}.Direction(context.Background(), p, d)
	require.NoError(t, err)
	for i := range d {
		assert.InDelta(t, w0[i]-p.g[i]/4, d[i], 1e-15)
	}
	assert.Equal(t, 4.0, info.Gamma)
	assert.InDelta(t, dot(p.g, p.g)/8, info.ModelDecrease, 1e-12)
}

// TestSoftThresholdExactZeros: coordinates with |W − γ⁻¹∇f| ≤ λ/γ become
// exact zeros (A.5), others shrink by λ/γ.
func TestSoftThresholdExactZeros(t *testing.T) {
	const gamma, lambda = 2.0, 0.5
	p := newProblem(ncvFn, w0, withL1(lambda))
	d := make([]float64, dim)
	_, err := FirstOrder{Gamma: gamma}.Direction(context.Background(), p, d)
	require.NoError(t, err)
	zeros := 0
	for i := range d {
		a := w0[i] - p.g[i]/gamma
		if math.Abs(a) <= lambda/gamma {
			assert.Equal(t, 0.0, d[i], "coordinate %d", i)
			zeros++
		} else {
			assert.InDelta(t, a-math.Copysign(lambda/gamma, a), d[i], 1e-15)
		}
	}
	assert.Positive(t, zeros, "the case should produce zeros")

	dst := []float64{0.3, -0.3, 0.2, -0.2, 0.25, -0.25, 0}
	softThreshold(dst, dst, 0.25)
	assert.Equal(t, []float64{0.05, -0.05, 0, 0, 0, 0, 0}, roundSlice(dst))
}

func roundSlice(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Round(v*1e12) / 1e12
		if out[i] == 0 {
			out[i] = 0 // normalise −0
		}
	}
	return out
}

// TestSecondOrderIndefinite: with an indefinite Hessian and a tiny γ the
// bound is not convex; Direction must raise γ and return descent.
func TestSecondOrderIndefinite(t *testing.T) {
	p := newProblem(ncvFn, w0)
	h := make([]float64, dim*dim)
	p.hessAt(w0, h)
	l := make([]float64, dim*dim)
	require.False(t, cholesky(l, h, dim, 1e-6), "the test Hessian must be indefinite")
	for _, solver := range []LinearSolver{Cholesky, CG} {
		for _, cur := range []Curvature{Hessian} {
			t.Run(solver.String(), func(t *testing.T) {
				s := SecondOrder{Gamma: 1e-6, Solver: solver, Curvature: cur}
				d := make([]float64, dim)
				info, err := s.Direction(context.Background(), p, d)
				require.NoError(t, err)
				assert.Greater(t, info.Gamma, 1e-6)
				var slope float64
				for i := range d {
					slope += p.g[i] * (d[i] - w0[i])
				}
				assert.Negative(t, slope, "⟨∇f, D − W⟩")
				assert.Positive(t, info.ModelDecrease)
				if solver == Cholesky {
					assert.True(t, cholesky(l, h, dim, info.Gamma), "reported γ makes H + γI positive definite")
				}
			})
		}
	}
	t.Run("not-finite", func(t *testing.T) {
		bad := &testFn{name: "nan", n: dim, f: func([]float64) float64 { return 0 },
			grad: func(_, g []float64) {
				for i := range g {
					g[i] = 1
				}
			},
			hess: func(_, h []float64) {
				for i := range h {
					h[i] = math.NaN()
				}
			}}
		_, err := SecondOrder{}.Direction(context.Background(), newProblem(bad, w0), make([]float64, dim))
		require.ErrorIs(t, err, ErrNotFinite)
	})
}

// TestLMSolvesQuadraticInOneStep: with γ → 0 the second-order bound of a
// strongly convex quadratic is the quadratic itself.
func TestLMSolvesQuadraticInOneStep(t *testing.T) {
	for _, solver := range []LinearSolver{Auto, Cholesky, CG} {
		t.Run(solver.String(), func(t *testing.T) {
			p := newProblem(qFn, w0)
			d := make([]float64, dim)
			info, err := SecondOrder{Gamma: 1e-12, Solver: solver}.Direction(context.Background(), p, d)
			require.NoError(t, err)
			assert.Equal(t, 1e-12, info.Gamma)
			assert.InDelta(t, 0, maxAbsDiff(d, qArgmin), 1e-9)
		})
	}
}

func TestCGAgreesWithCholesky(t *testing.T) {
	ctx := context.Background()
	for _, fn := range []*testFn{cvxFn, ncvFn} {
		for _, cur := range []Curvature{Hessian, GaussNewton} {
			for _, v := range variants {
				t.Run(fn.name+"/"+cur.String()+"/"+v.name, func(t *testing.T) {
					p := v.problem(fn)
					a, b := make([]float64, dim), make([]float64, dim)
					ia, err := SecondOrder{Gamma: 2, Curvature: cur, Solver: Cholesky, InnerTol: 1e-13}.Direction(ctx, p, a)
					require.NoError(t, err)
					ib, err := SecondOrder{Gamma: 2, Curvature: cur, Solver: CG, InnerTol: 1e-13}.Direction(ctx, p, b)
					require.NoError(t, err)
					assert.Equal(t, ia.Gamma, ib.Gamma)
					assert.InDelta(t, 0, maxAbsDiff(a, b), 1e-8)
				})
			}
		}
	}
}

// TestLMDampingRisesAfterRejection: from w = 2 on Σ√(1+w²) the first
// (nearly undamped) Newton step overshoots and increases f.
func TestLMDampingRisesAfterRejection(t *testing.T) {
	fn := sqrtFn(dim)
	start := make([]float64, dim)
	for i := range start {
		start[i] = 2
	}
	ctx := context.Background()
	s := &SecondOrder{Adaptive: &Damping{}}
	s.Reset(3)
	p := newProblem(fn, start, withIndex(1))
	assert.Equal(t, 1e-2, s.Damping(1))
	d := make([]float64, dim)
	info, err := s.Direction(ctx, p, d)
	require.NoError(t, err)
	assert.Positive(t, info.Rejected)
	assert.Greater(t, s.Damping(1), 1e-2)
	assert.Equal(t, 1e-2, s.Damping(0), "other blocks keep their state")
	assert.Less(t, p.value(d, nil), p.f0, "accepted step decreases f")
	assert.Positive(t, info.ModelDecrease)

	// Nielsen's rule: after acceptance γ ← γ·max(1/3, 1 − (2ρ−1)³).
	rho := (p.f0 - p.value(d, nil)) / info.ModelDecrease
	r := 2*rho - 1
	assert.InDelta(t, info.Gamma*math.Max(1.0/3, 1-r*r*r), s.Damping(1), 1e-12)

	// On a quadratic (ρ ≈ 1) an accepted step shrinks γ by 3.
	q := &SecondOrder{Adaptive: &Damping{Init: 0.3}}
	info, err = q.Direction(ctx, newProblem(qFn, w0), d)
	require.NoError(t, err)
	assert.Zero(t, info.Rejected)
	assert.InDelta(t, 0.1, q.Damping(0), 1e-3)

	// After MaxRejections the null step D = W is returned.
	s.Reset(3)
	s.Adaptive.MaxRejections = 1
	info, err = s.Direction(ctx, p, d)
	require.NoError(t, err)
	assert.Equal(t, 1, info.Rejected)
	assert.Equal(t, start, d)
	assert.Zero(t, info.ModelDecrease)
	assert.Greater(t, s.Damping(1), 1e-2)
}

func TestProximalRefusesUncertified(t *testing.T) {
	ctx := context.Background()
	d := make([]float64, dim)
	p := newProblem(ncvFn, w0)
	_, err := Proximal{}.Direction(ctx, p, d)
	require.ErrorIs(t, err, ErrNotCertified)
	assert.Contains(t, err.Error(), ncvFn.cert.Reason)
	_, err = Exact{}.Direction(ctx, p, d)
	require.ErrorIs(t, err, ErrNotCertified)
	// Convex but not strongly convex: Exact refuses, Proximal accepts.
	p = newProblem(cvxFn, w0)
	_, err = Exact{}.Direction(ctx, p, d)
	require.ErrorIs(t, err, ErrNotCertified)
	_, err = Proximal{}.Direction(ctx, p, d)
	require.NoError(t, err)
	_, err = Linear{}.Direction(ctx, newProblem(cvxFn, w0, withSet(graph.Ball{Radius: 1})), d)
	require.ErrorIs(t, err, ErrNotCertified)
}

// TestProximalPoint checks eq. (14) directly: ∇f(D) + γ(D − W) = 0, and
// that Exact finds the block minimiser (∇f(D) = 0).
func TestProximalPoint(t *testing.T) {
	ctx := context.Background()
	p := newProblem(cvxFn, w0, withTikhonov(0.05))
	d := make([]float64, dim)
	info, err := Proximal{Gamma: 0.7}.Direction(ctx, p, d)
	require.NoError(t, err)
	g := make([]float64, dim)
	p.value(d, g)
	for i := range g {
		g[i] += 0.7 * (d[i] - w0[i])
	}
	assert.Less(t, norm2(g), 1e-7)
	assert.Less(t, info.Inner, 500)
	_, err = Exact{}.Direction(ctx, p, d)
	require.NoError(t, err)
	p.value(d, g)
	assert.Less(t, norm2(g), 1e-7)
}

func TestExactQuadratic(t *testing.T) {
	ctx := context.Background()
	d := make([]float64, dim)
	_, err := ExactQuadratic{}.Direction(ctx, newProblem(qFn, w0), d)
	require.NoError(t, err)
	assert.InDelta(t, 0, maxAbsDiff(d, qArgmin), 1e-10)
	_, err = ExactQuadratic{}.Direction(ctx, newProblem(cvxFn, w0), d)
	require.ErrorIs(t, err, ErrNotCertified, "a non-quadratic block is detected")
	_, err = ExactQuadratic{}.Direction(ctx, newProblem(ncvFn, w0), d)
	require.ErrorIs(t, err, ErrNotCertified, "an indefinite Hessian is detected")
}

// TestLinearOracle compares Linear with the box and ball conditional-
// gradient vertices.
func TestLinearOracle(t *testing.T) {
	ctx := context.Background()
	gz := func(p *testProblem) { p.g[2] = 0 } // a zero partial keeps W_i
	box := graph.Box{Lo: -1, Hi: 2}
	p := newProblem(cavFn, w0, withSet(box))
	gz(p)
	d := make([]float64, dim)
	_, err := Linear{}.Direction(ctx, p, d)
	require.NoError(t, err)
	for i, g := range p.g {
		switch {
		case g > 0:
			assert.Equal(t, box.Lo, d[i])
		case g < 0:
			assert.Equal(t, box.Hi, d[i])
		default:
			assert.Equal(t, w0[i], d[i])
		}
	}
	_, err = Linear{}.Direction(ctx, newProblem(cavFn, w0, withSet(&box)), d)
	require.NoError(t, err)

	ball := graph.Ball{Radius: 1.5}
	p = newProblem(cavFn, w0, withSet(ball))
	info, err := Linear{}.Direction(ctx, p, d)
	require.NoError(t, err)
	ng := norm2(p.g)
	for i := range d {
		assert.InDelta(t, -1.5*p.g[i]/ng, d[i], 1e-15)
	}
	assert.InDelta(t, 0, info.Gamma, 0)
	assert.Positive(t, info.ModelDecrease)

	// L1 in a ball: the soft-thresholded gradient direction, and the
	// minimum over random feasible points is not below it.
	p = newProblem(cavFn, w0, withSet(ball), withL1(0.2))
	_, err = Linear{}.Direction(ctx, p, d)
	require.NoError(t, err)
	obj := func(w []float64) float64 { return dot(p.g, w) + 0.2*norm1(w) }
	for _, x := range sampleBall(3, make([]float64, dim), 1.5, 500) {
		assert.GreaterOrEqual(t, obj(x), obj(d)-1e-12)
	}
}

func TestAdaGradAccumulates(t *testing.T) {
	ctx := context.Background()
	a := &AdaGrad{Eta: 0.5, Eps: 1e-8}
	a.Reset(2)
	p := newProblem(ncvFn, w0)
	d1, d2 := make([]float64, dim), make([]float64, dim)
	_, err := a.Direction(ctx, p, d1)
	require.NoError(t, err)
	for i := range d1 {
		// First step: h = |g|/η, so every coordinate moves by η·sign(g).
		assert.InDelta(t, w0[i]-0.5*math.Copysign(1, p.g[i]), d1[i], 1e-7)
	}
	_, err = a.Direction(ctx, p, d2)
	require.NoError(t, err)
	for i := range d2 {
		assert.InDelta(t, w0[i]-0.5/math.Sqrt2*math.Copysign(1, p.g[i]), d2[i], 1e-7)
	}
	a.Reset(2)
	_, err = a.Direction(ctx, p, d2)
	require.NoError(t, err)
	assert.Equal(t, d1, d2, "Reset forgets the accumulator")
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := variants[2].problem(cvxFn)
	_, err := Proximal{}.Direction(ctx, p, make([]float64, dim))
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestBadSettings(t *testing.T) {
	ctx := context.Background()
	p := newProblem(cvxFn, w0)
	d := make([]float64, dim)
	for _, s := range []Surrogate{
		FirstOrder{Gamma: -1}, SecondOrder{Gamma: -1}, Proximal{Gamma: -1},
		SecondOrder{Adaptive: &Damping{Increase: 0.5}}, &AdaGrad{Eta: -1},
	} {
		_, err := s.Direction(ctx, p, d)
		assert.Error(t, err, "%T %+v", s, s)
	}
	_, err := FirstOrder{}.Direction(ctx, p, make([]float64, dim+1))
	assert.Error(t, err)
}

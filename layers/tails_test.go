package layers

import (
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// High-precision references for the tail tests: math/big at refPrec bits,
// with exp by argument halving and a Taylor series, log by Newton's method.

const refPrec = 320

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

func bnew() *big.Float { return new(big.Float).SetPrec(refPrec) }

func badd(a, b *big.Float) *big.Float { return bnew().Add(a, b) }
func bsub(a, b *big.Float) *big.Float { return bnew().Sub(a, b) }
func bmul(a, b *big.Float) *big.Float { return bnew().Mul(a, b) }
func bquo(a, b *big.Float) *big.Float { return bnew().Quo(a, b) }
func bneg(a *big.Float) *big.Float    { return bnew().Neg(a) }
func babs(a *big.Float) *big.Float    { return bnew().Abs(a) }
func bsqrt(a *big.Float) *big.Float   { return bnew().Sqrt(a) }

// bexp is e^x: x/2^m with |x/2^m| < 2^-12, a 40-term Taylor series, then m
// squarings (each squaring at most doubles the relative error; 320 bits
// leave far more than float64 needs after 2^m ≤ 2^22).
func bexp(x *big.Float) *big.Float {
	r := bnew().Set(x)
	m := 0
	for r.MantExp(nil) > -12 && r.Sign() != 0 {
		r.SetMantExp(r, -1)
		m++
	}
	sum, term := bf(1), bf(1)
	for k := 1; k <= 40; k++ {
		term = bquo(bmul(term, r), bf(float64(k)))
		sum = badd(sum, term)
	}
	for ; m > 0; m-- {
		sum = bmul(sum, sum)
	}
	return sum
}

// blog1p is log(1+u) for u > −1, by Newton on e^y = 1+u from a float64 guess.
func blog1p(u *big.Float) *big.Float {
	uf, _ := u.Float64()
	y := bf(math.Log1p(uf))
	a := badd(bf(1), u)
	for i := 0; i < 12; i++ {
		e := bexp(y)
		y = bsub(y, bquo(bsub(e, a), e)) // y − (e^y − a)/e^y
	}
	return y
}

// refFunc returns f(z), f'(z), f”(z) in high precision.
type refFunc func(z *big.Float) (f, f1, f2 *big.Float)

// bsigmoid returns σ(z), σ'(z), σ”(z) from e = e^{−|z|} (no cancellation).
func bsigmoid(z *big.Float) (s, s1, s2 *big.Float) {
	e := bexp(bneg(babs(z)))
	one := bf(1)
	d := badd(one, e)
	r := bquo(one, d) // σ(|z|)
	s = r
	if z.Sign() < 0 {
		s = bmul(e, r)
	}
	s1 = bquo(e, bmul(d, d))
	th := bquo(bsub(one, e), d) // tanh(|z|/2)
	if z.Sign() < 0 {
		th = bneg(th)
	}
	s2 = bneg(bmul(s1, th))
	return s, s1, s2
}

func refLogistic(z *big.Float) (f, f1, f2 *big.Float) { return bsigmoid(z) }

func refTanh(z *big.Float) (f, f1, f2 *big.Float) {
	e := bexp(bneg(babs(bmul(bf(2), z)))) // e^{−2|z|}
	one := bf(1)
	d := badd(one, e)
	t := bquo(bsub(one, e), d)
	if z.Sign() < 0 {
		t = bneg(t)
	}
	f1 = bquo(bmul(bf(4), e), bmul(d, d))
	return t, f1, bmul(bf(-2), bmul(t, f1))
}

func refSoftplus(z *big.Float) (f, f1, f2 *big.Float) {
	e := bexp(bneg(babs(z)))
	f = blog1p(e)
	if z.Sign() > 0 {
		f = badd(f, z)
	}
	s, s1, _ := bsigmoid(z)
	return f, s, s1
}

func refLeaky(a float64) refFunc {
	return func(z *big.Float) (f, f1, f2 *big.Float) {
		if z.Sign() >= 0 {
			return z, bf(1), bf(0)
		}
		return bmul(bf(a), z), bf(a), bf(0)
	}
}

func refELU(a, s float64) refFunc {
	return func(z *big.Float) (f, f1, f2 *big.Float) {
		if z.Sign() >= 0 {
			return bmul(bf(s), z), bf(s), bf(0)
		}
		sa := bmul(bf(s), bf(a))
		e := bexp(z)
		return bmul(sa, bsub(e, bf(1))), bmul(sa, e), bmul(sa, e)
	}
}

// refISRU is x/√(1+ax²) (for all x, or only x < 0 when linRight).
func refISRU(a float64, linRight bool) refFunc {
	return func(z *big.Float) (f, f1, f2 *big.Float) {
		if linRight && z.Sign() >= 0 {
			return z, bf(1), bf(0)
		}
		u := badd(bf(1), bmul(bf(a), bmul(z, z))) // 1 + a z²
		r := bquo(bf(1), bsqrt(u))                // u^{−1/2}
		r2 := bmul(r, r)
		f = bmul(z, r)
		f1 = bmul(r2, r)
		f2 = bmul(bf(-3*a), bmul(z, bmul(r2, bmul(r2, r))))
		return f, f1, f2
	}
}

func refBent(z *big.Float) (f, f1, f2 *big.Float) {
	h := bsqrt(badd(bmul(z, z), bf(1)))
	f = badd(bquo(bsub(h, bf(1)), bf(2)), z)
	f1 = badd(bf(1), bquo(z, bmul(bf(2), h)))
	f2 = bquo(bf(0.5), bmul(h, bmul(h, h)))
	return f, f1, f2
}

func refSoftExp(a float64) refFunc {
	return func(z *big.Float) (f, f1, f2 *big.Float) {
		if a > 0 {
			e := bexp(bmul(bf(a), z))
			return badd(bquo(bsub(e, bf(1)), bf(a)), bf(a)), e, bmul(bf(a), e)
		}
		// u = 1 − a(z + a), f = −log(u)/a, f' = 1/u, f'' = a/u².
		w := bneg(bmul(bf(a), badd(z, bf(a)))) // u − 1
		u := badd(bf(1), w)
		f = bquo(bneg(blog1p(w)), bf(a))
		f1 = bquo(bf(1), u)
		return f, f1, bmul(bf(a), bmul(f1, f1))
	}
}

// symGrid returns 0 and ±p for every p.
func symGrid(ps ...float64) []float64 {
	out := []float64{0}
	for _, p := range ps {
		out = append(out, p, -p)
	}
	return out
}

// sigmoidTails spans the logistic/softplus range [−745, 745]: the far
// tails, where σ' is subnormal (745, skipped by the normal-range rule), the
// edge of expTable's range (708), mid values and tiny ones.
var sigmoidTails = symGrid(745, 744.4, 740, 720, 710, 709.7, 709, 708.4, 708, 707.9, 700, 650, 600, 500, 400, 355, 354, 300, 200, 100,
	60, 50, 45, 40, 37, 36, 30, 25, 20, 19, 17, 15, 10, 7, 5, 3, 2, 1.5, 1, 0.75, 0.5, 0.25, 0.1, 1e-3, 1e-6, 1e-9, 1e-15, 1e-300)

var tanhTails = symGrid(350, 349, 340, 330, 300, 250, 200, 175, 150, 100, 50, 40, 30, 20, 19, 18, 15, 10, 7, 5, 3, 2, 1.5, 1,
	0.75, 0.5, 0.25, 0.1, 1e-3, 1e-6, 1e-9, 1e-15, 1e-300)

var wideGrid = symGrid(1e150, 1e100, 1e30, 1e10, 1e5, 1000, 745, 700, 300, 100, 30, 10, 5, 2, 1, 0.5, 0.1, 1e-3, 1e-8, 1e-100)

// TestTailDerivativesOnGraph is the graph-path check of issue 8.1: for a
// 1×1 network h = f(w·1) with the l2 loss (y − h)², Program.Grad, HVP,
// GaussNewton, Hessian and GaussNewtonMatrix must equal the closed forms
//
//	∇f = 2(h − y)f'(w),  ∇²f = 2(f'(w)² + (h − y)f''(w)),  G = 2f'(w)²
//
// evaluated in 320-bit arithmetic to a relative error ≤ 1e-12, at every grid
// point where the true value is a normal float64. The target
// y = h̃ − 1 − |h̃| (h̃ = Eval(w), a float64) keeps h − y ≥ 1 so the residual
// itself never cancels; what is tested is the activation's derivatives.
func TestTailDerivativesOnGraph(t *testing.T) {
	cases := []struct {
		f    Func
		ref  refFunc
		grid []float64
	}{
		{Logistic(), refLogistic, sigmoidTails},
		{Tanh(), refTanh, tanhTails},
		{Softplus(), refSoftplus, sigmoidTails},
		{Identity(), refLeaky(1), wideGrid},
		{ReLU(), refLeaky(0), wideGrid},
		{LeakyReLU(0.01), refLeaky(0.01), wideGrid},
		{ELU(1), refELU(1, 1), append(symGrid(740, 720, 708.5, 708, 600, 40, 37, 20), wideGrid...)},
		{ELU(0.5), refELU(0.5, 1), append(symGrid(708, 600, 40), wideGrid...)},
		{SELU(), refELU(SELUAlpha, SELULambda), append(symGrid(708, 600, 40, 37, 20), wideGrid...)},
		{ISRU(1), refISRU(1, false), wideGrid},
		{ISRU(0.3), refISRU(0.3, false), wideGrid},
		{ISRLU(1), refISRLU1(), wideGrid},
		{BentIdentity(), refBent, wideGrid},
		{SoftExponential(0.5), refSoftExp(0.5), symGrid(1400, 1000, 700, 100, 40, 10, 1, 1e-3, 1e-9)},
		{SoftExponential(-0.5), refSoftExp(-0.5), []float64{-2.2, -2, -1, -0.5, 0, 0.5, 1, 10, 1e3, 1e10, 1e100, 1e300}},
	}
	for _, c := range cases {
		t.Run(c.f.String(), func(t *testing.T) {
			net, err := graph.New(1, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				return Dense(b, "W", 1, x, c.f), b.Err()
			}, l2{})
			require.NoError(t, err)
			p, err := net.Program(1)
			require.NoError(t, err)
			checked := map[string]int{}
			for _, w := range c.grid {
				hf := c.f.Eval(w)
				y := hf - 1 - math.Abs(hf)
				if math.IsInf(y, 0) || math.IsNaN(y) {
					continue // the value itself overflows: nothing to differentiate
				}
				require.NoError(t, p.SetBatch([]float64{1}, []float64{y}))
				require.NoError(t, p.SetWeights(graph.Weights{{w}}))
				f, f1, f2 := c.ref(bf(w))
				res := bsub(f, bf(y)) // h − y
				want := map[string]*big.Float{
					"Grad":              bmul(bf(2), bmul(res, f1)),
					"HVP":               bmul(bf(2), badd(bmul(f1, f1), bmul(res, f2))),
					"GaussNewton":       bmul(bf(2), bmul(f1, f1)),
					"Hessian":           nil, // = HVP
					"GaussNewtonMatrix": nil, // = GaussNewton
				}
				want["Hessian"], want["GaussNewtonMatrix"] = want["HVP"], want["GaussNewton"]
				got := map[string]float64{}
				buf := []float64{0}
				require.NoError(t, p.Grad(0, buf))
				got["Grad"] = buf[0]
				require.NoError(t, p.HVP(0, []float64{1}, buf))
				got["HVP"] = buf[0]
				require.NoError(t, p.GaussNewton(0, []float64{1}, buf))
				got["GaussNewton"] = buf[0]
				require.NoError(t, p.Hessian(0, buf))
				got["Hessian"] = buf[0]
				require.NoError(t, p.GaussNewtonMatrix(0, buf))
				got["GaussNewtonMatrix"] = buf[0]
				for name, wb := range want {
					wf, _ := wb.Float64()
					if wf == 0 || math.IsInf(wf, 0) || math.Abs(wf) < 0x1p-1022 {
						continue // zero, or not a normal float64
					}
					checked[name]++
					rel := math.Abs(got[name]-wf) / math.Abs(wf)
					assert.LessOrEqualf(t, rel, 1e-12, "%s at w = %v: got %v, want %v (relative error %.3g)", name, w, got[name], wf, rel)
				}
			}
			for _, name := range []string{"Grad", "HVP", "GaussNewton", "Hessian", "GaussNewtonMatrix"} {
				// Every quantity is compared at most of the grid (the
				// rest is zero or outside the normal range).
				assert.GreaterOrEqualf(t, checked[name], len(c.grid)/3, "%s compared at only %d of %d points", name, checked[name], len(c.grid))
			}
		})
	}
}

func refISRLU1() refFunc { return refISRU(1, true) }

// TestTailsIssueExamples pins the numbers of issue 8.1 for the l2 network
// h = σ(w) with target 0 (and tanh): the gradient 2σ(w)σ'(w) is no longer 0
// at w = 37, and tanh's is right at w = 19.
func TestTailsIssueExamples(t *testing.T) {
	for _, c := range []struct {
		f   Func
		ref refFunc
		w   float64
	}{
		{Logistic(), refLogistic, 20}, {Logistic(), refLogistic, 30}, {Logistic(), refLogistic, 37},
		{Logistic(), refLogistic, 700}, {Tanh(), refTanh, 19}, {Tanh(), refTanh, 300},
	} {
		t.Run(fmt.Sprintf("%s/%v", c.f, c.w), func(t *testing.T) {
			net, err := graph.New(1, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				return Dense(b, "W", 1, x, c.f), b.Err()
			}, l2{})
			require.NoError(t, err)
			p, err := net.Program(1)
			require.NoError(t, err)
			require.NoError(t, p.SetBatch([]float64{1}, []float64{0}))
			require.NoError(t, p.SetWeights(graph.Weights{{c.w}}))
			g := []float64{0}
			require.NoError(t, p.Grad(0, g))
			f, f1, _ := c.ref(bf(c.w))
			want, _ := bmul(bf(2), bmul(f, f1)).Float64()
			assert.InEpsilon(t, want, g[0], 1e-12)
		})
	}
}

// TestLogisticForwardTail: σ is no longer clamped at −708: it follows e^x
// into the subnormal range (σ(−720) = 2.1e-313, σ(−745) = 5e-324) and is 0
// below, both in Eval and in the graph's σ node.
func TestLogisticForwardTail(t *testing.T) {
	xs := []float64{-1e4, -800, -746, -745, -744, -730, -720, -709, -708.5, -708, -707, -700, -600}
	got := applyValues(t, Logistic(), xs)
	for i, x := range xs {
		s, _, _ := refLogistic(bf(x))
		want, _ := s.Float64()
		assert.Equalf(t, math.Float64bits(Logistic().Eval(x)), math.Float64bits(got[i]), "Eval and graph at %v", x)
		if want >= 0x1p-1022 {
			assert.InEpsilonf(t, want, got[i], 1e-15, "σ(%v)", x)
		} else {
			// Subnormal or zero: within half a unit of the subnormal grid
			// (math.Exp's rounding).
			assert.InDeltaf(t, want, got[i], 5e-324, "σ(%v)", x)
		}
	}
	assert.Equal(t, 5e-324, Logistic().Eval(-745))
	assert.Equal(t, 0.0, Logistic().Eval(-800))
}

// TestTailDerivativesTwoLayers runs the tails through a hidden layer:
// h = f(w₂·f(w₁·1)) with the l2 loss, so the hidden σ' node (built from the
// hidden output that also feeds layer 2) and the output's σ' both sit on the
// gradient path. Against 320-bit closed forms, per block j, with
// a = f(w₁), z₂ = w₂·a, r = h − y, J₁ = f'(z₂)·w₂·f'(w₁), J₂ = f'(z₂)·a:
//
//	∇₁ = 2r·J₁,  ∇²₁ = 2[J₁² + r(f''(z₂)(w₂f'(w₁))² + f'(z₂)w₂f''(w₁))],  G₁ = 2J₁²
//	∇₂ = 2r·J₂,  ∇²₂ = 2[J₂² + r·f''(z₂)a²],                              G₂ = 2J₂²
func TestTailDerivativesTwoLayers(t *testing.T) {
	cases := []struct {
		f     Func
		ref   refFunc
		pairs [][2]float64 // (w₁, w₂)
	}{
		{Logistic(), refLogistic, [][2]float64{{30, 0.7}, {-30, 0.7}, {40, -3}, {-300, 2}, {700, 0.5}, {-700, 1.5}, {0.5, 700}, {-0.5, -700},
			{1, 300}, {20, 40}, {-20, 40}, {37, -37}, {0, 0}, {0, 1}, {1e-9, 1}}},
		{Tanh(), refTanh, [][2]float64{{19, 0.7}, {-19, 0.7}, {40, -3}, {-300, 2}, {340, 0.5}, {0.5, 340}, {-0.5, -300}, {1, 100}, {20, 30}, {0, 1}, {1e-9, 1}}},
		{Softplus(), refSoftplus, [][2]float64{{30, 0.7}, {-30, 0.7}, {-300, 2}, {-700, 1.5}, {0.5, -700}, {0.5, 700}, {1, 300}, {-20, 40}, {0, 0}, {0, 1}}},
	}
	for _, c := range cases {
		t.Run(c.f.String(), func(t *testing.T) {
			net, err := graph.New(1, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				h := Dense(b, "W1", 1, x, c.f)
				return Dense(b, "W2", 1, h, c.f), b.Err()
			}, l2{})
			require.NoError(t, err)
			p, err := net.Program(1)
			require.NoError(t, err)
			checked := 0
			for _, w := range c.pairs {
				w1, w2 := w[0], w[1]
				hf := c.f.Eval(w2 * c.f.Eval(w1))
				y := hf - 1 - math.Abs(hf)
				require.NoError(t, p.SetBatch([]float64{1}, []float64{y}))
				require.NoError(t, p.SetWeights(graph.Weights{{w1}, {w2}}))

				a, d1, dd1 := c.ref(bf(w1))
				// z₂ as the graph forms it: the float64 product of w₂ and a.
				af, _ := a.Float64()
				h, d2, dd2 := c.ref(bf(w2 * af))
				r := bsub(h, bf(y))
				two, bw2 := bf(2), bf(w2)
				j1 := bmul(d2, bmul(bw2, d1))
				j2 := bmul(d2, bf(af))
				w2d1 := bmul(bw2, d1)
				want := [2]map[string]*big.Float{
					{
						"Grad": bmul(two, bmul(r, j1)),
						"HVP":  bmul(two, badd(bmul(j1, j1), bmul(r, badd(bmul(dd2, bmul(w2d1, w2d1)), bmul(d2, bmul(bw2, dd1)))))),
						"GN":   bmul(two, bmul(j1, j1)),
					},
					{
						"Grad": bmul(two, bmul(r, j2)),
						"HVP":  bmul(two, badd(bmul(j2, j2), bmul(r, bmul(dd2, bmul(bf(af), bf(af)))))),
						"GN":   bmul(two, bmul(j2, j2)),
					},
				}
				for j := 0; j < 2; j++ {
					buf := []float64{0}
					got := map[string][]float64{}
					require.NoError(t, p.Grad(j, buf))
					got["Grad"] = []float64{buf[0]}
					require.NoError(t, p.HVP(j, []float64{1}, buf))
					got["HVP"] = []float64{buf[0]}
					require.NoError(t, p.Hessian(j, buf))
					got["HVP"] = append(got["HVP"], buf[0])
					require.NoError(t, p.GaussNewton(j, []float64{1}, buf))
					got["GN"] = []float64{buf[0]}
					require.NoError(t, p.GaussNewtonMatrix(j, buf))
					got["GN"] = append(got["GN"], buf[0])
					for name, wb := range want[j] {
						wf, _ := wb.Float64()
						if wf == 0 || math.IsInf(wf, 0) || math.Abs(wf) < 0x1p-1022 {
							continue
						}
						checked++
						for _, g := range got[name] {
							rel := math.Abs(g-wf) / math.Abs(wf)
							assert.LessOrEqualf(t, rel, 1e-12, "block %d %s at w = (%v, %v): got %v, want %v (relative error %.3g)", j+1, name, w1, w2, g, wf, rel)
						}
					}
				}
			}
			assert.GreaterOrEqual(t, checked, 3*len(c.pairs), "too few comparisons")
		})
	}
}

// TestLogisticDerivMatchesGraphNode: Func.Deriv(x, 1) is bit for bit the
// graph's σ' node, as its documentation promises.
func TestLogisticDerivMatchesGraphNode(t *testing.T) {
	xs := append([]float64(nil), sigmoidTails...)
	y, d := make([]float64, len(xs)), make([]float64, len(xs))
	sigmoidOp{partValue}.Compute(y, xs)
	sigmoidOp{partDeriv}.Compute(d, xs, y)
	for i, x := range xs {
		assert.Equalf(t, math.Float64bits(Logistic().Eval(x)), math.Float64bits(y[i]), "σ(%v)", x)
		assert.Equalf(t, math.Float64bits(Logistic().Deriv(x, 1)), math.Float64bits(d[i]), "σ'(%v)", x)
	}
}

// TestLogisticDerivError: the graph's σ' node (y·(1 − y) up to x = 3,
// e^{−x}·y² beyond) keeps a relative error below 1e-14 against the 320-bit
// σ' on a dense grid, densest around the switch at 3, where y·(1 − y) is
// at its least accurate, and out to the far tails.
func TestLogisticDerivError(t *testing.T) {
	var xs []float64
	for x := -40.0; x <= 40; x += 1.0 / 64 {
		xs = append(xs, x)
	}
	for i := -2000; i <= 2000; i++ {
		xs = append(xs, logisticDerivThreshold+float64(i)*1e-6, math.Nextafter(logisticDerivThreshold, float64(i)))
	}
	xs = append(xs, sigmoidTails...)
	y, d := make([]float64, len(xs)), make([]float64, len(xs))
	sigmoidOp{partValue}.Compute(y, xs)
	sigmoidOp{partDeriv}.Compute(d, xs, y)
	worst, at := 0.0, 0.0
	for i, x := range xs {
		_, want, _ := bsigmoid(bf(x))
		wf, _ := want.Float64()
		if wf < 0x1p-1022 { // subnormal or zero: only the normal range is promised
			continue
		}
		rel := math.Abs(d[i]-wf) / wf
		if rel > worst {
			worst, at = rel, x
		}
	}
	assert.LessOrEqualf(t, worst, 1e-14, "worst relative error of σ' is %.3g at x = %v", worst, at)
	t.Logf("worst relative error of σ' over %d points: %.3g at x = %v", len(xs), worst, at)
}

package losses

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/fdcheck"
	"github.com/bsum-go/bsum/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const eps64 = 0x1p-52

// smceCase is a d×B logit matrix and one-hot targets.
type smceCase struct {
	name string
	rows int
	h, y []float64
}

func smceCases() []smceCase {
	rng := rand.New(rand.NewPCG(21, 4))
	random := func(name string, rows, cols int, scale float64) smceCase {
		h := randn(rng, rows*cols)
		for i := range h {
			h[i] *= scale
		}
		return smceCase{name: name, rows: rows, h: h, y: oneHot(rng, rows, cols)}
	}
	return []smceCase{
		random("random-3x7", 3, 7, 2),
		random("random-10x5", 10, 5, 5),
		random("wide-logits-4x6", 4, 6, 300),
		// Columns: label on the max (margin 40), label off the max
		// (margin 40), a tie, all equal.
		{name: "confident", rows: 3,
			h: []float64{40, 0, 7, 3, 0, 40, 7, 3, 0, 0, -1e-3, 3},
			y: []float64{1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0}},
		// ±1e4 with gaps of 1e3: exp(−1000) and exp(−2e4) underflow.
		{name: "extreme", rows: 3,
			h: []float64{1e4, -1e4, 1e4, -1e4, 1e4 - 1e3, -1e4 + 1e3, 9000, 1e4, -1e4, 1e4, 1e4 - 1e3, 1e4},
			y: []float64{1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0}},
		// Gaps of 30 to 700: tiny but representable probabilities.
		{name: "tails", rows: 3,
			h: []float64{700, -350, 30, 1e4, 0, 0, 0, 1e4 - 700, -700, 30, 1, 1e4 - 30},
			y: []float64{0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0}},
		{name: "one-class", rows: 1, h: []float64{3, -1e4, 0}, y: []float64{1, 1, 1}},
	}
}

// span is max |hᵢ − m| over the column's finite-probability entries: the
// relative condition number of exp(hᵢ − m), which bounds what any float64
// evaluation of s can achieve.
func span(h []float64, rows, cols, n int) float64 {
	_, m := colArgmax(h, rows, cols, n)
	var w float64
	for i := 0; i < rows; i++ {
		if d := m - h[i*cols+n]; d < 746 {
			w = math.Max(w, d)
		}
	}
	return w
}

// assertElementwise checks |got − want| ≤ tol[i] for every entry.
func assertElementwise(t *testing.T, what string, got, want, tol []float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.LessOrEqual(t, math.Abs(got[i]-want[i]), tol[i], "%s[%d]: got %v want %v", what, i, got[i], want[i])
		assert.False(t, math.IsNaN(got[i]) || math.IsInf(got[i], 0), "%s[%d] = %v", what, i, got[i])
	}
}

// gradTol is the elementwise bound for the gradient: relative accuracy
// 16·eps·(1 + span) of every component, including the tiny ones.
func gradTol(c smceCase, want []float64) []float64 {
	cols := len(c.h) / c.rows
	tol := make([]float64, len(want))
	for i := range tol {
		tol[i] = 16*eps64*(1+span(c.h, c.rows, cols, i%cols))*math.Abs(want[i]) + 1e-320
	}
	return tol
}

// hessTol bounds ∇²ℓ·A entry by entry: s accurate to 16·eps·(1+span), and
// sᵢ times the rounding of (aᵢ − aₖ) + Σ_{j≠k} sⱼ(aₖ − aⱼ), which for the
// dominant class k is as small as the correct value (no cancellation
// against 1 − sₖ is allowed).
func hessTol(c smceCase, r bigSoftmax, a, want []float64) []float64 {
	rows, cols := c.rows, len(c.h)/c.rows
	tol := make([]float64, len(want))
	for n := 0; n < cols; n++ {
		k, _ := colArgmax(c.h, rows, cols, n)
		ak := a[k*cols+n]
		var d float64
		for j := 0; j < rows; j++ {
			if j != k {
				d += f64(r.s[j*cols+n]) * math.Abs(ak-a[j*cols+n])
			}
		}
		w := 1 + span(c.h, rows, cols, n)
		for i := 0; i < rows; i++ {
			j := i*cols + n
			si := f64(r.s[j])
			tol[j] = 16*eps64*w*math.Abs(want[j]) + 16*eps64*float64(rows)*si*(math.Abs(a[j]-ak)+d)/float64(cols) + 1e-320
		}
	}
	return tol
}

// TestSoftmaxCEAgainstBigFloat: value, gradient, HVP, Gauss-Newton
// product, explicit Hessian and Gauss-Newton matrix through the graph
// (H = W·I, so ∇_W f = ∇_H ℓ and both matrices are ∇²_H ℓ) against the
// 200-bit reference, on random, confident and extreme logits.
func TestSoftmaxCEAgainstBigFloat(t *testing.T) {
	for _, c := range smceCases() {
		t.Run(c.name, func(t *testing.T) {
			rows, cols := c.rows, len(c.h)/c.rows
			ref := newBigSoftmax(c.h, c.y, rows, cols)
			p := identityProgram(t, SoftmaxCrossEntropy(), rows, cols)
			bindIdentity(t, p, c.h, c.y)

			f, err := p.DataLoss()
			require.NoError(t, err)
			want := f64(ref.value)
			assert.InDelta(t, want, f, 8*eps64*math.Abs(want)+1e-320, "value")

			g := make([]float64, len(c.h))
			require.NoError(t, p.Grad(0, g))
			wg := f64s(ref.grad(c.y))
			assertElementwise(t, "gradient", g, wg, gradTol(c, wg))

			rng := rand.New(rand.NewPCG(9, uint64(len(c.h))))
			v := randn(rng, len(c.h))
			wh := f64s(ref.hess(bigs(v)))
			tol := hessTol(c, ref, v, wh)
			hv := make([]float64, len(v))
			require.NoError(t, p.HVP(0, v, hv))
			assertElementwise(t, "HVP", hv, wh, tol)
			gn := make([]float64, len(v))
			require.NoError(t, p.GaussNewton(0, v, gn))
			assertElementwise(t, "Gauss-Newton", gn, wh, tol)

			// Explicit matrices: column l is ∇²ℓ·e_l (symmetrised).
			np := len(c.h)
			hess := make([]float64, np*np)
			gnm := make([]float64, np*np)
			require.NoError(t, p.Hessian(0, hess))
			require.NoError(t, p.GaussNewtonMatrix(0, gnm))
			for l := 0; l < np; l++ {
				e := unit(np, l)
				wl := f64s(ref.hess(bigs(e)))
				tl := hessTol(c, ref, e, wl)
				gotH := make([]float64, np)
				gotG := make([]float64, np)
				for i := 0; i < np; i++ {
					gotH[i], gotG[i] = hess[i*np+l], gnm[i*np+l]
					if i != l { // symmetrised: (i,l) and (l,i) averaged
						tl[i] *= 2
					}
				}
				assertElementwise(t, "Hessian column", gotH, wl, tl)
				assertElementwise(t, "Gauss-Newton matrix column", gotG, wl, tl)
			}
		})
	}
}

// TestSoftmaxCEOpDerivatives: every member of the fused family against the
// reference, evaluated by Do: the value, the gradient, the Hessian product
// and the third derivative ∇_H⟨G, ∇²ℓ·A⟩.
func TestSoftmaxCEOpDerivatives(t *testing.T) {
	for _, c := range smceCases() {
		t.Run(c.name, func(t *testing.T) {
			rows, cols := c.rows, len(c.h)/c.rows
			ref := newBigSoftmax(c.h, c.y, rows, cols)
			mat := func(x []float64) G.Value {
				return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float64(nil), x...)))
			}
			do := func(k smceKind, in ...[]float64) G.Value {
				vals := make([]G.Value, len(in))
				for i, x := range in {
					vals[i] = mat(x)
				}
				out, err := smceOp{kind: k, rows: rows, scale: 1 / float64(cols)}.Do(vals...)
				require.NoError(t, err)
				return out
			}
			val := do(smceValue, c.h, c.y)
			require.IsType(t, (*G.F64)(nil), val)
			want := f64(ref.value)
			assert.InDelta(t, want, float64(*val.(*G.F64)), 8*eps64*math.Abs(want)+1e-320)

			wg := f64s(ref.grad(c.y))
			assertElementwise(t, "gradient", do(smceGrad, c.h, c.y).Data().([]float64), wg, gradTol(c, wg))

			rng := rand.New(rand.NewPCG(5, uint64(len(c.h))))
			a, gv := randn(rng, len(c.h)), randn(rng, len(c.h))
			wh := f64s(ref.hess(bigs(a)))
			assertElementwise(t, "hess", do(smceHess, c.h, a).Data().([]float64), wh, hessTol(c, ref, a, wh))

			w3 := f64s(ref.third(bigs(gv), bigs(a)))
			got3 := do(smceThird, c.h, gv, a).Data().([]float64)
			// Norm-wise per column: the third derivative is the end of the
			// chain, not a quantity solvers need to tail precision.
			for n := 0; n < cols; n++ {
				var scale float64
				for i := 0; i < rows; i++ {
					j := i*cols + n
					scale = math.Max(scale, math.Abs(gv[j])*math.Abs(a[j])+math.Abs(gv[j])+math.Abs(a[j]))
				}
				for i := 0; i < rows; i++ {
					j := i*cols + n
					assert.InDelta(t, w3[j], got3[j], 64*eps64*(1+span(c.h, rows, cols, n))*(math.Abs(w3[j])+scale*f64(ref.s[j]))/float64(cols)+1e-320, "third[%d]", j)
				}
			}
		})
	}
}

// TestSoftmaxCESymDiff differentiates the fused loss three times with
// Gorgonia's own machinery (the ops' SymDiff, evaluated by a tape machine)
// and checks each result against the reference: the value's adjoint,
// the gradient's (∇²ℓ times the adjoint), and both operands of the Hessian
// product's (the third derivative for H, ∇²ℓ times the adjoint for A).
func TestSoftmaxCESymDiff(t *testing.T) {
	c := smceCases()[1]
	rows, cols := c.rows, len(c.h)/c.rows
	ref := newBigSoftmax(c.h, c.y, rows, cols)
	rng := rand.New(rand.NewPCG(8, 8))
	a, adj := randn(rng, len(c.h)), randn(rng, len(c.h))
	g := G.NewGraph()
	in := func(name string, x []float64) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float64(nil), x...)))))
	}
	h, y, an, gn := in("H", c.h), in("Y", c.y), in("A", a), in("Adj", adj)
	seed := G.NewScalar(g, tensor.Float64, G.WithName("seed"), G.WithValue(2.5))

	loss, err := softmaxCE(h, y, 1/float64(cols))
	require.NoError(t, err)
	op := loss.Op().(smceOp)
	assert.Equal(t, []bool{true, false}, op.DiffWRT(2))
	d1, err := op.SymDiff(G.Nodes{h, y}, loss, seed)
	require.NoError(t, err)
	require.Nil(t, d1[1], "Y is data")
	gradNode, err := G.ApplyOp(op.next(smceGrad), h, y)
	require.NoError(t, err)
	d2, err := op.next(smceGrad).SymDiff(G.Nodes{h, y}, gradNode, gn)
	require.NoError(t, err)
	hessNode, err := G.ApplyOp(op.next(smceHess), h, an)
	require.NoError(t, err)
	d3, err := op.next(smceHess).SymDiff(G.Nodes{h, an}, hessNode, gn)
	require.NoError(t, err)
	thirdNode, err := G.ApplyOp(op.next(smceThird), h, gn, an)
	require.NoError(t, err)
	_, err = op.next(smceThird).SymDiff(G.Nodes{h, gn, an}, thirdNode, gn)
	assert.ErrorContains(t, err, "fourth derivative")

	m := G.NewTapeMachine(g)
	defer m.Close()
	require.NoError(t, m.RunAll())
	val := func(n *G.Node) []float64 { return n.Value().Data().([]float64) }

	wg := f64s(ref.grad(c.y))
	for i := range wg {
		wg[i] *= 2.5
	}
	assert.Less(t, relErr(val(d1[0]), wg), 1e-14, "d/dH value")
	wh := f64s(ref.hess(bigs(adj)))
	assert.Less(t, relErr(val(d2[0]), wh), 1e-14, "d/dH gradient")
	assert.Less(t, relErr(val(d3[1]), wh), 1e-14, "d/dA Hessian product")
	assert.Less(t, relErr(val(d3[0]), f64s(ref.third(bigs(adj), bigs(a)))), 1e-13, "d/dH Hessian product")
}

// TestSoftmaxCEFiniteDifferences: a 4 → 5 (tanh) → 3 (linear) network of
// layers.Dense and layers.Linear into the loss; gradients and HVPs of both
// blocks against internal/fdcheck, and the Gauss-Newton product of the
// output block (where it equals the block Hessian: the output is linear in
// that block and the loss convex) against the HVP.
func TestSoftmaxCEFiniteDifferences(t *testing.T) {
	const B = 6
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		z := layers.Dense(b, "W1", 5, x, layers.Tanh(), layers.WithBias())
		h := layers.Linear(b, "W2", 3, z, layers.WithBias())
		return h, b.Err()
	}
	net, err := graph.New(4, build, SoftmaxCrossEntropy())
	require.NoError(t, err)
	p, err := net.Program(B)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(17, 2))
	w := net.Init(rng)
	for j := range w {
		for i := range w[j] {
			w[j][i] *= 2
		}
	}
	require.NoError(t, p.SetBatch(randn(rng, 4*B), oneHot(rng, 3, B)))
	require.NoError(t, p.SetWeights(w))
	for j := range w {
		n := len(w[j])
		g := gradient(t, p, w, j)
		fd, err := fdcheck.Grad(p, w, j, 1e-5)
		require.NoError(t, err)
		assert.Less(t, relErr(g, fd), 1e-8, "block %d gradient", j)

		v := randn(rng, n)
		hv := make([]float64, n)
		require.NoError(t, p.SetWeights(w))
		require.NoError(t, p.HVP(j, v, hv))
		fd, err = fdcheck.HVP(p, w, j, v, 1e-5)
		require.NoError(t, err)
		assert.Less(t, relErr(hv, fd), 1e-7, "block %d HVP", j)
		if net.Blocks()[j].Name == "W2" {
			gv := make([]float64, n)
			require.NoError(t, p.GaussNewton(j, v, gv))
			assert.Less(t, relErr(gv, hv), 1e-13, "output block: Gauss-Newton = Hessian")
		}
	}
}

// TestSoftmaxCELinearModel: H = W·X (layers.Linear) with logits up to
// about ±1e4; gradient, HVP, Gauss-Newton product and matrix of W against
// the reference built from the program's own H: ∇_W = (S − Y)Xᵀ/B and
// ∇²_W·V = Σₙ Mₙ(V xₙ)xₙᵀ/B.
func TestSoftmaxCELinearModel(t *testing.T) {
	const d, in, B = 4, 3, 8
	for _, scale := range []float64{1, 30, 3000} {
		t.Run(big.NewFloat(scale).String(), func(t *testing.T) {
			net, err := graph.New(in, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				return layers.Linear(b, "W", d, x), b.Err()
			}, SoftmaxCrossEntropy())
			require.NoError(t, err)
			p, err := net.Program(B)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(3, uint64(scale)))
			w := graph.Weights{randn(rng, d*in)}
			for i := range w[0] {
				w[0][i] *= scale
			}
			x, y := randn(rng, in*B), oneHot(rng, d, B)
			require.NoError(t, p.SetBatch(x, y))
			h := output(t, p, w)
			require.True(t, allFinite(h))
			ref := newBigSoftmax(h, y, d, B)

			f, err := p.DataLoss()
			require.NoError(t, err)
			assert.InDelta(t, f64(ref.value), f, 1e-14*math.Abs(f64(ref.value)))

			// times Xᵀ: (d×B)(B×in) in big precision.
			timesXT := func(u []*big.Float) []float64 {
				out := make([]float64, d*in)
				for r := 0; r < d; r++ {
					for c := 0; c < in; c++ {
						s := newBig(0)
						for n := 0; n < B; n++ {
							s.Add(s, new(big.Float).SetPrec(bigPrec).Mul(u[r*B+n], newBig(x[c*B+n])))
						}
						out[r*in+c] = f64(s)
					}
				}
				return out
			}
			// V·X in big precision.
			vx := func(v []float64) []*big.Float {
				out := make([]*big.Float, d*B)
				for r := 0; r < d; r++ {
					for n := 0; n < B; n++ {
						s := newBig(0)
						for c := 0; c < in; c++ {
							s.Add(s, new(big.Float).SetPrec(bigPrec).Mul(newBig(v[r*in+c]), newBig(x[c*B+n])))
						}
						out[r*B+n] = s
					}
				}
				return out
			}
			g := make([]float64, d*in)
			require.NoError(t, p.Grad(0, g))
			assert.Less(t, relErr(g, timesXT(ref.grad(y))), 1e-13, "gradient %v", g)

			v := randn(rng, d*in)
			want := timesXT(ref.hess(vx(v)))
			hv, gv := make([]float64, d*in), make([]float64, d*in)
			require.NoError(t, p.HVP(0, v, hv))
			require.NoError(t, p.GaussNewton(0, v, gv))
			if norm(want) == 0 {
				assert.Zero(t, norm(hv))
				assert.Zero(t, norm(gv))
			} else {
				assert.Less(t, relErr(hv, want), 1e-12, "HVP %v want %v", hv, want)
				assert.Less(t, relErr(gv, want), 1e-12, "Gauss-Newton %v want %v", gv, want)
			}
			np := d * in
			gnm := make([]float64, np*np)
			require.NoError(t, p.GaussNewtonMatrix(0, gnm))
			wantM := make([]float64, np*np)
			for l := 0; l < np; l++ {
				col := timesXT(ref.hess(vx(unit(np, l))))
				for i := range col {
					wantM[i*np+l] = col[i]
				}
			}
			assert.LessOrEqual(t, maxAbsDiff(gnm, wantM), 1e-12*math.Max(maxAbs(wantM), 1e-300), "Gauss-Newton matrix")
			// The output is linear in W and the loss convex: the block
			// Hessian is the Gauss-Newton matrix.
			hess := make([]float64, np*np)
			require.NoError(t, p.Hessian(0, hess))
			assert.LessOrEqual(t, maxAbsDiff(hess, wantM), 1e-12*math.Max(maxAbs(wantM), 1e-300), "Hessian")
		})
	}
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestSoftmaxCEFusedVersusUnfused: on a confidently correct column the
// unfused form m + log S − yᵀh rounds the loss and the label's gradient
// 1 − s to zero; the fused op keeps them to full precision.
func TestSoftmaxCEFusedVersusUnfused(t *testing.T) {
	c := smceCase{rows: 3, h: []float64{40, 50, 0, 10, 0, 0}, y: []float64{1, 1, 0, 0, 0, 0}}
	ref := newBigSoftmax(c.h, c.y, 3, 2)
	wantG := f64s(ref.grad(c.y))
	for _, tc := range []struct {
		name  string
		loss  graph.Loss
		exact bool
	}{
		{"fused", SoftmaxCrossEntropy(), true},
		{"unfused", unfusedSoftmaxCE{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := identityProgram(t, tc.loss, 3, 2)
			bindIdentity(t, p, c.h, c.y)
			f, err := p.DataLoss()
			require.NoError(t, err)
			g := make([]float64, 6)
			require.NoError(t, p.Grad(0, g))
			valErr := math.Abs(f-f64(ref.value)) / f64(ref.value)
			gErr := math.Abs(g[0]-wantG[0]) / math.Abs(wantG[0])
			if tc.exact {
				assert.Less(t, valErr, 4*eps64, "value %v want %v", f, f64(ref.value))
				assert.Less(t, gErr, 8*eps64, "label gradient %v want %v", g[0], wantG[0])
			} else {
				assert.Greater(t, valErr, 0.5, "value %v want %v", f, f64(ref.value))
				assert.Greater(t, gErr, 0.5, "label gradient %v want %v", g[0], wantG[0])
			}
		})
	}
}

// TestSoftmaxCEBuildErrors: the op refuses operands of the wrong shape.
func TestSoftmaxCEBuildErrors(t *testing.T) {
	op := smceOp{kind: smceGrad, rows: 3, scale: 1}
	_, err := op.InferShape(tensor.Shape{2, 4}, tensor.Shape{2, 4})
	assert.ErrorContains(t, err, "3-row")
	_, err = op.InferShape(tensor.Shape{3, 4}, tensor.Shape{3, 5})
	assert.ErrorContains(t, err, "differ")
	_, err = op.Do(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(make([]float64, 6))))
	assert.ErrorContains(t, err, "operands")
	s, err := smceOp{kind: smceValue, rows: 3}.InferShape(tensor.Shape{3, 4}, tensor.Shape{3, 4})
	require.NoError(t, err)
	assert.True(t, s.IsScalar())
}

// BenchmarkSoftmaxCEGrad times one gradient of the loss for a 10×10000 H
// (H = w·xᵀ of a 10×1 block, so the product costs 1e5 flops and the loss
// dominates), fused against the former unfused graph.
func BenchmarkSoftmaxCEGrad(b *testing.B) {
	const d, B = 10, 10000
	for _, bc := range []struct {
		name string
		loss graph.Loss
	}{{"fused", SoftmaxCrossEntropy()}, {"unfused", unfusedSoftmaxCE{}}} {
		b.Run(bc.name, func(b *testing.B) {
			net, err := graph.New(1, func(bl *graph.Builder, x *G.Node) (*G.Node, error) {
				w := bl.Weight("W", d, 1)
				if err := bl.Err(); err != nil {
					return nil, err
				}
				return G.Mul(w, x)
			}, bc.loss)
			require.NoError(b, err)
			p, err := net.Program(B)
			require.NoError(b, err)
			rng := rand.New(rand.NewPCG(1, 1))
			w := graph.Weights{randn(rng, d)}
			for i := range w[0] {
				w[0][i] *= 3
			}
			require.NoError(b, p.SetBatch(randn(rng, B), oneHot(rng, d, B)))
			require.NoError(b, p.SetWeights(w))
			g := make([]float64, d)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Moving W invalidates the loss and its gradient.
				w[0][0] += 1e-9
				if err := p.SetWeights(w); err != nil {
					b.Fatal(err)
				}
				if err := p.Grad(0, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

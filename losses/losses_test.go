package losses

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/fdcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

type gen func(*rand.Rand, int, int) []float64

type lossCase struct {
	name   string
	loss   graph.Loss
	oracle oracle
	out    int                            // dJ of the tiny network
	act    func(*G.Node) (*G.Node, error) // its output activation; nil: linear
	scale  float64                        // multiplies the initial weights
	labels gen                            // targets Y
	hs     gen                            // outputs H for the oracle test
	shape  graph.Shape                    // expected Shape()
}

func sigmoidAct(z *G.Node) (*G.Node, error) { return G.Sigmoid(z) }

func lossCases() []lossCase {
	return []lossCase{
		{name: "l2", loss: L2(), oracle: oracleL2, out: 2, act: sigmoidAct, scale: 1,
			labels: uniform(0, 1), hs: normal(2), shape: graph.Shape{Convex: true}},
		{name: "exponential", loss: Exponential(0.5), oracle: oracleExp(0.5), out: 2, act: sigmoidAct, scale: 1,
			labels: uniform(0, 1), hs: uniform(-0.5, 1.5), shape: graph.Shape{Convex: true}},
		{name: "cross-entropy", loss: CrossEntropy(), oracle: oracleCE, out: 2, act: sigmoidAct, scale: 2,
			labels: softTargets, hs: uniform(0.001, 0.999), shape: graph.Shape{Convex: true}},
		{name: "cross-entropy-with-logits", loss: CrossEntropyWithLogits(), oracle: oracleCELogits, out: 2, scale: 3,
			labels: softTargets, hs: normal(5), shape: graph.Shape{Convex: true}},
		{name: "squared-hinge", loss: SquaredHinge(0.7), oracle: oracleSqHinge(0.7), out: 2, scale: 4,
			labels: signs, hs: normal(1.5), shape: graph.Shape{Convex: true}},
		{name: "logistic", loss: Logistic(), oracle: oracleLogistic, out: 1, scale: 3,
			labels: signs, hs: normal(5), shape: graph.Shape{Convex: true}},
		{name: "logistic-3-rows", loss: Logistic(), oracle: oracleLogistic, out: 3, scale: 3,
			labels: signs, hs: normal(3), shape: graph.Shape{Convex: true}},
		{name: "softmax-cross-entropy", loss: SoftmaxCrossEntropy(), oracle: oracleSoftmaxCE, out: 3, scale: 3,
			labels: oneHot, hs: normal(5), shape: graph.Shape{Convex: true}},
	}
}

func TestShapeAndName(t *testing.T) {
	for _, c := range lossCases() {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.shape, c.loss.Shape())
			l, err := ByName(c.loss.Name())
			require.NoError(t, err)
			assert.Equal(t, c.loss.Name(), l.Name())
			assert.False(t, c.loss.Shape().NonDecreasing || c.loss.Shape().NonIncreasing,
				"no loss here is monotone in H")
		})
	}
}

// TestOracle compares value and H-gradient with the plain-Go oracle on random
// H and Y, and the oracle's gradient with central differences of its value.
func TestOracle(t *testing.T) {
	const rows, cols = 3, 5
	for _, c := range lossCases() {
		t.Run(c.name, func(t *testing.T) {
			rows := rows
			if c.out == 1 {
				rows = 1
			}
			p := identityProgram(t, c.loss, rows, cols)
			rng := rand.New(rand.NewPCG(7, 1))
			for trial := 0; trial < 5; trial++ {
				h, y := c.hs(rng, rows, cols), c.labels(rng, rows, cols)
				bindIdentity(t, p, h, y)
				f, err := p.DataLoss()
				require.NoError(t, err)
				want := c.oracle.value(h, y, rows, cols)
				assert.InDelta(t, want, f, 1e-12*math.Max(1, math.Abs(want)), "value, trial %d", trial)

				g := make([]float64, len(h))
				require.NoError(t, p.Grad(0, g))
				og := c.oracle.grad(h, y, rows, cols)
				assert.Less(t, relErr(g, og), 1e-12, "gradient, trial %d: got %v want %v", trial, g, og)

				const eps = 1e-6
				fd := make([]float64, len(h))
				for i := range h {
					hp := append([]float64(nil), h...)
					hp[i] += eps
					hm := append([]float64(nil), h...)
					hm[i] -= eps
					fd[i] = (c.oracle.value(hp, y, rows, cols) - c.oracle.value(hm, y, rows, cols)) / (2 * eps)
				}
				assert.Less(t, relErr(og, fd), 1e-7, "oracle gradient vs differences, trial %d", trial)
			}
		})
	}
}

type extremeCase struct {
	name      string
	loss      graph.Loss
	oracle    oracle
	rows      int
	h, y      []float64 // rows×len/rows
	curvature bool      // HVP and Gauss-Newton must be finite too
}

func extremeCases() []extremeCase {
	return []extremeCase{
		{name: "l2", loss: L2(), oracle: oracleL2, rows: 2, curvature: true,
			h: []float64{800, -800, 1e-300, 1e150, 0, -1e150}, y: []float64{0, 1, 0.5, 1, 0, 0.3}},
		{name: "exponential", loss: Exponential(1e7), oracle: oracleExp(1e7), rows: 2, curvature: true,
			h: []float64{800, -800, 1e-300, 0, 800, 1}, y: []float64{0, 1, 0.5, 1, 0, 0.3}},
		{name: "cross-entropy", loss: CrossEntropy(), oracle: oracleCE, rows: 2,
			h: []float64{1e-300, 1e-300, 1 - 1e-16, 1 - 1e-16, 0, 1, 0.5, 1e-16},
			y: []float64{0, 1, 1, 0, 0, 1, 0.5, 0.25}},
		{name: "cross-entropy curvature", loss: CrossEntropy(), oracle: oracleCE, rows: 2, curvature: true,
			h: []float64{1e-150, 1e-150, 1 - 1e-16, 1 - 1e-16, 0, 1, 0.5, 1e-16},
			y: []float64{0, 1, 1, 0, 0, 1, 0.5, 0.25}},
		{name: "cross-entropy-with-logits", loss: CrossEntropyWithLogits(), oracle: oracleCELogits, rows: 2, curvature: true,
			h: []float64{800, -800, 800, -800, 40, -40, 0, 800},
			y: []float64{0, 1, 1, 0, 1, 0, 0.5, 0.5}},
		{name: "squared-hinge", loss: SquaredHinge(1), oracle: oracleSqHinge(1), rows: 2, curvature: true,
			h: []float64{800, -800, 800, -800, 1, 0}, y: []float64{1, 1, -1, -1, 1, -1}},
		{name: "logistic", loss: Logistic(), oracle: oracleLogistic, rows: 1, curvature: true,
			h: []float64{800, -800, 800, -800, 0, 40}, y: []float64{1, 1, -1, -1, 1, -1}},
		{name: "logistic-2-rows", loss: Logistic(), oracle: oracleLogistic, rows: 2, curvature: true,
			h: []float64{800, -800, 800, 1e-300, -800, 800, 800, 0}, y: []float64{1, 1, -1, 1, 1, 1, -1, -1}},
		{name: "softmax-cross-entropy", loss: SoftmaxCrossEntropy(), oracle: oracleSoftmaxCE, rows: 3, curvature: true,
			h: []float64{800, -800, -800, 800, -800, 0, 800, -800, 0, -800, 0, 800},
			y: []float64{1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1}},
	}
}

// TestExtremes: no NaN or Inf for saturated inputs, and the values agree
// with the oracle.
func TestExtremes(t *testing.T) {
	for _, c := range extremeCases() {
		t.Run(c.name, func(t *testing.T) {
			cols := len(c.h) / c.rows
			p := identityProgram(t, c.loss, c.rows, cols)
			bindIdentity(t, p, c.h, c.y)
			f, err := p.DataLoss()
			require.NoError(t, err)
			require.False(t, math.IsNaN(f) || math.IsInf(f, 0), "value %v", f)
			want := c.oracle.value(c.h, c.y, c.rows, cols)
			assert.InDelta(t, want, f, 1e-12*math.Max(1, math.Abs(want)))
			g := make([]float64, len(c.h))
			require.NoError(t, p.Grad(0, g))
			require.True(t, allFinite(g), "gradient %v", g)
			assert.Less(t, relErr(g, c.oracle.grad(c.h, c.y, c.rows, cols)), 1e-12, "gradient %v", g)
			if !c.curvature {
				return
			}
			v := randn(rand.New(rand.NewPCG(3, 1)), len(c.h))
			hv := make([]float64, len(v))
			require.NoError(t, p.HVP(0, v, hv))
			require.True(t, allFinite(hv), "HVP %v", hv)
			gn := make([]float64, len(v))
			require.NoError(t, p.GaussNewton(0, v, gn))
			require.True(t, allFinite(gn), "Gauss-Newton %v", gn)
			// With H = W the block Hessian and Gauss-Newton matrix are both
			// ∇²_H ℓ.
			assert.Less(t, relErr(gn, hv), 1e-12, "GN %v vs HVP %v", gn, hv)
		})
	}
}

// TestTinyNetwork checks a 3 → 4 (sigmoid) → dJ network with every loss:
// gradients against central differences of the objective, Hessian-vector
// products against central differences of the gradient, symmetry of the
// Hessian and Gauss-Newton products, positive semi-definiteness of the
// Gauss-Newton products, an independent finite-difference Gauss-Newton
// product, and the explicit block Hessian against HVPs with unit vectors.
func TestTinyNetwork(t *testing.T) {
	const B = 5
	const lambda = 1e-3
	for _, c := range lossCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 1))
			net := tinyNet(t, c.loss, c.out, c.act, lambda)
			p, err := net.Program(B)
			require.NoError(t, err)
			w := net.Init(rng)
			for j := range w {
				for i := range w[j] {
					w[j][i] *= c.scale
				}
			}
			x := randn(rng, 3*B)
			y := c.labels(rng, c.out, B)
			require.NoError(t, p.SetBatch(x, y))
			require.NoError(t, p.SetWeights(w))
			h0 := output(t, p, w)
			if c.loss.Name() == NameSquaredHinge {
				active, inactive := 0, 0
				for i := range h0 {
					m := 1 - y[i]*h0[i]
					require.Greater(t, math.Abs(m), 1e-3, "a margin sits on the kink; choose another seed")
					if m > 0 {
						active++
					} else {
						inactive++
					}
				}
				require.True(t, active > 0 && inactive > 0, "want both sides of the hinge, got %d active %d inactive", active, inactive)
			}
			for j := range w {
				n := len(w[j])
				// Gradient against central differences.
				g := gradient(t, p, w, j)
				const eps = 1e-5
				fd, err := fdcheck.Grad(p, w, j, eps)
				require.NoError(t, err)
				assert.Less(t, relErr(g, fd), 1e-6, "block %d gradient: got %v want %v", j, g, fd)
				t.Logf("block %d: gradient relative error %.1e", j, relErr(g, fd))

				// HVP against central differences of the gradient.
				require.NoError(t, p.SetWeights(w))
				v := randn(rng, n)
				hv := make([]float64, n)
				require.NoError(t, p.HVP(j, v, hv))
				fd, err = fdcheck.HVP(p, w, j, v, eps)
				require.NoError(t, err)
				assert.Less(t, relErr(hv, fd), 1e-5, "block %d HVP: got %v want %v", j, hv, fd)
				t.Logf("block %d: HVP relative error %.1e", j, relErr(hv, fd))

				// Symmetry of H and G; PSD of G.
				require.NoError(t, p.SetWeights(w))
				u := randn(rng, n)
				hu := make([]float64, n)
				require.NoError(t, p.HVP(j, u, hu))
				require.NoError(t, p.HVP(j, v, hv))
				scale := norm(u)*norm(hv) + norm(v)*norm(hu)
				assert.InDelta(t, dot(u, hv), dot(v, hu), 1e-10*scale, "block %d ⟨U,HV⟩ vs ⟨V,HU⟩", j)
				gu := make([]float64, n)
				gv := make([]float64, n)
				require.NoError(t, p.GaussNewton(j, u, gu))
				require.NoError(t, p.GaussNewton(j, v, gv))
				scale = norm(u)*norm(gv) + norm(v)*norm(gu)
				assert.InDelta(t, dot(u, gv), dot(v, gu), 1e-10*scale, "block %d ⟨U,GV⟩ vs ⟨V,GU⟩", j)
				for k := 0; k < 5; k++ {
					r := randn(rng, n)
					gr := make([]float64, n)
					require.NoError(t, p.GaussNewton(j, r, gr))
					assert.GreaterOrEqual(t, dot(r, gr), -1e-12*norm(r)*norm(gr), "block %d ⟨V,GV⟩", j)
				}

				// Gauss-Newton against Jᵀ (∇²_H ℓ) J V + 2λV, all by differences.
				want := fdGaussNewton(t, p, c.oracle, w, j, v, y, lambda)
				require.NoError(t, p.SetWeights(w))
				require.NoError(t, p.GaussNewton(j, v, gv))
				assert.Less(t, relErr(gv, want), 1e-5, "block %d Gauss-Newton: got %v want %v", j, gv, want)
				t.Logf("block %d: Gauss-Newton relative error %.1e, ⟨V,HV⟩ %.3g, ⟨V,GV⟩ %.3g", j, relErr(gv, want), dot(v, hv), dot(v, gv))

				// Explicit Hessian: symmetric, columns are HVPs with unit vectors.
				hess := make([]float64, n*n)
				require.NoError(t, p.Hessian(j, hess))
				col := make([]float64, n)
				for k := 0; k < n; k++ {
					require.NoError(t, p.HVP(j, unit(n, k), col))
					for i := 0; i < n; i++ {
						assert.InDelta(t, col[i], hess[i*n+k], 1e-10*maxAbs(hess), "block %d Hessian (%d,%d)", j, i, k)
						assert.Equal(t, hess[i*n+k], hess[k*n+i])
					}
				}
				gnm := make([]float64, n*n)
				require.NoError(t, p.GaussNewtonMatrix(j, gnm))
				for k := 0; k < n; k++ {
					assert.GreaterOrEqual(t, gnm[k*n+k], 0.0, "block %d Gauss-Newton diagonal %d", j, k)
				}
			}
		})
	}
}

// fdGaussNewton computes J_jᵀ (∇²_H ℓ) J_j V + 2λV with J_j V and J_jᵀu by
// central differences of the network output and ∇²_H ℓ·c by central
// differences of the oracle's gradient: independent of graph's symbolic
// Gauss-Newton pieces.
func fdGaussNewton(t *testing.T, p *graph.Program, o oracle, w graph.Weights, j int, v, y []float64, lambda float64) []float64 {
	const eps = 1e-5
	rows, cols := p.Net().Out(), p.Batch()
	hp := output(t, p, shifted(w, j, eps, v))
	hm := output(t, p, shifted(w, j, -eps, v))
	jv := make([]float64, len(hp))
	for i := range jv {
		jv[i] = (hp[i] - hm[i]) / (2 * eps)
	}
	h := output(t, p, w)
	ha := append([]float64(nil), h...)
	hb := append([]float64(nil), h...)
	for i := range h {
		ha[i] += eps * jv[i]
		hb[i] -= eps * jv[i]
	}
	ga, gb := o.grad(ha, y, rows, cols), o.grad(hb, y, rows, cols)
	u := make([]float64, len(h))
	for i := range u {
		u[i] = (ga[i] - gb[i]) / (2 * eps)
	}
	n := len(w[j])
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		e := unit(n, i)
		out[i] = (dot(output(t, p, shifted(w, j, eps, e)), u) - dot(output(t, p, shifted(w, j, -eps, e)), u)) / (2 * eps)
		out[i] += 2 * lambda * v[i]
	}
	return out
}

// TestPaperGradients checks the gradient formulas printed in Appendix B.1
// against finite differences: (A.11) agrees; (A.13) and (A.15) do not.
func TestPaperGradients(t *testing.T) {
	const rows, cols = 2, 4
	rng := rand.New(rand.NewPCG(5, 1))
	fdGrad := func(o oracle, h, y []float64) []float64 {
		const eps = 1e-6
		g := make([]float64, len(h))
		for i := range h {
			hp := append([]float64(nil), h...)
			hp[i] += eps
			hm := append([]float64(nil), h...)
			hm[i] -= eps
			g[i] = (o.value(hp, y, rows, cols) - o.value(hm, y, rows, cols)) / (2 * eps)
		}
		return g
	}
	h := uniform(0.05, 0.95)(rng, rows, cols)
	y := uniform(0, 1)(rng, rows, cols)

	// (A.11): ∇_H ℓ = (2/N)(H − Y).
	a11 := make([]float64, len(h))
	for i := range h {
		a11[i] = 2 / float64(cols) * (h[i] - y[i])
	}
	assert.Less(t, relErr(a11, fdGrad(oracleL2, h, y)), 1e-8, "(A.11)")

	// (A.13) as printed: 2(H − Y)·exp((1/c)‖Y − H‖²_F).
	const c = 0.5
	var s float64
	for i := range h {
		s += (y[i] - h[i]) * (y[i] - h[i])
	}
	a13 := make([]float64, len(h))
	for i := range h {
		a13[i] = 2 * (h[i] - y[i]) * math.Exp(s/c)
	}
	fd := fdGrad(oracleExp(c), h, y)
	assert.Greater(t, relErr(a13, fd), 0.1, "(A.13) as printed should disagree with differences")
	assert.Less(t, relErr(oracleExp(c).grad(h, y, rows, cols), fd), 1e-8, "corrected (A.13)")

	// (A.15) as printed: (1/N)[−Y/H + ((1−Y)/(1−H))∘H].
	a15 := make([]float64, len(h))
	for i := range h {
		a15[i] = (-y[i]/h[i] + (1-y[i])/(1-h[i])*h[i]) / float64(cols)
	}
	fd = fdGrad(oracleCE, h, y)
	assert.Greater(t, relErr(a15, fd), 0.1, "(A.15) as printed should disagree with differences")
	assert.Less(t, relErr(oracleCE.grad(h, y, rows, cols), fd), 1e-8, "corrected (A.15)")
}

func TestCheckLabels(t *testing.T) {
	type lc interface {
		CheckLabels(y []float64, rows, cols int) error
	}
	cases := []struct {
		name string
		loss graph.Loss
		y    []float64 // 2×3
		bad  string    // substring of the error; "" means valid
	}{
		{"ce ok", CrossEntropy(), []float64{0, 1, 0.5, 1, 0, 0.25}, ""},
		{"ce above 1", CrossEntropy(), []float64{0, 1, 0.5, 1, 1.5, 0.25}, "row 1 column 1 is 1.5"},
		{"ce negative", CrossEntropy(), []float64{0, -0.1, 0.5, 1, 1.5, 0.25}, "row 0 column 1 is -0.1"},
		{"ce nan", CrossEntropy(), []float64{0, 1, math.NaN(), 1, 0, 0}, "row 0 column 2 is NaN"},
		{"ce logits above 1", CrossEntropyWithLogits(), []float64{0, 1, 0.5, 2, 0, 0.25}, "row 1 column 0 is 2"},
		{"hinge ok", SquaredHinge(1), []float64{1, -1, 1, -1, -1, 1}, ""},
		{"hinge zero", SquaredHinge(1), []float64{1, -1, 1, -1, 0, 1}, "row 1 column 1 is 0"},
		{"logistic ok", Logistic(), []float64{1, -1, 1, -1, -1, 1}, ""},
		{"logistic 0/1", Logistic(), []float64{1, -1, 1, 1, 0, 1}, "row 1 column 1 is 0"},
		{"softmax ok", SoftmaxCrossEntropy(), []float64{1, 0, 0, 0, 1, 1}, ""},
		{"softmax not 0/1", SoftmaxCrossEntropy(), []float64{1, 0, 0.5, 0, 1, 0.5}, "row 0 column 2 is 0.5"},
		{"softmax no 1", SoftmaxCrossEntropy(), []float64{1, 0, 0, 0, 1, 0}, "column 2 has no 1"},
		{"softmax two 1s", SoftmaxCrossEntropy(), []float64{1, 0, 1, 1, 1, 0}, "column 0 has a 1 in rows 0 and 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.loss.(lc).CheckLabels(c.y, 2, 3)
			if c.bad == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrLabel)
			assert.Contains(t, err.Error(), c.bad)
			assert.Contains(t, err.Error(), c.loss.Name())

			// graph consults the checker when a batch is bound.
			net := tinyNet(t, c.loss, 2, nil, 0)
			p, perr := net.Program(3)
			require.NoError(t, perr)
			err = p.SetBatch(make([]float64, 9), c.y)
			if math.IsNaN(c.y[2]) {
				assert.ErrorIs(t, err, graph.ErrNotFinite)
				return
			}
			assert.ErrorIs(t, err, ErrLabel)
		})
	}
	err := Logistic().(lc).CheckLabels([]float64{1, 1}, 2, 3)
	assert.ErrorIs(t, err, graph.ErrShape)
	_, ok := L2().(lc)
	assert.False(t, ok, "l2 accepts any targets")
	_, ok = Exponential(1).(lc)
	assert.False(t, ok, "exponential accepts any targets")
}

func TestByName(t *testing.T) {
	assert.Equal(t, []string{"l2", "exponential", "cross-entropy", "cross-entropy-with-logits",
		"squared-hinge", "logistic", "softmax-cross-entropy"}, Names())
	for _, n := range Names() {
		l, err := ByName(n)
		require.NoError(t, err, n)
		assert.Equal(t, n, l.Name())
	}
	l, err := ByName("exponential", 2.5)
	require.NoError(t, err)
	assert.Equal(t, Exponential(2.5), l)
	l, err = ByName("squared-hinge", 0.3)
	require.NoError(t, err)
	assert.Equal(t, SquaredHinge(0.3), l)
	assert.Equal(t, Exponential(1), must2(ByName("exponential")))

	bad := []struct {
		name   string
		params []float64
		msg    string
	}{
		{"hinge", nil, `unknown loss "hinge"; valid names: l2, exponential, cross-entropy, cross-entropy-with-logits, squared-hinge, logistic, softmax-cross-entropy`},
		{"", []float64{1}, `unknown loss ""`},
		{"l2", []float64{1}, "l2 takes no parameters"},
		{"exponential", []float64{0}, "c = 0 must be positive"},
		{"exponential", []float64{math.Inf(1)}, "c = +Inf must be positive"},
		{"squared-hinge", []float64{-1}, "c = -1 must be positive"},
		{"squared-hinge", []float64{math.NaN()}, "c = NaN must be positive"},
		{"exponential", []float64{1, 2}, "at most one parameter"},
	}
	for _, b := range bad {
		_, err := ByName(b.name, b.params...)
		require.Error(t, err, "%s %v", b.name, b.params)
		assert.ErrorIs(t, err, graph.ErrArgument)
		assert.Contains(t, err.Error(), b.msg)
	}
}

func must2(l graph.Loss, err error) graph.Loss {
	if err != nil {
		panic(err)
	}
	return l
}

func TestBuildErrors(t *testing.T) {
	g := G.NewGraph()
	h := G.NewMatrix(g, G.Float64, G.WithShape(2, 3), G.WithName("h"))
	y := G.NewMatrix(g, G.Float64, G.WithShape(3, 2), G.WithName("y"))
	for _, c := range lossCases() {
		_, err := c.loss.Build(h, y)
		assert.ErrorIs(t, err, graph.ErrShape, c.name)
	}
	y2 := G.NewMatrix(g, G.Float64, G.WithShape(2, 3), G.WithName("y2"))
	_, err := Exponential(-1).Build(h, y2)
	assert.ErrorIs(t, err, graph.ErrArgument)
	_, err = SquaredHinge(0).Build(h, y2)
	assert.ErrorIs(t, err, graph.ErrArgument)
	n, err := L2().Build(h, y2)
	require.NoError(t, err)
	assert.True(t, n.IsScalar())
	// A network with the wrong loss for its shape fails when compiled.
	net := tinyNet(t, Exponential(-1), 2, nil, 0)
	_, err = net.Program(2)
	assert.Error(t, err)
	assert.True(t, errors.Is(err, graph.ErrArgument), fmt.Sprint(err))
}

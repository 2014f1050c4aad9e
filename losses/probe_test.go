package losses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// probeLoss is ℓ(H) = Σ q(H) for a candidate Gorgonia construction q, used
// to find out whether q survives graph's reverse-over-reverse sweeps.
type probeLoss struct {
	name string
	q    func(h *G.Node) (*G.Node, error)
}

func (l probeLoss) Name() string       { return l.name }
func (l probeLoss) Shape() graph.Shape { return graph.Shape{} }
func (l probeLoss) Build(h, y *G.Node) (*G.Node, error) {
	n, err := l.q(h)
	if err != nil {
		return nil, err
	}
	if n.IsScalar() {
		return n, nil
	}
	return G.Sum(n)
}

// probe reports how q fares: "compile: …" if graph cannot build its
// derivatives, "eval: …" if evaluating them fails (second-order nodes are
// built on the first curvature request, so a failure to differentiate twice
// shows here), "value" or "hvp" with the
// relative error when they disagree with the reference ℓ or with differences
// of the gradient, or "ok".
func probe(t *testing.T, name string, q func(*G.Node) (*G.Node, error), ref func(h []float64, rows, cols int) float64, h []float64, rows int) string {
	t.Helper()
	cols := len(h) / rows
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w := b.Weight("H", rows, cols)
		if err := b.Err(); err != nil {
			return nil, err
		}
		return G.Mul(w, x)
	}
	net, err := graph.New(cols, build, probeLoss{name: name, q: q})
	require.NoError(t, err)
	p, err := net.NewProgram(cols)
	if err != nil {
		return "compile: " + err.Error()
	}
	require.NoError(t, p.SetBatch(identity(cols), make([]float64, rows*cols)))
	require.NoError(t, p.SetWeights(graph.Weights{h}))
	f, err := p.DataLoss()
	if err != nil {
		return "eval: " + err.Error()
	}
	if want := ref(h, rows, cols); math.Abs(f-want) > 1e-12*math.Max(1, math.Abs(want)) {
		return fmt.Sprintf("value: got %v, want %v", f, want)
	}
	v := randn(rand.New(rand.NewPCG(1, 2)), len(h))
	hv := make([]float64, len(h))
	if err := p.HVP(0, v, hv); err != nil {
		return "eval: " + err.Error()
	}
	const eps = 1e-6
	gp, gm := make([]float64, len(h)), make([]float64, len(h))
	hp, hm := append([]float64(nil), h...), append([]float64(nil), h...)
	for i := range h {
		hp[i] += eps * v[i]
		hm[i] -= eps * v[i]
	}
	require.NoError(t, p.SetWeights(graph.Weights{hp}))
	require.NoError(t, p.Grad(0, gp))
	require.NoError(t, p.SetWeights(graph.Weights{hm}))
	require.NoError(t, p.Grad(0, gm))
	fd := make([]float64, len(h))
	for i := range fd {
		fd[i] = (gp[i] - gm[i]) / (2 * eps)
	}
	if e := relErr(hv, fd); e > 1e-5 || !allFinite(hv) {
		return fmt.Sprintf("hvp: relative error %.2g", e)
	}
	return "ok"
}

func elementwise(f func(float64) float64) func(h []float64, rows, cols int) float64 {
	return func(h []float64, rows, cols int) float64 {
		var s float64
		for _, v := range h {
			s += f(v)
		}
		return s
	}
}

func colSoftmaxSq(h []float64, rows, cols int) float64 {
	var s float64
	for c := 0; c < cols; c++ {
		l := refLogSumExp(h, rows, cols, c)
		for r := 0; r < rows; r++ {
			p := math.Exp(h[r*cols+c] - l)
			s += p * p
		}
	}
	return s
}

func colLogSumExp(h []float64, rows, cols int) float64 {
	var s float64
	for c := 0; c < cols; c++ {
		s += refLogSumExp(h, rows, cols, c)
	}
	return s
}

// TestGorgoniaOpsSecondOrder records which Gorgonia operations survive two
// symbolic differentiations by graph's sweep, and which of the package's
// own constructions do. The expectations document why the losses avoid
// Gorgonia's Softplus, SoftMax, LogSumExp and Exp of a scalar.
func TestGorgoniaOpsSecondOrder(t *testing.T) {
	h := []float64{-3, -1.2, -0.4, 0.3, 0.9, 2.5, 17, 18.5} // 17, 18.5: inside Softplus's (16, 19) gap
	hMod := []float64{-3, -1.2, -0.4, 0.3, 0.9, 2.5, 1.7, -2.2}
	sq := func(op func(*G.Node) (*G.Node, error)) func(*G.Node) (*G.Node, error) {
		return func(x *G.Node) (*G.Node, error) {
			n, err := op(x)
			if err != nil {
				return nil, err
			}
			return G.Square(n)
		}
	}
	cases := []struct {
		name   string
		q      func(*G.Node) (*G.Node, error)
		ref    func([]float64, int, int) float64
		h      []float64
		rows   int
		expect string // prefix of the probe's verdict
	}{
		{"Softplus moderate", G.Softplus, elementwise(refSoftplus), hMod, 2, "ok"},
		{"Softplus x in (16,19)", G.Softplus, elementwise(refSoftplus), h, 2, "value"},
		{"losses softplus", func(x *G.Node) (*G.Node, error) { return applyPointwise(famSoftplus, x) }, elementwise(refSoftplus), h, 2, "ok"},
		{"Log1p", func(x *G.Node) (*G.Node, error) { return G.Log1p(must(G.Square(x))) },
			elementwise(func(v float64) float64 { return math.Log1p(v * v) }), hMod, 2, "ok"},
		{"Rectify squared", sq(G.Rectify), elementwise(func(v float64) float64 { return math.Pow(math.Max(v, 0), 2) }), hMod, 2, "ok"},
		{"Abs cubed", func(x *G.Node) (*G.Node, error) { return G.Cube(must(G.Abs(x))) },
			elementwise(func(v float64) float64 { return math.Pow(math.Abs(v), 3) }), hMod, 2, "ok"},
		{"SoftMax squared", sq(func(x *G.Node) (*G.Node, error) { return G.SoftMax(x, 0) }), colSoftmaxSq, hMod, 2, "(compile|eval)"},
		{"LogSumExp of columns", func(x *G.Node) (*G.Node, error) { return G.LogSumExp(x, 0) }, colLogSumExp, hMod, 2, "compile"},
		{"LogSumExp of a vector", func(x *G.Node) (*G.Node, error) { return G.LogSumExp(must(G.Reshape(x, []int{8})), 0) },
			func(h []float64, _, _ int) float64 { return refLogSumExp(h, len(h), 1, 0) }, hMod, 2, "value"},
		{"Exp of a scalar", func(x *G.Node) (*G.Node, error) { return G.Exp(must(G.Sum(x))) },
			func(h []float64, _, _ int) float64 {
				return math.Exp(elementwise(func(v float64) float64 { return v })(h, 0, 0))
			}, hMod, 2, ""}, // failed ("Type Mismatch: float64 != Tensor-0") under Gorgonia's own Do, before graph's fast kernels

		{"Mean", func(x *G.Node) (*G.Node, error) { return G.Mean(must(G.Square(x))) },
			func(h []float64, _, _ int) float64 {
				return elementwise(func(v float64) float64 { return v * v })(h, 0, 0) / float64(len(h))
			}, hMod, 2, ""},
	}
	for _, c := range cases {
		var verdict string
		func() {
			defer func() {
				if r := recover(); r != nil {
					verdict = fmt.Sprintf("panic: %v", r)
				}
			}()
			verdict = probe(t, c.name, c.q, c.ref, c.h, c.rows)
		}()
		t.Logf("%-24s %s", c.name, verdict)
		if c.expect != "" {
			assert.Regexp(t, "^"+c.expect, verdict, c.name)
		}
	}
}

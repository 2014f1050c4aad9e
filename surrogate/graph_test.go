package surrogate

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// l2Loss is ‖Y − H‖²_F / B, the regression loss (16), defined locally.
type l2Loss struct{}

func (l2Loss) Name() string       { return "l2" }
func (l2Loss) Shape() graph.Shape { return graph.Shape{Convex: true} }
func (l2Loss) Build(h, y *G.Node) (*G.Node, error) {
	d := G.Must(G.Sub(y, h))
	s := G.Must(G.Sum(G.Must(G.Square(d))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

// graphProblem is the block problem of block j of a graph.Program.
type graphProblem struct {
	p    *graph.Program
	w    graph.Weights
	j    int
	blk  graph.Block
	f0   float64
	g    []float64
	cert Certificate
}

func newGraphProblem(t *testing.T, p *graph.Program, w graph.Weights, j int, cert Certificate) *graphProblem {
	require.NoError(t, p.SetWeights(w))
	f0, err := p.Objective()
	require.NoError(t, err)
	g := make([]float64, len(w[j]))
	require.NoError(t, p.Grad(j, g))
	return &graphProblem{p: p, w: w, j: j, blk: p.Net().Blocks()[j], f0: f0, g: g, cert: cert}
}

func (q *graphProblem) Index() int                            { return q.j }
func (q *graphProblem) Block() graph.Block                    { return q.blk }
func (q *graphProblem) Point() []float64                      { return q.w[q.j] }
func (q *graphProblem) Value() float64                        { return q.f0 }
func (q *graphProblem) Gradient() []float64                   { return q.g }
func (q *graphProblem) L1() float64                           { return q.blk.L1 }
func (q *graphProblem) HVP(v, dst []float64) error            { return q.p.HVP(q.j, v, dst) }
func (q *graphProblem) GaussNewton(v, dst []float64) error    { return q.p.GaussNewton(q.j, v, dst) }
func (q *graphProblem) Hessian(dst []float64) error           { return q.p.Hessian(q.j, dst) }
func (q *graphProblem) GaussNewtonMatrix(dst []float64) error { return q.p.GaussNewtonMatrix(q.j, dst) }
func (q *graphProblem) Certificate() Certificate              { return q.cert }
func (q *graphProblem) Eval(w, grad []float64) (float64, error) {
	defer q.p.SetBlock(q.j, q.w[q.j])
	if err := q.p.SetBlock(q.j, w); err != nil {
		return 0, err
	}
	f, err := q.p.Objective()
	if err != nil || grad == nil {
		return f, err
	}
	return f, q.p.Grad(q.j, grad)
}

func graphNet(t *testing.T, act func(*G.Node) (*G.Node, error)) (*graph.Program, graph.Weights) {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w1 := b.Weight("W1", 3, 4)
		w2 := b.Weight("W2", 2, 3)
		h, err := act(G.Must(G.Mul(w1, x)))
		if err != nil {
			return nil, err
		}
		return G.Mul(w2, h)
	}
	net, err := graph.New(4, build, l2Loss{}, graph.Tikhonov(0.01))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 1))
	w := net.Init(rng)
	const B = 7
	x, y := make([]float64, 4*B), make([]float64, 2*B)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	p, err := net.Program(B)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	return p, w
}

// TestGraphDeepLinear: in a deep linear network with the l2 loss each block
// problem is a strongly convex quadratic (Section 5.2), solved in closed
// form by ExactQuadratic; the block gradient vanishes at D.
func TestGraphDeepLinear(t *testing.T) {
	ctx := context.Background()
	p, w := graphNet(t, func(n *G.Node) (*G.Node, error) { return n, nil })
	cert := Certificate{Convex: true, Reason: "linear layers, l2 loss, Tikhonov"}
	for j := range w {
		q := newGraphProblem(t, p, w, j, cert)
		d := make([]float64, len(w[j]))
		info, err := ExactQuadratic{}.Direction(ctx, q, d)
		require.NoError(t, err)
		require.Positive(t, info.ModelDecrease)
		g := make([]float64, len(d))
		_, err = q.Eval(d, g)
		require.NoError(t, err)
		require.Less(t, norm2(g), 1e-8)
		// Exact (the inner method on Eval) agrees with the closed form.
		e := make([]float64, len(d))
		_, err = Exact{Tol: 1e-10, MaxInner: 5000}.Direction(ctx, q, e)
		require.NoError(t, err)
		require.InDelta(t, 0, maxAbsDiff(d, e), 1e-6)
	}
}

// TestGraphSigmoid: on a sigmoid network ExactQuadratic detects that the
// first block is not quadratic, and the Levenberg-Marquardt bound decreases
// f.
func TestGraphSigmoid(t *testing.T) {
	ctx := context.Background()
	p, w := graphNet(t, G.Sigmoid)
	q := newGraphProblem(t, p, w, 0, Certificate{Reason: "sigmoid is not convex"})
	d := make([]float64, len(w[0]))
	_, err := ExactQuadratic{}.Direction(ctx, q, d)
	require.ErrorIs(t, err, ErrNotCertified)
	for _, cur := range []Curvature{Hessian, GaussNewton} {
		s := &SecondOrder{Curvature: cur, Adaptive: &Damping{}}
		s.Reset(len(w))
		info, err := s.Direction(ctx, q, d)
		require.NoError(t, err)
		f, err := q.Eval(d, nil)
		require.NoError(t, err)
		require.Less(t, f, q.f0, "%v: %+v", cur, info)
	}
}

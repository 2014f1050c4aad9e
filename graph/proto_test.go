package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

type l2 struct{}

func (l2) Name() string { return "l2" }
func (l2) Shape() Shape { return Shape{Convex: true} }
func (l2) Build(h, y *G.Node) (*G.Node, error) {
	d := G.Must(G.Sub(y, h))
	s := G.Must(G.Sum(G.Must(G.Square(d))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

func TestProto(t *testing.T) {
	build := func(b *Builder, x *G.Node) (*G.Node, error) {
		w1 := b.Weight("W1", 4, 3)
		w2 := b.Weight("W2", 2, 4)
		h := G.Must(G.Sigmoid(G.Must(G.Mul(w1, x))))
		return G.Sigmoid(G.Must(G.Mul(w2, h)))
	}
	net, err := New(3, build, l2{}, Tikhonov(0.01))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 0))
	w := net.Init(rng)
	B := 5
	x := make([]float64, 3*B)
	y := make([]float64, 2*B)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.Float64()
	}
	p, err := net.Program(B)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	require.NoError(t, p.SetWeights(w))
	f0, err := p.Objective()
	require.NoError(t, err)
	t.Log("f", f0)
	for j := range w {
		g := make([]float64, len(w[j]))
		require.NoError(t, p.Grad(j, g))
		eps := 1e-6
		for i := range w[j] {
			w2 := w.Clone()
			w2[j][i] += eps
			require.NoError(t, p.SetWeights(w2))
			fp, _ := p.Objective()
			w2[j][i] -= 2 * eps
			require.NoError(t, p.SetWeights(w2))
			fm, _ := p.Objective()
			fd := (fp - fm) / (2 * eps)
			require.InDelta(t, fd, g[i], 1e-8, "block %d entry %d", j, i)
		}
		require.NoError(t, p.SetWeights(w))
		v := make([]float64, len(w[j]))
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		hv := make([]float64, len(v))
		require.NoError(t, p.HVP(j, v, hv))
		gp := make([]float64, len(v))
		gm := make([]float64, len(v))
		w2 := w.Clone()
		for i := range v {
			w2[j][i] = w[j][i] + eps*v[i]
		}
		require.NoError(t, p.SetWeights(w2))
		require.NoError(t, p.Grad(j, gp))
		for i := range v {
			w2[j][i] = w[j][i] - eps*v[i]
		}
		require.NoError(t, p.SetWeights(w2))
		require.NoError(t, p.Grad(j, gm))
		for i := range v {
			fd := (gp[i] - gm[i]) / (2 * eps)
			require.InDelta(t, fd, hv[i], 1e-6*math.Max(1, math.Abs(fd)), "hvp block %d entry %d", j, i)
		}
		require.NoError(t, p.SetWeights(w))
		gn := make([]float64, len(v))
		require.NoError(t, p.GaussNewton(j, v, gn))
		t.Log("hv", hv[:3], "gn", gn[:3])
	}
}

package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type kernelLoss struct{}

func (kernelLoss) Name() string { return "l2" }
func (kernelLoss) Shape() Shape { return Shape{Convex: true} }
func (kernelLoss) Build(h, y *G.Node) (*G.Node, error) {
	d := G.Must(G.Sub(y, h))
	s := G.Must(G.Sum(G.Must(G.Square(d))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

// The fast kernels must agree with Gorgonia's own Do for every quantity a
// program computes.
func TestFastKernelsMatchGorgonia(t *testing.T) {
	build := func(b *Builder, x *G.Node) (*G.Node, error) {
		w1 := b.Weight("W1", 6, 4)
		w2 := b.Weight("W2", 5, 6)
		w3 := b.Weight("W3", 2, 5)
		h := G.Must(G.Sigmoid(G.Must(G.Mul(w1, x))))
		h = G.Must(G.Tanh(G.Must(G.Mul(w2, h))))
		h = G.Must(G.Add(h, G.Must(G.Exp(G.Must(G.Neg(h))))))
		big := G.Must(G.Mul(w3, h))
		return G.HadamardProd(big, G.Must(G.Sigmoid(big)))
	}
	values := func(fast bool) []float64 {
		disableFastKernels = !fast
		defer func() { disableFastKernels = false }()
		net, err := New(4, build, kernelLoss{}, Tikhonov(0.01))
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(5, 5))
		w := net.Init(rng)
		const batch = 300 // large enough that some products use BLAS
		x, y := make([]float64, 4*batch), make([]float64, 2*batch)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.Float64()
		}
		p, err := net.Program(batch)
		require.NoError(t, err)
		require.NoError(t, p.SetBatch(x, y))
		require.NoError(t, p.SetWeights(w))
		f, err := p.Objective()
		require.NoError(t, err)
		out := []float64{f}
		for j, b := range net.Blocks() {
			g, hv, gn := make([]float64, b.Size()), make([]float64, b.Size()), make([]float64, b.Size())
			v := make([]float64, b.Size())
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			require.NoError(t, p.Grad(j, g))
			require.NoError(t, p.HVP(j, v, hv))
			require.NoError(t, p.GaussNewton(j, v, gn))
			out = append(append(append(out, g...), hv...), gn...)
		}
		return out
	}
	slow, fast := values(false), values(true)
	require.Len(t, fast, len(slow))
	for i := range slow {
		assert.InDelta(t, slow[i], fast[i], 1e-12*(1+abs(slow[i])), fmt.Sprint("entry ", i))
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestConcatKernelMatchesDo: the concatenation kernel gives Gorgonia's
// Concat bit for bit, along either axis, for matrices and vectors, and
// declines shapes it does not handle (they go through Do).
func TestConcatKernelMatchesDo(t *testing.T) {
	cases := []struct {
		name   string
		axis   int
		shapes [][]int
		fast   bool
	}{
		{"bias row", 0, [][]int{{4, 7}, {1, 7}}, true},
		{"three blocks of rows", 0, [][]int{{2, 3}, {5, 3}, {1, 3}}, true},
		{"vectors", 0, [][]int{{3}, {4}}, true},
		{"columns", 1, [][]int{{3, 2}, {3, 5}}, true},
		{"one operand", 1, [][]int{{2, 6}}, true},
		{"rank 3", 0, [][]int{{2, 2, 2}, {1, 2, 2}}, false},
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := G.NewGraph()
			var kids []*G.Node
			var vals []G.Value
			var in [][]float64
			for i, s := range c.shapes {
				data := make([]float64, tensorSize(s))
				for k := range data {
					data[k] = rng.NormFloat64()
				}
				v := tensor.New(tensor.WithShape(s...), tensor.WithBacking(data))
				n := G.NewTensor(g, tensor.Float64, len(s), G.WithShape(s...), G.WithName(fmt.Sprint("x", i)), G.WithValue(v))
				kids, vals, in = append(kids, n), append(vals, v), append(in, data)
			}
			node, err := G.Concat(c.axis, kids...)
			require.NoError(t, err)
			k, _ := fastKernel(node, kids)
			if !c.fast {
				assert.Nil(t, k, "no kernel for this shape: Do computes it")
				return
			}
			require.NotNil(t, k)
			want, err := node.Op().Do(vals...)
			require.NoError(t, err)
			got := make([]float64, node.Shape().TotalSize())
			k(got, in)
			assert.Equal(t, want.Data().([]float64), got)
		})
	}
}

func tensorSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

package layers

import (
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

// l2 is the ridge loss (1/B)‖Y − H‖²_F of the paper's eq. (16), defined
// locally (package losses is separate).
type l2 struct{}

func (l2) Name() string       { return "l2" }
func (l2) Shape() graph.Shape { return graph.Shape{Convex: true} }
func (l2) Build(h, y *G.Node) (*G.Node, error) {
	d := G.Must(G.Sub(y, h))
	s := G.Must(G.Sum(G.Must(G.Square(d))))
	return G.Mul(G.NewConstant(1/float64(h.Shape()[1])), s)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func relErr(got, want []float64) float64 {
	d := make([]float64, len(got))
	for i := range got {
		d[i] = got[i] - want[i]
	}
	return norm(d) / math.Max(norm(want), 1e-12)
}

func randn(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// checkDerivatives compares every block's gradient with central finite
// differences of the objective (relative error ≤ 1e-6), its Hessian-vector
// products with central differences of gradients (≤ 1e-5), and checks the
// symmetry ⟨U, HV⟩ = ⟨V, HU⟩ (to 1e-10 relative).
func checkDerivatives(t *testing.T, net *graph.Net, x, y []float64, w graph.Weights, rng *rand.Rand) {
	t.Helper()
	B := len(x) / net.In()
	p, err := net.Program(B)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	require.NoError(t, p.SetWeights(w))
	f0, err := p.Objective()
	require.NoError(t, err)
	require.False(t, math.IsNaN(f0) || math.IsInf(f0, 0), "objective %v", f0)

	const eps = 1e-5
	for j, blk := range net.Blocks() {
		n := len(w[j])
		g := make([]float64, n)
		require.NoError(t, p.SetWeights(w))
		require.NoError(t, p.Grad(j, g))
		fd, err := fdcheck.Grad(p, w, j, eps)
		require.NoError(t, err)
		assert.LessOrEqualf(t, relErr(g, fd), 1e-6, "block %q gradient vs finite differences: %v vs %v", blk.Name, g, fd)

		// Hessian-vector product vs central differences of the gradient.
		v := randn(rng, n)
		hv := make([]float64, n)
		require.NoError(t, p.SetWeights(w))
		require.NoError(t, p.HVP(j, v, hv))
		hfd, err := fdcheck.HVP(p, w, j, v, eps)
		require.NoError(t, err)
		assert.LessOrEqualf(t, relErr(hv, hfd), 1e-5, "block %q HVP vs finite differences: %v vs %v", blk.Name, hv, hfd)

		// Symmetry.
		u := randn(rng, n)
		hu := make([]float64, n)
		require.NoError(t, p.SetWeights(w))
		require.NoError(t, p.HVP(j, u, hu))
		require.NoError(t, p.HVP(j, v, hv))
		a, b := dot(u, hv), dot(v, hu)
		scale := 0.5 * (norm(u)*norm(hv) + norm(v)*norm(hu))
		assert.LessOrEqualf(t, math.Abs(a-b), 1e-10*scale, "block %q ⟨U,HV⟩ = %v, ⟨V,HU⟩ = %v", blk.Name, a, b)
	}
}

// margin is the smallest distance of the pre-activations of a two-layer
// net (W1 in→hidden, W2 hidden→out, optional folded biases) to the kinks of
// act and to the edge of its domain, computed outside the graph.
func margin(c activationCase, bias bool, in, hidden, out, B int, x []float64, w graph.Weights) float64 {
	lo, _ := c.f.Domain()
	m := math.Inf(1)
	layer := func(W []float64, rows, cols int, z []float64) []float64 {
		k := cols
		if bias {
			k++
		}
		res := make([]float64, rows*B)
		for r := 0; r < rows; r++ {
			for s := 0; s < B; s++ {
				var acc float64
				for c := 0; c < cols; c++ {
					acc += W[r*k+c] * z[c*B+s]
				}
				if bias {
					acc += W[r*k+cols]
				}
				res[r*B+s] = acc
			}
		}
		return res
	}
	check := func(z []float64) {
		for _, v := range z {
			for _, k := range c.kinks {
				m = math.Min(m, math.Abs(v-k))
			}
			m = math.Min(m, v-lo)
		}
	}
	z1 := layer(w[0], hidden, in, x)
	check(z1)
	a1 := make([]float64, len(z1))
	for i, v := range z1 {
		a1[i] = c.f.Eval(v)
	}
	check(layer(w[1], out, hidden, a1))
	return m
}

// TestDenseDerivatives: for each activation, a 3→4→2 net (B = 5, local l2
// loss), with and without folded biases, plus a 3→1→2 net whose one-row
// hidden layer exercises Gorgonia's keep-dims reshape in Concat's
// derivative. ReLU-family inputs are drawn (fixed seeds) until every
// pre-activation is at least 1e-2 away from a kink, so finite differences
// are valid.
func TestDenseDerivatives(t *testing.T) {
	type arch struct{ in, hidden, out, B int }
	for _, c := range activationCases() {
		for _, bias := range []bool{false, true} {
			for _, a := range []arch{{3, 4, 2, 5}, {3, 1, 2, 5}} {
				if a.hidden == 1 && !bias {
					continue
				}
				name := fmt.Sprintf("%s/bias=%v/%d-%d-%d", c.f, bias, a.in, a.hidden, a.out)
				t.Run(name, func(t *testing.T) {
					var opts []DenseOption
					if bias {
						opts = append(opts, WithBias())
					}
					build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
						h := Dense(b, "W1", a.hidden, x, c.f, opts...)
						return Dense(b, "W2", a.out, h, c.f, opts...), nil
					}
					var nopts []graph.Option
					if bias {
						nopts = append(nopts, graph.Tikhonov(0.01))
					}
					net, err := graph.New(a.in, build, l2{}, nopts...)
					require.NoError(t, err)
					acts, ok := net.Chain()
					require.True(t, ok, "Dense layers form a verified chain")
					assert.Equal(t, []graph.Shape{c.f.Shape(), c.f.Shape()}, acts)
					bl := net.Blocks()
					k := a.in
					if bias {
						k++
					}
					assert.Equal(t, [2]int{a.hidden, k}, [2]int{bl[0].Rows, bl[0].Cols})

					var x, y []float64
					var w graph.Weights
					var rng *rand.Rand
					found := false
					for seed := uint64(1); seed < 200 && !found; seed++ {
						rng = rand.New(rand.NewPCG(seed, 7))
						w = net.Init(rng)
						x = randn(rng, a.in*a.B)
						y = make([]float64, a.out*a.B)
						for i := range y {
							y[i] = rng.Float64()
						}
						found = margin(c, bias, a.in, a.hidden, a.out, a.B, x, w) > 1e-2
					}
					require.True(t, found, "no seed keeps the pre-activations away from kinks and the domain edge")
					checkDerivatives(t, net, x, y, w, rng)
				})
			}
		}
	}
}

// TestDeepLinearDerivatives: three identity layers 3→4→3→2, with and
// without biases.
func TestDeepLinearDerivatives(t *testing.T) {
	for _, bias := range []bool{false, true} {
		t.Run(fmt.Sprintf("bias=%v", bias), func(t *testing.T) {
			var opts []DenseOption
			if bias {
				opts = append(opts, WithBias())
			}
			build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				h := Linear(b, "W1", 4, x, opts...)
				h = Linear(b, "W2", 3, h, opts...)
				return Linear(b, "W3", 2, h, opts...), nil
			}
			net, err := graph.New(3, build, l2{})
			require.NoError(t, err)
			acts, ok := net.Chain()
			require.True(t, ok)
			for _, s := range acts {
				assert.True(t, s.Convex && s.Concave)
			}
			rng := rand.New(rand.NewPCG(11, 0))
			w := net.Init(rng)
			B := 5
			x := randn(rng, 3*B)
			y := randn(rng, 2*B)
			checkDerivatives(t, net, x, y, w, rng)

			// The output is the product W3·W2·W1·X (bias-free case).
			if !bias {
				p, err := net.Program(B)
				require.NoError(t, err)
				require.NoError(t, p.SetBatch(x, y))
				require.NoError(t, p.SetWeights(w))
				h := make([]float64, 2*B)
				require.NoError(t, p.Output(h))
				want := matmul(w[2], 2, 3, matmul(w[1], 3, 4, matmul(w[0], 4, 3, x, B), B), B)
				assert.InDeltaSlice(t, want, h, 1e-12)
			}
		})
	}
}

func matmul(a []float64, rows, inner int, b []float64, cols int) []float64 {
	c := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		for k := 0; k < inner; k++ {
			for s := 0; s < cols; s++ {
				c[r*cols+s] += a[r*inner+k] * b[k*cols+s]
			}
		}
	}
	return c
}

// TestToeplitzNetDerivatives: Conv 5→6 (tanh), Conv 6→4 (softplus), Dense
// 4→2 (logistic) with a bias.
func TestToeplitzNetDerivatives(t *testing.T) {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := Conv(b, "C1", 6, x, Tanh())
		h = Conv(b, "C2", 4, h, Softplus())
		return Dense(b, "W3", 2, h, Logistic(), WithBias()), nil
	}
	net, err := graph.New(5, build, l2{}, graph.Tikhonov(0.001))
	require.NoError(t, err)
	bl := net.Blocks()
	require.Len(t, bl, 3)
	assert.Equal(t, ToeplitzSet{Rows: 6, Cols: 5}, bl[0].Set)
	assert.Equal(t, ToeplitzSet{Rows: 4, Cols: 6}, bl[1].Set)
	_, ok := net.Chain()
	assert.True(t, ok)

	rng := rand.New(rand.NewPCG(5, 5))
	w := net.Init(rng)
	for j := 0; j < 2; j++ { // Init starts on the subspace
		p := append([]float64(nil), w[j]...)
		bl[j].Set.Project(p)
		assert.InDeltaSlice(t, w[j], p, 1e-15)
	}
	B := 4
	x := randn(rng, 5*B)
	y := make([]float64, 2*B)
	for i := range y {
		y[i] = rng.Float64()
	}
	checkDerivatives(t, net, x, y, w, rng)
}

// TestConvComputesCircularConvolution runs a single identity Conv layer
// through a compiled Program and compares with circular convolution.
func TestConvComputesCircularConvolution(t *testing.T) {
	for _, sz := range [][2]int{{5, 5}, {7, 5}, {3, 5}} {
		out, in := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", out, in), func(t *testing.T) {
			build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
				return Conv(b, "C", out, x, Identity()), nil
			}
			net, err := graph.New(in, build, l2{})
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(2, 3))
			h := randn(rng, in)
			w := net.NewWeights()
			ToeplitzSet{Rows: out, Cols: in}.Expand(h, w[0])
			B := 3
			x := randn(rng, in*B)
			p, err := net.Program(B)
			require.NoError(t, err)
			require.NoError(t, p.SetBatch(x, make([]float64, out*B)))
			require.NoError(t, p.SetWeights(w))
			got := make([]float64, out*B)
			require.NoError(t, p.Output(got))
			for s := 0; s < B; s++ {
				col := make([]float64, in)
				for c := range col {
					col[c] = x[c*B+s]
				}
				conv := circularConv(h, col)
				for r := 0; r < out; r++ {
					assert.InDelta(t, conv[r%in], got[r*B+s], 1e-12, "row %d sample %d", r, s)
				}
			}
		})
	}
}

func TestLayerErrors(t *testing.T) {
	cases := []struct {
		name  string
		build graph.BuildFunc
		msg   string
	}{
		{"nil input", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Dense(b, "W1", 2, nil, Tanh()), nil
		}, `dense layer "W1": nil input node`},
		{"nil activation", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Dense(b, "W1", 2, x, nil), nil
		}, `dense layer "W1": nil activation`},
		{"bad out", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Dense(b, "W1", 0, x, Tanh()), nil
		}, `dense layer "W1": output size 0`},
		{"vector input", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			v := G.Must(G.Sum(x, 1))
			return Dense(b, "W1", 2, v, Tanh()), nil
		}, `dense layer "W1": input`},
		{"bad activation param", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Dense(b, "W1", 2, x, ELU(math.Inf(1))), nil
		}, `dense layer "W1": layers: activation elu(+Inf): parameter +Inf is not finite`},
		{"conv bias", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Conv(b, "C1", 2, x, Tanh(), WithBias()), nil
		}, `conv layer "C1": WithBias is not supported`},
		{"conv nil", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			return Conv(b, "C1", 2, nil, Tanh()), nil
		}, `conv layer "C1": nil input node`},
		{"duplicate name", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			h := Dense(b, "W", 2, x, Tanh())
			return Dense(b, "W", 2, h, Tanh()), nil
		}, `"W" declared twice`},
		{"sticky", func(b *graph.Builder, x *G.Node) (*G.Node, error) {
			h := Dense(b, "W1", -1, x, Tanh())
			if h != nil {
				panic("want nil after a failure")
			}
			h = Dense(b, "W2", 2, h, Tanh(), WithBias())
			h = Conv(b, "C3", 2, h, Tanh())
			return Linear(b, "W4", 1, h), nil
		}, `dense layer "W1": output size -1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := graph.New(3, c.build, l2{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
	assert.Nil(t, Dense(nil, "W", 2, nil, Tanh()))
	assert.Nil(t, Conv(nil, "C", 2, nil, Tanh()))
}

// TestBatchOfOne: 1×1 outputs (d_J = 1, B = 1) stay matrices through the
// activation ops.
func TestBatchOfOne(t *testing.T) {
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := Dense(b, "W1", 3, x, Softplus(), WithBias())
		return Dense(b, "W2", 1, h, Logistic(), WithBias()), nil
	}
	net, err := graph.New(2, build, l2{})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(4, 4))
	w := net.Init(rng)
	checkDerivatives(t, net, randn(rng, 2), []float64{0.3}, w, rng)
}

package layers

import (
	"errors"
	"math"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// activationCase pairs an activation with an independent scalar oracle.
type activationCase struct {
	f      Func
	oracle func(x float64) float64
	kinks  []float64 // points where a derivative jumps
}

func activationCases() []activationCase {
	elu := func(a, s float64) func(float64) float64 {
		return func(x float64) float64 {
			if x > 0 {
				return s * x
			}
			return s * a * (math.Exp(x) - 1)
		}
	}
	leaky := func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return a * x
		}
	}
	isru := func(a float64) func(float64) float64 {
		return func(x float64) float64 { return x / math.Sqrt(1+a*x*x) }
	}
	softexp := func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			switch {
			case a < 0:
				return -math.Log(1-a*(x+a)) / a
			case a > 0:
				return (math.Exp(a*x)-1)/a + a
			}
			return x
		}
	}
	return []activationCase{
		{f: Identity(), oracle: func(x float64) float64 { return x }},
		{f: Logistic(), oracle: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{f: Tanh(), oracle: math.Tanh},
		{f: Softplus(), oracle: func(x float64) float64 {
			switch {
			case x > 40:
				return x // e^{−x} is below x's ulp
			case x < -40:
				return math.Exp(x)
			}
			return math.Log1p(math.Exp(x))
		}},
		{f: ReLU(), oracle: func(x float64) float64 { return math.Max(x, 0) }, kinks: []float64{0}},
		{f: LeakyReLU(0.1), oracle: leaky(0.1), kinks: []float64{0}},
		{f: ELU(1), oracle: elu(1, 1), kinks: []float64{0}},
		{f: ELU(0.5), oracle: elu(0.5, 1), kinks: []float64{0}},
		{f: SELU(), oracle: elu(SELUAlpha, SELULambda), kinks: []float64{0}},
		{f: ISRU(1), oracle: isru(1)},
		{f: ISRU(0.3), oracle: isru(0.3)},
		{f: ISRLU(1), oracle: func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return isru(1)(x)
		}, kinks: []float64{0}},
		{f: BentIdentity(), oracle: func(x float64) float64 { return (math.Sqrt(x*x+1)-1)/2 + x }},
		{f: SoftExponential(0.5), oracle: softexp(0.5)},
		{f: SoftExponential(-0.5), oracle: softexp(-0.5)},
		{f: SoftExponential(0), oracle: softexp(0)},
	}
}

var forwardGrid = []float64{-800, -50, -20, -5, -1.3, -1, -0.3, 0, 0.3, 1, 5, 20, 50, 800}

// applyValues evaluates f.Apply on a 1×n input through a Gorgonia graph.
func applyValues(t *testing.T, f Activation, xs []float64) []float64 {
	t.Helper()
	g := G.NewGraph()
	in := tensor.New(tensor.WithShape(1, len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(1, len(xs)), G.WithName("x"), G.WithValue(in))
	y, err := f.Apply(x)
	require.NoError(t, err)
	if y == x {
		return append([]float64(nil), xs...)
	}
	m := G.NewTapeMachine(g) // the logistic is more than one node
	defer m.Close()
	require.NoError(t, m.RunAll())
	return append([]float64(nil), y.Value().Data().([]float64)...)
}

func closeTo(want, got, rel float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func TestActivationForwardMatchesOracle(t *testing.T) {
	for _, c := range activationCases() {
		t.Run(c.f.String(), func(t *testing.T) {
			graphVals := applyValues(t, c.f, forwardGrid)
			lo, _ := c.f.Domain()
			for i, x := range forwardGrid {
				got := c.f.Eval(x)
				want := c.oracle(x)
				assert.Truef(t, closeTo(want, got, 1e-12), "%s(%v) = %v, oracle %v", c.f, x, got, want)
				assert.Equalf(t, math.Float64bits(got), math.Float64bits(graphVals[i]), "%s(%v): Eval %v, graph op %v", c.f, x, got, graphVals[i])
				if x > lo {
					assert.Falsef(t, math.IsNaN(got) || math.IsInf(got, 0), "%s(%v) = %v inside the domain", c.f, x, got)
					for k := 1; k <= maxOrder; k++ {
						d := c.f.Deriv(x, k)
						assert.Falsef(t, math.IsNaN(d) || math.IsInf(d, 0), "%s^(%d)(%v) = %v", c.f, k, x, d)
					}
				} else {
					assert.Truef(t, math.IsNaN(got), "%s(%v) = %v outside the domain, want NaN", c.f, x, got)
				}
			}
		})
	}
}

func TestActivationExtremeValues(t *testing.T) {
	cases := []struct {
		name      string
		got, want float64
	}{
		{"softplus(800)", Softplus().Eval(800), 800},
		{"softplus(-800)", Softplus().Eval(-800), 0},
		{"softplus(17)", Softplus().Eval(17), 17 + math.Exp(-17)},
		{"softplus'(800)", Softplus().Deriv(800, 1), 1},
		{"logistic(-800)", Logistic().Eval(-800), 0},
		{"logistic(800)", Logistic().Eval(800), 1},
		{"logistic(20)", Logistic().Eval(20), 1 / (1 + math.Exp(-20))},
		{"logistic'(40)", Logistic().Deriv(40, 1), math.Exp(-40) / math.Pow(1+math.Exp(-40), 2)},
		{"logistic'(-800)", Logistic().Deriv(-800, 1), 0},
		{"tanh(-800)", Tanh().Eval(-800), -1},
		{"tanh'(20)", Tanh().Deriv(20, 1), 4 * math.Exp(-40) / math.Pow(1+math.Exp(-40), 2)},
		{"isru(1e300)", ISRU(1).Eval(1e300), 1},
		{"isru(-1e300)", ISRU(4).Eval(-1e300), -0.5},
		{"isru'(1e300)", ISRU(1).Deriv(1e300, 1), 0},
		{"isrlu(-1e300)", ISRLU(1).Eval(-1e300), -1},
		{"bent(1e300)", BentIdentity().Eval(1e300), 1.5e300},
		{"bent(-1e300)", BentIdentity().Eval(-1e300), -0.5e300},
		{"bent(1e-9)", BentIdentity().Eval(1e-9), 1e-9 + 0.25e-18},
		{"elu(-800)", ELU(1).Eval(-800), -1},
		{"selu(-800)", SELU().Eval(-800), -SELULambda * SELUAlpha},
		{"softexp(0.5)(-800)", SoftExponential(0.5).Eval(-800), -1.5},
		// a·x > 709.78: the true value exceeds the float64 range (documented).
		{"softexp(2)(800)", SoftExponential(2).Eval(800), math.Inf(1)},
		// a < 0: −Inf at the domain's boundary x = 1/a − a, NaN below it.
		{"softexp(-0.5)(-1.5)", SoftExponential(-0.5).Eval(-1.5), math.Inf(-1)},
		{"softexp(-0.5)(-2)", SoftExponential(-0.5).Eval(-2), math.NaN()},
		{"softexp(-0.5)'(-2)", SoftExponential(-0.5).Deriv(-2, 1), math.NaN()},
		{"softexp(-1)(e)", SoftExponential(-1).Eval(math.E), 1}, // log(x)
		// Kinks: the right derivative.
		{"relu'(0)", ReLU().Deriv(0, 1), 1},
		{"leakyrelu(0.1)'(0)", LeakyReLU(0.1).Deriv(0, 1), 1},
		{"leakyrelu(0.1)'(-1e-300)", LeakyReLU(0.1).Deriv(-1e-300, 1), 0.1},
		{"elu(0.5)'(0)", ELU(0.5).Deriv(0, 1), 1},
		{"elu(0.5)''(0)", ELU(0.5).Deriv(0, 2), 0},
		{"isrlu'(0)", ISRLU(1).Deriv(0, 1), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Truef(t, closeTo(c.want, c.got, 1e-14), "got %v, want %v", c.got, c.want)
		})
	}
	lo, hi := SoftExponential(-0.5).Domain()
	assert.Equal(t, -1.5, lo)
	assert.True(t, math.IsInf(hi, 1))
}

// TestActivationDerivatives checks each closed-form derivative against a
// central difference of the one below it, away from kinks.
func TestActivationDerivatives(t *testing.T) {
	points := []float64{-3, -1.2, -0.4, 0.35, 0.9, 2.5, 7}
	for _, c := range activationCases() {
		t.Run(c.f.String(), func(t *testing.T) {
			lo, _ := c.f.Domain()
			for _, x := range points {
				if x <= lo+0.1 {
					continue
				}
				for k := 1; k <= maxOrder; k++ {
					h := 1e-5 * math.Max(1, math.Abs(x))
					fd := (c.f.Deriv(x+h, k-1) - c.f.Deriv(x-h, k-1)) / (2 * h)
					d := c.f.Deriv(x, k)
					assert.InDeltaf(t, fd, d, 1e-7*math.Max(1, math.Abs(fd)), "%s^(%d)(%v)", c.f, k, x)
				}
				assert.Equal(t, c.f.Eval(x), c.f.Deriv(x, 0))
			}
			assert.True(t, math.IsNaN(c.f.Deriv(1, maxOrder+1)))
			assert.True(t, math.IsNaN(c.f.Deriv(1, -1)))
		})
	}
}

func TestActivationShapes(t *testing.T) {
	type sh = graph.Shape
	cvxInc := sh{Convex: true, NonDecreasing: true}
	ccvInc := sh{Concave: true, NonDecreasing: true}
	inc := sh{NonDecreasing: true}
	affine := sh{Convex: true, Concave: true, NonDecreasing: true}
	cases := []struct {
		f    Func
		want graph.Shape
	}{
		{Identity(), affine},
		{Logistic(), inc},
		{Tanh(), inc},
		{Softplus(), cvxInc},
		{ReLU(), cvxInc},
		{LeakyReLU(0.01), cvxInc},
		{LeakyReLU(1), affine},
		{LeakyReLU(2), ccvInc},
		{LeakyReLU(-0.5), sh{Convex: true}},
		{ELU(1), cvxInc},
		{ELU(0.5), cvxInc},
		{ELU(2), inc},
		{ELU(-1), sh{}},
		{SELU(), inc}, // Appendix A.1 says convex: false
		{ISRU(1), inc},
		{ISRU(0), affine},
		{ISRLU(1), cvxInc},
		{BentIdentity(), cvxInc},
		{SoftExponential(0.7), cvxInc},
		{SoftExponential(0), affine},
		{SoftExponential(-0.7), ccvInc},
	}
	for _, c := range cases {
		t.Run(c.f.String(), func(t *testing.T) {
			assert.Equal(t, c.want, c.f.Shape())
		})
	}
}

// TestActivationShapesNumerically checks the convexity and monotonicity
// flags against the closed-form derivatives on a grid (and, for kinks, the
// one-sided slopes).
func TestActivationShapesNumerically(t *testing.T) {
	for _, c := range activationCases() {
		t.Run(c.f.String(), func(t *testing.T) {
			s := c.f.Shape()
			lo, _ := c.f.Domain()
			minD1, minD2, maxD2 := math.Inf(1), math.Inf(1), math.Inf(-1)
			for x := -8.0; x <= 8; x += 0.01 {
				if x <= lo {
					continue
				}
				minD1 = math.Min(minD1, c.f.Deriv(x, 1))
				d2 := c.f.Deriv(x, 2)
				minD2, maxD2 = math.Min(minD2, d2), math.Max(maxD2, d2)
			}
			for _, k := range c.kinks { // slope jump at a kink acts like a point mass of f''
				jump := c.f.Deriv(k+1e-9, 1) - c.f.Deriv(k-1e-9, 1)
				minD2, maxD2 = math.Min(minD2, jump), math.Max(maxD2, jump)
			}
			assert.Equal(t, minD2 >= 0, s.Convex, "convex")
			assert.Equal(t, maxD2 <= 0, s.Concave, "concave")
			assert.Equal(t, minD1 >= 0, s.NonDecreasing, "non-decreasing")
			assert.False(t, s.NonIncreasing)
		})
	}
}

func TestActivationByName(t *testing.T) {
	cases := []struct {
		name   string
		params []float64
		want   string
	}{
		{"identity", nil, "identity"},
		{"Linear", nil, "identity"},
		{"sigmoid", nil, "logistic"},
		{"tanh", nil, "tanh"},
		{"softplus", nil, "softplus"},
		{"ReLU", nil, "relu"},
		{"leaky_relu", nil, "leakyrelu(0.01)"},
		{"leaky-relu", []float64{0.2}, "leakyrelu(0.2)"},
		{"elu", nil, "elu(1)"},
		{"elu", []float64{0.5}, "elu(0.5)"},
		{"selu", nil, "selu"},
		{"isru", nil, "isru(1)"},
		{"isrlu", []float64{2}, "isrlu(2)"},
		{"bent", nil, "bentidentity"},
		{"softexp", []float64{-0.5}, "softexponential(-0.5)"},
		{"Soft Exponential", []float64{0.5}, "softexponential(0.5)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ActivationByName(c.name, c.params...)
			require.NoError(t, err)
			assert.Equal(t, c.want, a.(Func).String())
		})
	}
	for _, n := range Activations() {
		a, err := ActivationByName(n)
		if n == "softexponential" {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "needs its parameter")
			continue
		}
		require.NoError(t, err, n)
		assert.Equal(t, n, a.Name())
	}

	bad := []struct {
		name   string
		params []float64
		msg    string
	}{
		{"swish", nil, "unknown activation \"swish\" (valid: identity, logistic, tanh, softplus, relu, leakyrelu, elu, selu, isru, isrlu, bentidentity, softexponential)"},
		{"tanh", []float64{1}, "takes 0 parameter"},
		{"elu", []float64{1, 2}, "takes 1 parameter"},
		{"elu", []float64{math.NaN()}, "not finite"},
		{"isru", []float64{-1}, "must be ≥ 0"},
		{"softexponential", []float64{math.Inf(1)}, "not finite"},
	}
	for _, c := range bad {
		t.Run("bad/"+c.name, func(t *testing.T) {
			_, err := ActivationByName(c.name, c.params...)
			require.Error(t, err)
			assert.True(t, errors.Is(err, graph.ErrArgument))
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestActivationApplyErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	_, err := ELU(math.NaN()).Apply(x)
	require.ErrorIs(t, err, graph.ErrArgument)
	_, err = Func{}.Apply(x)
	require.ErrorIs(t, err, graph.ErrArgument)
	_, err = Tanh().Apply(nil)
	require.ErrorIs(t, err, graph.ErrArgument)
	x32 := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x32"))
	_, err = Tanh().Apply(x32)
	require.ErrorIs(t, err, graph.ErrShape)

	// Equal functions share a node (hash equality); different parameters do not.
	a := G.Must(ELU(0.5).Apply(x))
	b := G.Must(ELU(0.5).Apply(x))
	c := G.Must(ELU(0.6).Apply(x))
	assert.Same(t, a, b)
	assert.NotSame(t, a, c)
	assert.Same(t, x, G.Must(Identity().Apply(x)))
}

// TestActOpScalarValues covers Do on scalar values.
func TestActOpScalarValues(t *testing.T) {
	op := newActOp(famTanh, 0, 0, 1)
	v, err := op.Do(G.NewF64(0.5))
	require.NoError(t, err)
	assert.InDelta(t, math.Tanh(0.5), float64(*v.(*G.F64)), 1e-16)
	v, err = op.Do(tensor.New(tensor.FromScalar(0.5)))
	require.NoError(t, err)
	assert.InDelta(t, math.Tanh(0.5), v.Data().(float64), 1e-16)
	_, err = op.Do(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2})))
	require.Error(t, err)
	_, err = op.Do()
	require.Error(t, err)
}

func TestExpTable(t *testing.T) {
	worst := 0.0
	for x := -708.0; x <= 708; x += 0.000731 {
		a, b := expTable(x), math.Exp(x)
		if e := math.Abs(a-b) / b; e > worst {
			worst = e
		}
	}
	for _, x := range []float64{-708, -1e-300, 0, 1e-300, 1, -1, 708, math.Ln2, -math.Ln2 / 128} {
		assert.InDelta(t, 1.0, expTable(x)/math.Exp(x), 4e-16, "x=%v", x)
	}
	assert.Less(t, worst, 4e-16)
}

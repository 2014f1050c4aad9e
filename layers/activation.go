package layers

import (
	"fmt"
	"math"
	"strings"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Activation is an elementwise activation function Σ_j of the seed paper's
// layer model Z_j = Σ_j(W_j Z_{j−1}).
//
// Apply must build its result from symbolically differentiable Gorgonia ops
// whose derivative nodes are differentiable again (package graph computes
// Hessian-vector products by reverse-over-reverse sweeps). Shape reports the
// curvature and monotonicity of the scalar function, the facts the paper's
// Proposition 1 combines; it must be exact (when in doubt, leave a flag
// false).
type Activation interface {
	// Name is the activation's short name, as accepted by ActivationByName.
	Name() string
	// Apply returns the node Σ(x), elementwise, with x's shape.
	Apply(x *G.Node) (*G.Node, error)
	// Shape is the convexity and monotonicity of the scalar function.
	Shape() graph.Shape
}

// SELU's constants (Klambauer et al., 2017).
const (
	SELULambda = 1.0507009873554805
	SELUAlpha  = 1.6732632423543772
)

// Func is a built-in activation: a scalar function with closed-form
// derivatives up to the third order, applied elementwise by a custom Gorgonia
// op (see the package documentation). The zero Func is not valid; use the
// constructors or ActivationByName.
type Func struct {
	name   string
	params []float64
	op     actOp
	shape  graph.Shape
	lo, hi float64 // open domain (lo, hi) on which values are finite
	err    error
}

var _ Activation = Func{}

func newFunc(name string, params []float64, fam family, a, s float64, shape graph.Shape) Func {
	f := Func{name: name, params: params, op: newActOp(fam, 0, a, s), shape: shape, lo: math.Inf(-1), hi: math.Inf(1)}
	for _, p := range params {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			f.err = fmt.Errorf("layers: activation %s: parameter %v is not finite: %w", f, p, graph.ErrArgument)
		}
	}
	return f
}

var identityShape = graph.Shape{Convex: true, Concave: true, NonDecreasing: true}

// Identity is Σ(x) = x (deep linear networks, Section 5.2): convex and
// concave (affine), non-decreasing. Apply returns its input node unchanged.
func Identity() Func { return newFunc("identity", nil, famIdentity, 0, 1, identityShape) }

// Logistic is the sigmoid σ(x) = 1/(1+e^{−x}), the activation of the paper's
// BodyFat experiment. It is neither convex nor concave (convex for x < 0,
// concave for x > 0) and increasing. Values are exact in both tails
// (σ(−745) = 5e-324 and σ(−800) = 0, not clamped; σ(40) = 1 − 4.2e-18
// rounds to 1) and the graph's derivative node is σ(1−σ) only up to x = 3
// and e^{−x}·σ² beyond, so it does not vanish early (σ'(37) = 8.5e-17,
// σ'(700) = 9.9e-305). Apply builds one node σ (and on differentiation σ'
// from x and σ), so a loss that wants the logit (losses.CrossEntropy)
// finds it as the σ node's operand. Not in Appendix A.1's list (correctly,
// since it is not convex).
func Logistic() Func {
	return newFunc("logistic", nil, famLogistic, 0, 1, graph.Shape{NonDecreasing: true})
}

// Tanh is the hyperbolic tangent: neither convex nor concave, increasing.
// Not in Appendix A.1's list (correctly).
func Tanh() Func { return newFunc("tanh", nil, famTanh, 0, 1, graph.Shape{NonDecreasing: true}) }

// Softplus is log(1+e^x), evaluated as max(x,0) + log1p(e^{−|x|}) so that
// softplus(800) = 800 and softplus(−800) = 0 without overflow: convex and
// increasing (Appendix A.1 lists it; correct). Its derivative is the logistic
// function.
func Softplus() Func {
	return newFunc("softplus", nil, famSoftplus, 0, 1, graph.Shape{Convex: true, NonDecreasing: true})
}

// ReLU is max(x, 0): convex and non-decreasing, with second derivative 0
// almost everywhere (its derivative, the step function, is treated as a
// constant by the reverse sweeps; at 0 the right derivative 1 is used). The
// paper lists only "differentiable variants" of the ReLU in Appendix A.1;
// ReLU itself is convex and non-decreasing too, but not differentiable at 0,
// so Assumption 2 (smooth activations) does not cover it.
func ReLU() Func {
	return newFunc("relu", nil, famLeaky, 0, 1, graph.Shape{Convex: true, NonDecreasing: true})
}

// LeakyReLU is x for x ≥ 0 and a·x for x < 0. It is convex iff a ≤ 1,
// concave iff a ≥ 1 (a = 1 is the identity) and non-decreasing iff a ≥ 0.
// Appendix A.1 lists the leaky and parametric ReLU as convex; that holds for
// 0 ≤ a ≤ 1 only (and, like ReLU, they are not differentiable at 0).
func LeakyReLU(a float64) Func {
	return newFunc("leakyrelu", []float64{a}, famLeaky, a, 1, graph.Shape{
		Convex: a <= 1, Concave: a >= 1, NonDecreasing: a >= 0, NonIncreasing: false,
	})
}

// ELU is the exponential linear unit: x for x > 0 and a(e^x − 1) for x ≤ 0
// (Clevert et al., 2016). It is convex iff 0 ≤ a ≤ 1 (for a > 1 the slope
// drops from a to 1 at 0) and non-decreasing iff a ≥ 0; it is never concave.
// Appendix A.1 lists it as convex: true only for a ≤ 1 (the common a = 1 is
// fine; for a ≠ 1 it is not differentiable at 0).
func ELU(a float64) Func {
	return newFunc("elu", []float64{a}, famELU, a, 1, graph.Shape{
		Convex: a >= 0 && a <= 1, NonDecreasing: a >= 0,
	})
}

// SELU is the scaled ELU λ·ELU_α with λ = SELULambda, α = SELUAlpha
// (Klambauer et al., 2017). It is increasing but NOT convex: its slope falls
// from λα ≈ 1.758 just left of 0 to λ ≈ 1.051 right of 0. Appendix A.1 lists
// the scaled exponential unit among the convex activations; that is false.
func SELU() Func {
	return newFunc("selu", nil, famELU, SELUAlpha, SELULambda, graph.Shape{NonDecreasing: true})
}

// ISRU is the inverse square-root unit x/√(1+a x²), a ≥ 0 (Carlile et al.,
// 2017), a sigmoid-shaped function with range (−1/√a, 1/√a). For a > 0 it is
// increasing but neither convex nor concave (convex for x < 0, concave for
// x > 0); a = 0 is the identity. Appendix A.1's "inverse square-root" ReLU
// variant is presumably ISRLU (which is convex); read as ISRU the claim is
// false.
func ISRU(a float64) Func {
	if a == 0 {
		f := Identity()
		f.name, f.params = "isru", []float64{a}
		return f
	}
	f := newFunc("isru", []float64{a}, famISRU, a, 1, graph.Shape{NonDecreasing: true})
	if a < 0 && f.err == nil {
		f.err = fmt.Errorf("layers: activation %s: parameter a = %v must be ≥ 0: %w", f, a, graph.ErrArgument)
	}
	return f
}

// ISRLU is the inverse square-root linear unit: x for x ≥ 0 and x/√(1+a x²)
// for x < 0, a ≥ 0 (Carlile et al., 2017). It is convex and increasing (its
// second derivative −3ax(1+ax²)^{−5/2} is ≥ 0 for x < 0 and it is C² at 0),
// so Appendix A.1's "inverse square-root" ReLU variant is correct for it.
func ISRLU(a float64) Func {
	if a == 0 {
		f := Identity()
		f.name, f.params = "isrlu", []float64{a}
		return f
	}
	f := newFunc("isrlu", []float64{a}, famISRLU, a, 1, graph.Shape{Convex: true, NonDecreasing: true})
	if a < 0 && f.err == nil {
		f.err = fmt.Errorf("layers: activation %s: parameter a = %v must be ≥ 0: %w", f, a, graph.ErrArgument)
	}
	return f
}

// BentIdentity is (√(x²+1) − 1)/2 + x, evaluated as x²/(2(√(x²+1)+1)) + x
// without cancellation or overflow. Its second derivative (x²+1)^{−3/2}/2 is
// positive and its slope lies in (1/2, 3/2): convex and increasing, as
// Appendix A.1 says.
func BentIdentity() Func {
	return newFunc("bentidentity", nil, famBent, 0, 1, graph.Shape{Convex: true, NonDecreasing: true})
}

// SoftExponential is the soft exponential function of Godfrey and Gashler
// (2015) with a fixed parameter a:
//
//	a < 0: −log(1 − a(x + a))/a
//	a = 0: x
//	a > 0: (e^{ax} − 1)/a + a
//
// For a > 0 it is convex and increasing; it overflows to +Inf once
// a·x > 709.78 (the true value exceeds the float64 range). For a < 0 it is
// concave and increasing on its domain x > 1/a − a only: at x = 1/a − a the
// value is −Inf, below it the value and all derivatives are NaN, and an
// objective evaluated there is NaN (solvers must reject such steps; no error
// is raised by the graph). Domain reports the interval. Appendix A.1 lists
// soft exponential as convex (true for a ≥ 0 only) and its "log-type" subset
// as concave (true: a < 0).
func SoftExponential(a float64) Func {
	var shape graph.Shape
	switch {
	case a > 0:
		shape = graph.Shape{Convex: true, NonDecreasing: true}
	case a < 0:
		shape = graph.Shape{Concave: true, NonDecreasing: true}
	default:
		shape = identityShape
	}
	fam := famSoftExp
	if a == 0 {
		fam = famIdentity
	}
	f := newFunc("softexponential", []float64{a}, fam, a, 1, shape)
	if a < 0 {
		f.lo = 1/a - a
	}
	return f
}

// Name is the activation's canonical name, as accepted by ActivationByName.
func (f Func) Name() string { return f.name }

// String is the name with its parameters, e.g. "elu(0.5)".
func (f Func) String() string {
	if len(f.params) == 0 {
		return f.name
	}
	s := make([]string, len(f.params))
	for i, p := range f.params {
		s[i] = fmt.Sprintf("%g", p)
	}
	return f.name + "(" + strings.Join(s, ",") + ")"
}

// Params returns a copy of the activation's parameters (nil if it has none).
func (f Func) Params() []float64 { return append([]float64(nil), f.params...) }

// Shape is the scalar function's convexity and monotonicity (Proposition 1).
func (f Func) Shape() graph.Shape { return f.shape }

// Domain is the open interval (lo, hi) on which the function is finite
// (−Inf, +Inf except for SoftExponential with a < 0).
func (f Func) Domain() (lo, hi float64) { return f.lo, f.hi }

// Validate reports an invalid parameter (not finite, or out of range).
func (f Func) Validate() error {
	if f.name == "" {
		return fmt.Errorf("layers: zero Func is not an activation (use a constructor): %w", graph.ErrArgument)
	}
	return f.err
}

// Eval returns f(x), computed by the same kernel as Apply.
func (f Func) Eval(x float64) float64 { return f.op.eval(x) }

// Deriv returns the derivative of order k (0 ≤ k ≤ 3) at x, as the graph's
// derivative nodes compute it; NaN for other k. At the kinks of the ReLU
// family (x = 0) the right derivative is returned.
func (f Func) Deriv(x float64, k int) float64 {
	if k < 0 || k > maxOrder {
		return math.NaN()
	}
	return newActOp(f.op.fam, k, f.op.a, f.op.s).eval(x)
}

// Apply returns Σ(x) elementwise. x must be a float64 node. Identity returns
// x itself.
func (f Func) Apply(x *G.Node) (*G.Node, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("layers: activation %s: nil input: %w", f, graph.ErrArgument)
	}
	if x.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("layers: activation %s: input %q has dtype %v, want float64: %w", f, x.Name(), x.Dtype(), graph.ErrShape)
	}
	if f.op.fam == famIdentity {
		return x, nil
	}
	var y *G.Node
	var err error
	if f.op.fam == famLogistic {
		y, err = logisticNode(x) // exact, cheap σ' (logistic.go)
	} else {
		y, err = G.ApplyOp(f.op, x)
	}
	if err != nil {
		return nil, fmt.Errorf("layers: activation %s: %w", f, err)
	}
	return y, nil
}

// activationSpec describes one name accepted by ActivationByName.
type activationSpec struct {
	name     string
	aliases  []string
	defaults []float64 // default parameters; nil with nparams > 0 means required
	nparams  int
	make     func(p []float64) Func
}

var activationSpecs = []activationSpec{
	{name: "identity", aliases: []string{"linear", "id"}, make: func([]float64) Func { return Identity() }},
	{name: "logistic", aliases: []string{"sigmoid"}, make: func([]float64) Func { return Logistic() }},
	{name: "tanh", make: func([]float64) Func { return Tanh() }},
	{name: "softplus", make: func([]float64) Func { return Softplus() }},
	{name: "relu", aliases: []string{"rectify"}, make: func([]float64) Func { return ReLU() }},
	{name: "leakyrelu", aliases: []string{"lrelu", "prelu"}, nparams: 1, defaults: []float64{0.01}, make: func(p []float64) Func { return LeakyReLU(p[0]) }},
	{name: "elu", nparams: 1, defaults: []float64{1}, make: func(p []float64) Func { return ELU(p[0]) }},
	{name: "selu", make: func([]float64) Func { return SELU() }},
	{name: "isru", nparams: 1, defaults: []float64{1}, make: func(p []float64) Func { return ISRU(p[0]) }},
	{name: "isrlu", nparams: 1, defaults: []float64{1}, make: func(p []float64) Func { return ISRLU(p[0]) }},
	{name: "bentidentity", aliases: []string{"bent"}, make: func([]float64) Func { return BentIdentity() }},
	{name: "softexponential", aliases: []string{"softexp"}, nparams: 1, make: func(p []float64) Func { return SoftExponential(p[0]) }},
}

// Activations lists the canonical names ActivationByName accepts, in a
// fixed order. All but "softexponential" have default parameters.
func Activations() []string {
	names := make([]string, len(activationSpecs))
	for i, s := range activationSpecs {
		names[i] = s.name
	}
	return names
}

func normalizeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("-", "", "_", "", " ", "").Replace(s)
}

// ActivationByName returns the activation called name (case-insensitive;
// '-', '_' and spaces are ignored, so "leaky_relu" works) with optional
// parameters: leakyrelu(a = 0.01), elu(a = 1), isru(a = 1), isrlu(a = 1),
// softexponential(a, required). Aliases: linear → identity, sigmoid →
// logistic, rectify → relu, lrelu/prelu → leakyrelu, bent → bentidentity,
// softexp → softexponential. Unknown names, wrong parameter counts and
// invalid parameters are errors wrapping graph.ErrArgument.
func ActivationByName(name string, params ...float64) (Activation, error) {
	key := normalizeName(name)
	for _, s := range activationSpecs {
		match := key == s.name
		for _, al := range s.aliases {
			match = match || key == al
		}
		if !match {
			continue
		}
		p := params
		switch {
		case len(p) > s.nparams:
			return nil, fmt.Errorf("layers: activation %q takes %d parameter(s), got %d: %w", s.name, s.nparams, len(p), graph.ErrArgument)
		case len(p) < s.nparams && s.defaults == nil:
			return nil, fmt.Errorf("layers: activation %q needs its parameter a (e.g. %s(0.5) or %s(-0.5)): %w", s.name, s.name, s.name, graph.ErrArgument)
		case len(p) < s.nparams:
			p = s.defaults
		}
		f := s.make(p)
		if err := f.Validate(); err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("layers: unknown activation %s (valid: %s): %w", quote.Quote(name), strings.Join(Activations(), ", "), graph.ErrArgument)
}

package losses

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrLabel reports targets a loss does not accept; CheckLabels wraps it.
var ErrLabel = errors.New("invalid label")

// Loss names, as accepted by ByName and returned by Name.
const (
	NameL2                     = "l2"
	NameExponential            = "exponential"
	NameCrossEntropy           = "cross-entropy"
	NameCrossEntropyWithLogits = "cross-entropy-with-logits"
	NameSquaredHinge           = "squared-hinge"
	NameLogistic               = "logistic"
	NameSoftmaxCrossEntropy    = "softmax-cross-entropy"
)

var names = []string{
	NameL2, NameExponential, NameCrossEntropy, NameCrossEntropyWithLogits,
	NameSquaredHinge, NameLogistic, NameSoftmaxCrossEntropy,
}

// Names lists the losses ByName knows, in a fixed order.
func Names() []string { return append([]string(nil), names...) }

// ByName returns the loss called name. exponential and squared-hinge take
// one optional parameter c > 0 (default 1); the other losses take none.
func ByName(name string, params ...float64) (graph.Loss, error) {
	c := 1.0
	switch name {
	case NameExponential, NameSquaredHinge:
		if len(params) > 1 {
			return nil, fmt.Errorf("losses: %s takes at most one parameter c, got %d: %w", name, len(params), graph.ErrArgument)
		}
		if len(params) == 1 {
			c = params[0]
		}
		if err := checkC(name, c); err != nil {
			return nil, err
		}
	default:
		if len(params) > 0 {
			if !known(name) {
				break
			}
			return nil, fmt.Errorf("losses: %s takes no parameters, got %d: %w", name, len(params), graph.ErrArgument)
		}
	}
	switch name {
	case NameL2:
		return L2(), nil
	case NameExponential:
		return Exponential(c), nil
	case NameCrossEntropy:
		return CrossEntropy(), nil
	case NameCrossEntropyWithLogits:
		return CrossEntropyWithLogits(), nil
	case NameSquaredHinge:
		return SquaredHinge(c), nil
	case NameLogistic:
		return Logistic(), nil
	case NameSoftmaxCrossEntropy:
		return SoftmaxCrossEntropy(), nil
	}
	return nil, fmt.Errorf("losses: unknown loss %s; valid names: %s: %w", quote.Quote(name), strings.Join(names, ", "), graph.ErrArgument)
}

func known(name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func checkC(name string, c float64) error {
	if !(c > 0) || math.IsInf(c, 0) {
		return fmt.Errorf("losses: %s parameter c = %v must be positive and finite: %w", name, c, graph.ErrArgument)
	}
	return nil
}

// L2 is the squared-error loss of the paper's regression problem (16),
// ℓ = (1/B)‖Y − H‖²_F, with ∇_H ℓ = (2/B)(H − Y) (A.11). It is convex in H,
// not monotone.
func L2() graph.Loss { return l2Loss{} }

type l2Loss struct{}

func (l2Loss) Name() string       { return NameL2 }
func (l2Loss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (l2Loss) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameL2, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		s, err := G.Sum(must(G.Square(must(G.Sub(y, h)))))
		if err != nil {
			return nil, err
		}
		return G.Mul(scalar(g, 1/float64(cols)), s)
	})
}

// Exponential is the exponential loss (A.12), ℓ = c·exp(S/(cB)) with
// S = ‖Y − H‖²_F, for c > 0 (Build fails otherwise). Its gradient is
//
//	∇_H ℓ = (2/B)(H − Y)·exp(S/(cB)),
//
// checked against finite differences in the tests. The paper's (A.13),
// 2(H − Y)·exp((1/c)‖Y − H‖²_F), omits the 1/B (1/N in the paper) of the
// prefactor and of the exponent and disagrees with finite differences
// whenever B > 1.
//
// Shape: convex in H, but not monotone in H. The paper (Appendix A.1, §6)
// calls the loss "convex and monotonically increasing", which is true of
// t ↦ c·exp(t/(cB)) as a function of the squared error t = S, not of H:
// ℓ decreases in Hᵢₙ wherever Hᵢₙ < Yᵢₙ. Proposition 1's condition C1 needs
// ℓ non-decreasing in H, which this loss does not give.
//
// The value overflows to +Inf once S/(cB) exceeds about 709; choose c of the
// order of the squared error per sample or larger.
func Exponential(c float64) graph.Loss { return expLoss{c: c} }

type expLoss struct{ c float64 }

func (expLoss) Name() string       { return NameExponential }
func (expLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (l expLoss) Build(h, y *G.Node) (*G.Node, error) {
	if err := checkC(NameExponential, l.c); err != nil {
		return nil, err
	}
	return build(NameExponential, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		// S = 1ᵀ (Y−H)∘(Y−H) 1 as a 1×1 matrix rather than a scalar
		// node: evaluated by Gorgonia's own Do, the derivative of Exp of
		// a scalar multiplies a float64 by a 0-d tensor and fails
		// ("Type Mismatch: float64 != Tensor-0 float64").
		sq := must(G.Square(must(G.Sub(y, h))))
		s := must(G.Mul(must(G.Mul(ones(g, 1, rows), sq)), ones(g, cols, 1)))
		e := must(G.Exp(must(G.Mul(scalar(g, 1/(l.c*float64(cols))), s))))
		return G.Sum(must(G.Mul(scalar(g, l.c), e)))
	})
}

// CrossEntropy is the binary cross-entropy (A.14) of probabilities H, e.g.
// from a logistic output layer:
//
//	ℓ = −(1/B)Σ[Y log H + (1−Y) log(1−H)],  ∇_H ℓ = (1/B)[(1−Y)/(1−H) − Y/H].
//
// (The paper's (A.15) multiplies the second term by an extra H; finite
// differences agree with the formula above.) When H is the output of a
// logistic op (layers.Logistic, Gorgonia's Sigmoid), H = σ(Z), the loss is
// evaluated from the logits as (1/B)Σ[Y·softplus(−Z) + (1−Y)·softplus(Z)]
// and differentiated in Z: value, gradient and Hessian are then exact for
// any finite logit (a logit of −800 with Y = 1 costs 800, not the 708 of a
// clamped or rounded σ). Otherwise H is not clamped — a clamp has zero
// derivative where it is active, which would silently corrupt gradients and
// Hessians — so H must lie in [0, 1]: a term whose weight Y or 1−Y is
// exactly zero costs exactly zero (H = 0 with Y = 0 is fine), H = 0 with
// Y > 0 costs +Inf, and the curvature Y/H² overflows for H ≲ 1e-154. The
// Gauss-Newton curvature is always taken in H (see the package
// documentation); prefer CrossEntropyWithLogits for Gauss-Newton methods.
//
// Targets must lie in [0, 1] (CheckLabels). Convex in H on (0,1), not
// monotone.
func CrossEntropy() graph.Loss { return ceLoss{} }

type ceLoss struct{}

func (ceLoss) Name() string       { return NameCrossEntropy }
func (ceLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (ceLoss) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameCrossEntropy, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		terms := must(applyPointwise(famBCE, h, y))
		if z, ok := logitOf(h); ok {
			// h = σ(z): the same function of h, evaluated from z.
			terms = must(applyPointwise(famBCELogit, h, y, z))
		}
		s, err := G.Sum(terms)
		if err != nil {
			return nil, err
		}
		return G.Mul(scalar(g, 1/float64(cols)), s)
	})
}

// CheckLabels requires every target in [0, 1].
func (ceLoss) CheckLabels(y []float64, rows, cols int) error {
	return checkUnit(NameCrossEntropy, y, rows, cols)
}

// CrossEntropyWithLogits is the binary cross-entropy (A.14) of H = σ(Z)
// written in terms of the logits Z (use it with a linear output layer):
//
//	ℓ = (1/B)Σ[softplus(Z) − Y∘Z],  ∇_Z ℓ = (1/B)(σ(Z) − Y),
//
// evaluated term by term as Y·softplus(−Z) + (1−Y)·softplus(Z) (no
// cancellation: with Y = 1 and Z = 40 the loss is 4.2e-18, not 0), with
// softplus(z) = log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|), so the value,
// gradient σ(Z) − Y and curvature σ(Z)σ(−Z)/B keep full relative precision
// for any finite logits. This is the recommended cross-entropy.
//
// Targets must lie in [0, 1] (CheckLabels). Convex in Z, not monotone.
func CrossEntropyWithLogits() graph.Loss { return ceLogitsLoss{} }

type ceLogitsLoss struct{}

func (ceLogitsLoss) Name() string       { return NameCrossEntropyWithLogits }
func (ceLogitsLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (ceLogitsLoss) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameCrossEntropyWithLogits, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		s, err := G.Sum(must(applyPointwise(famLogitCE, h, y)))
		if err != nil {
			return nil, err
		}
		return G.Mul(scalar(g, 1/float64(cols)), s)
	})
}

// CheckLabels requires every target in [0, 1].
func (ceLogitsLoss) CheckLabels(y []float64, rows, cols int) error {
	return checkUnit(NameCrossEntropyWithLogits, y, rows, cols)
}

// SquaredHinge is the squared hinge loss (A.17) for labels ±1 and c > 0
// (Build fails otherwise):
//
//	ℓ = (1/(2cB))Σ max(0, 1 − Y∘H)²,  ∇_H ℓ = −(1/(cB)) Y∘max(0, 1 − Y∘H).
//
// It is once continuously differentiable; its second derivative is the step
// Y²/(cB)·[Y∘H < 1] (exact almost everywhere), so Hessian-vector products
// are exact away from the kink 1 − Y∘H = 0. Convex in H, not monotone.
func SquaredHinge(c float64) graph.Loss { return sqHingeLoss{c: c} }

type sqHingeLoss struct{ c float64 }

func (sqHingeLoss) Name() string       { return NameSquaredHinge }
func (sqHingeLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (l sqHingeLoss) Build(h, y *G.Node) (*G.Node, error) {
	if err := checkC(NameSquaredHinge, l.c); err != nil {
		return nil, err
	}
	return build(NameSquaredHinge, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		m := must(G.Sub(ones(g, rows, cols), must(G.HadamardProd(y, h))))
		s, err := G.Sum(must(applyPointwise(famSqPlus, m)))
		if err != nil {
			return nil, err
		}
		return G.Mul(scalar(g, 1/(2*l.c*float64(cols))), s)
	})
}

// CheckLabels requires every target to be −1 or +1.
func (sqHingeLoss) CheckLabels(y []float64, rows, cols int) error {
	return checkSigns(NameSquaredHinge, y, rows, cols)
}

// Logistic is the logistic loss (A.18) for labels ±1:
//
//	ℓ = (1/B)Σₙ log(1 + exp(−tₙ)),  tₙ = yₙᵀhₙ (column n of Y and H),
//
// evaluated as softplus(−tₙ) = max(−tₙ, 0) + log1p(e^−|tₙ|), which neither
// overflows for tₙ ≪ 0 nor loses the tail for tₙ ≫ 0. With dJ = 1 it is the
// usual binary logistic loss on a linear output. Convex in H (a convex
// function of the linear map H ↦ tₙ), not monotone.
func Logistic() graph.Loss { return logisticLoss{} }

type logisticLoss struct{}

func (logisticLoss) Name() string       { return NameLogistic }
func (logisticLoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (logisticLoss) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameLogistic, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		// t = 1ᵀ(Y∘H), 1×B, by a matrix product with a constant row of
		// ones (Mul is second-order safe; no axis reductions needed).
		t := must(G.Mul(ones(g, 1, rows), must(G.HadamardProd(y, h))))
		s, err := G.Sum(must(applyPointwise(famSoftplus, must(G.Neg(t)))))
		if err != nil {
			return nil, err
		}
		return G.Mul(scalar(g, 1/float64(cols)), s)
	})
}

// CheckLabels requires every target to be −1 or +1.
func (logisticLoss) CheckLabels(y []float64, rows, cols int) error {
	return checkSigns(NameLogistic, y, rows, cols)
}

// SoftmaxCrossEntropy is the multi-class cross-entropy of the softmax of
// logits H (dJ classes × B samples) against one-hot columns Y:
//
//	ℓ = (1/B)Σₙ [log Σᵢ exp(Hᵢₙ) − yₙᵀhₙ],  ∇_H ℓ = (1/B)(softmax(H) − Y),
//	∇²_H ℓ·C = (1/B)(diag(sₙ) − sₙsₙᵀ)cₙ per column, sₙ = softmax(hₙ).
//
// The loss is one fused op, and so are its gradient, its Hessian product
// (the curvature of Gauss-Newton products and matrices) and the derivative
// of that product: each is a single float64 pass over the columns, shifted
// by the column maximum, so no exponential overflows. Written with
// R = Σ_{i≠k} exp(Hᵢₙ − Hₖₙ) for the largest logit k, the value is
// log1p(R) + Hₖₙ − yₙᵀhₙ and the gradient of the dominant class is
// (1 − Yₖₙ) − R/(1+R), never 1 − sₖ or a log of a probability, so a
// confidently correct sample keeps its tiny loss and gradient to full
// relative precision (margin 40: 8.5e-18, not 0) and any finite logits
// (±1e4, gaps of 1e3) give finite, correctly rounded values and
// derivatives. Use it with a linear output layer. Convex in H, not
// monotone.
func SoftmaxCrossEntropy() graph.Loss { return softmaxCELoss{} }

type softmaxCELoss struct{}

func (softmaxCELoss) Name() string       { return NameSoftmaxCrossEntropy }
func (softmaxCELoss) Shape() graph.Shape { return graph.Shape{Convex: true} }

func (softmaxCELoss) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameSoftmaxCrossEntropy, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		return softmaxCE(h, y, 1/float64(cols))
	})
}

// CheckLabels requires every column of Y to be one-hot: entries 0 or 1,
// exactly one 1 per column.
func (softmaxCELoss) CheckLabels(y []float64, rows, cols int) error {
	if err := checkSize(NameSoftmaxCrossEntropy, y, rows, cols); err != nil {
		return err
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("losses: %s needs one-hot columns: Y row %d column %d is %v, want 0 or 1: %w", NameSoftmaxCrossEntropy, i/cols, i%cols, v, ErrLabel)
		}
	}
	for c := 0; c < cols; c++ {
		first := -1
		for r := 0; r < rows; r++ {
			if y[r*cols+c] != 1 {
				continue
			}
			if first >= 0 {
				return fmt.Errorf("losses: %s needs one-hot columns: Y column %d has a 1 in rows %d and %d: %w", NameSoftmaxCrossEntropy, c, first, r, ErrLabel)
			}
			first = r
		}
		if first < 0 {
			return fmt.Errorf("losses: %s needs one-hot columns: Y column %d has no 1: %w", NameSoftmaxCrossEntropy, c, ErrLabel)
		}
	}
	return nil
}

func checkSize(name string, y []float64, rows, cols int) error {
	if rows <= 0 || cols <= 0 || len(y) != rows*cols {
		return fmt.Errorf("losses: %s: Y has %d values, want %d×%d: %w", name, len(y), rows, cols, graph.ErrShape)
	}
	return nil
}

func checkUnit(name string, y []float64, rows, cols int) error {
	if err := checkSize(name, y, rows, cols); err != nil {
		return err
	}
	for i, v := range y {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("losses: %s needs targets in [0, 1]: Y row %d column %d is %v: %w", name, i/cols, i%cols, v, ErrLabel)
		}
	}
	return nil
}

func checkSigns(name string, y []float64, rows, cols int) error {
	if err := checkSize(name, y, rows, cols); err != nil {
		return err
	}
	for i, v := range y {
		if v != 1 && v != -1 {
			return fmt.Errorf("losses: %s needs labels ±1: Y row %d column %d is %v: %w", name, i/cols, i%cols, v, ErrLabel)
		}
	}
	return nil
}

// build checks the operands and turns a panic inside Gorgonia (must) into
// an error naming the loss.
func build(name string, h, y *G.Node, f func(g *G.ExprGraph, rows, cols int) (*G.Node, error)) (out *G.Node, err error) {
	if h == nil || y == nil {
		return nil, fmt.Errorf("losses: %s: nil operand: %w", name, graph.ErrArgument)
	}
	hs, ys := h.Shape(), y.Shape()
	if len(hs) != 2 || !hs.Eq(ys) {
		return nil, fmt.Errorf("losses: %s: H has shape %v and Y %v, want equal dJ×B matrices: %w", name, hs, ys, graph.ErrShape)
	}
	if h.Dtype() != tensor.Float64 || y.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("losses: %s: H and Y must be float64, are %v and %v: %w", name, h.Dtype(), y.Dtype(), graph.ErrArgument)
	}
	if h.Graph() != y.Graph() {
		return nil, fmt.Errorf("losses: %s: H and Y belong to different graphs: %w", name, graph.ErrArgument)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("losses: %s: building the graph: %v", name, r)
		}
	}()
	out, err = f(h.Graph(), hs[0], hs[1])
	if err != nil {
		return nil, fmt.Errorf("losses: %s: building the graph: %w", name, err)
	}
	return out, nil
}

// logitOperand is implemented by ops whose value is σ of one operand, the
// logit: the logistic activation of package layers (its σ node).
type logitOperand interface {
	LogitOperand() (index int, ok bool)
}

// logitOf returns z when h = σ(z) is the output of a logistic op: a layers
// logistic activation, or Gorgonia's Sigmoid. Otherwise ok is false and the
// loss is evaluated from h alone.
func logitOf(h *G.Node) (z *G.Node, ok bool) {
	if h == nil || h.Op() == nil {
		return nil, false
	}
	idx := -1
	if lo, isLogit := h.Op().(logitOperand); isLogit {
		if i, ok := lo.LogitOperand(); ok {
			idx = i
		}
	} else if fmt.Sprintf("%T", h.Op()) == "gorgonia.elemUnaryOp" && h.Op().String() == "sigmoid" {
		idx = 0
	}
	if idx < 0 {
		return nil, false
	}
	g := h.Graph()
	it := g.From(h.ID())
	for k := 0; it.Next(); k++ {
		if k == idx {
			c, ok := it.Node().(*G.Node)
			if !ok || !c.Shape().Eq(h.Shape()) || c.Dtype() != tensor.Float64 {
				return nil, false
			}
			return c, true
		}
	}
	return nil, false
}

// must panics on error; build recovers the panic.
func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

func scalar(g *G.ExprGraph, v float64) *G.Node { return G.NewConstant(v, G.In(g)) }

// ones is a constant rows×cols matrix of ones. Gorgonia merges constants by
// name, so the name carries the shape.
func ones(g *G.ExprGraph, rows, cols int) *G.Node {
	buf := make([]float64, rows*cols)
	for i := range buf {
		buf[i] = 1
	}
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(buf))
	return G.NewConstant(t, G.In(g), G.WithName(fmt.Sprintf("losses.ones%dx%d", rows, cols)))
}

// SampleSeparable reports that the loss is a mean of per-sample terms
// (graph.SampleSeparable), so its Hessian in H is block diagonal by sample.
// The exponential loss couples samples through its exponent and is not.
func (l2Loss) SampleSeparable() bool { return true }

// SampleSeparable implements graph.SampleSeparable.
func (ceLoss) SampleSeparable() bool { return true }

// SampleSeparable implements graph.SampleSeparable.
func (ceLogitsLoss) SampleSeparable() bool { return true }

// SampleSeparable implements graph.SampleSeparable.
func (sqHingeLoss) SampleSeparable() bool { return true }

// SampleSeparable implements graph.SampleSeparable.
func (logisticLoss) SampleSeparable() bool { return true }

// SampleSeparable implements graph.SampleSeparable.
func (softmaxCELoss) SampleSeparable() bool { return true }

var (
	_ graph.SampleSeparable = l2Loss{}
	_ graph.SampleSeparable = softmaxCELoss{}
)

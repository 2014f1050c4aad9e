package losses

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/bsum-go/bsum/graph"
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the custom Gorgonia ops the losses need. graph
// differentiates a loss by calling SymDiff on each op twice (reverse over
// reverse), so every op here has a SymDiff that returns nodes which are
// themselves differentiable: pointwiseOp of order k differentiates to the
// same op of order k+1 (times the incoming adjoint). The softmax
// cross-entropy has its own fused ops (softmax.go).

// family is an element-wise scalar function together with all the
// derivatives pointwiseOp can evaluate.
type family int

const (
	// famSoftplus is softplus(x) = log(1 + eˣ), evaluated without overflow;
	// its derivatives are those of the logistic function σ(x).
	famSoftplus family = iota
	// famSqPlus is max(0, m)², once continuously differentiable; its second
	// derivative is the step 2·[m > 0] and higher ones are zero.
	famSqPlus
	// famBCE is the binary cross-entropy −[y log h + (1−y) log(1−h)] of a
	// probability h with target y (the second, undifferentiated operand);
	// a term whose weight y or 1−y is exactly zero contributes exactly zero,
	// so h = 0 with y = 0 (or h = 1 with y = 1) is not 0·∞ = NaN.
	famBCE
	// famBCELogit is famBCE of h = σ(z) evaluated from the logit z: operands
	// (h, y, z), value y·softplus(−z) + (1−y)·softplus(z), exact for any
	// finite z. It is differentiated with respect to z (operand 2), not h:
	// the same function, whose z-derivatives σ(z) − y, σ'(z), … stay exact
	// where h rounds to 0 or 1 and 1/h or 1/(1−h) would overflow.
	famBCELogit
	// famLogitCE is the same function with operands (z, y), differentiated
	// with respect to z: the cross-entropy of logits.
	famLogitCE
)

func (f family) String() string {
	switch f {
	case famSoftplus:
		return "softplus"
	case famSqPlus:
		return "sqplus"
	case famBCE:
		return "bce"
	case famBCELogit:
		return "bce-logit"
	case famLogitCE:
		return "logit-ce"
	}
	return fmt.Sprintf("family(%d)", int(f))
}

func (f family) arity() int {
	switch f {
	case famBCE, famLogitCE:
		return 2
	case famBCELogit:
		return 3
	}
	return 1
}

// maxOrder is the highest derivative the family evaluates (−1: unbounded).
func (f family) maxOrder() int {
	if f == famSoftplus || f == famBCELogit || f == famLogitCE {
		return 4
	}
	return -1
}

// wrt is the operand the family is differentiated by: the logit of
// famBCELogit, the first operand otherwise.
func (f family) wrt() int {
	if f == famBCELogit {
		return 2
	}
	return 0
}

// sigmoid is the logistic function, accurate in both tails.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), which never overflows.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// sigmoidPrime is σ'(x) = σ(x)σ(−x) = e^−|x| / (1 + e^−|x|)².
func sigmoidPrime(x float64) float64 {
	e := math.Exp(-math.Abs(x))
	d := 1 + e
	return e / (d * d)
}

// eval returns the order-th derivative of the family at x (with target y
// for famBCE).
func (f family) eval(order int, x, y float64) float64 {
	switch f {
	case famSoftplus:
		switch order {
		case 0:
			return softplus(x)
		case 1:
			return sigmoid(x)
		case 2:
			return sigmoidPrime(x)
		case 3: // σ'' = σ'(σ(−x) − σ(x))
			return sigmoidPrime(x) * (sigmoid(-x) - sigmoid(x))
		case 4: // σ''' = σ'(1 − 6σ')
			s := sigmoidPrime(x)
			return s * (1 - 6*s)
		}
	case famSqPlus:
		if x <= 0 {
			return 0
		}
		switch order {
		case 0:
			return x * x
		case 1:
			return 2 * x
		case 2:
			return 2
		default:
			return 0
		}
	case famBCE:
		// d^k/dh^k log h = (−1)^(k−1)(k−1)!/h^k,
		// d^k/dh^k log(1−h) = −(k−1)!/(1−h)^k.
		var v float64
		if order == 0 {
			if y != 0 {
				v -= y * math.Log(x)
			}
			if y != 1 {
				v -= (1 - y) * math.Log1p(-x)
			}
			return v
		}
		fact := 1.0
		for i := 2; i < order; i++ {
			fact *= float64(i)
		}
		if y != 0 {
			sign := 1.0
			if order%2 == 1 {
				sign = -1
			}
			v += sign * y * fact / math.Pow(x, float64(order))
		}
		if y != 1 {
			v += (1 - y) * fact / math.Pow(1-x, float64(order))
		}
		return v
	}
	return math.NaN()
}

// bceLogit is −[y log h + (1−y) log(1−h)] at h = σ(z) as a function of the
// logit z, and its order-th derivative in z:
//
//	order 0: y·softplus(−z) + (1−y)·softplus(z)   (= softplus(z) − y·z)
//	order 1: σ(z) − y
//	order k ≥ 2: σ^{(k−2)}'(z), the softplus derivatives
//
// all exact for any finite z. In the value, a term whose weight y or 1−y is
// exactly zero contributes exactly zero.
func bceLogit(order int, y, z float64) float64 {
	switch order {
	case 0:
		var v float64
		if y != 0 {
			v += y * softplus(-z)
		}
		if y != 1 {
			v += (1 - y) * softplus(z)
		}
		return v
	case 1:
		return sigmoid(z) - y
	}
	return famSoftplus.eval(order, z, 0)
}

// pointwiseOp applies the order-th derivative of a family element by
// element. Its SymDiff is the adjoint times the same op of order+1, so it can
// be differentiated as often as the family allows.
type pointwiseOp struct {
	fam   family
	order int
}

func applyPointwise(fam family, inputs ...*G.Node) (*G.Node, error) {
	return G.ApplyOp(pointwiseOp{fam: fam}, inputs...)
}

// Arity is 1, 2 for famBCE (the probability, then the target), 3 for
// famBCELogit (probability, target, logit).
func (op pointwiseOp) Arity() int { return op.fam.arity() }

// Type is a → a (or a → a → a): element-wise, any float64 tensor or scalar.
func (op pointwiseOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

// InferShape returns the operand's shape; both operands must agree.
func (op pointwiseOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(ds), op.Arity())
	}
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%v: operand shape is %T", op, ds[0])
	}
	for _, d := range ds[1:] {
		s2, ok := d.(tensor.Shape)
		if !ok || !s.Eq(s2) {
			return nil, fmt.Errorf("%v: operand shapes %v and %v differ", op, s, d)
		}
	}
	return s.Clone(), nil
}

// Do evaluates the op in a float64 loop.
func (op pointwiseOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(vals), op.Arity())
	}
	x, shape, scalar, err := float64s(vals[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	in := [][]float64{x}
	for _, v := range vals[1:] {
		y, _, _, err := float64s(v)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", op, err)
		}
		if len(y) != len(x) {
			return nil, fmt.Errorf("%v: operands have %d and %d values", op, len(x), len(y))
		}
		in = append(in, y)
	}
	out := make([]float64, len(x))
	op.Compute(out, in...)
	return newValue(out, shape, scalar), nil
}

// Compute is Do into a caller-owned buffer (graph.FastOp): in holds the
// operands' row-major values.
func (op pointwiseOp) Compute(dst []float64, in ...[]float64) {
	x := in[0]
	switch op.fam {
	case famBCELogit:
		y, z := in[1][:len(dst)], in[2][:len(dst)]
		for i := range dst {
			dst[i] = bceLogit(op.order, y[i], z[i])
		}
		return
	case famLogitCE:
		y := in[1][:len(dst)]
		for i, z := range x[:len(dst)] {
			dst[i] = bceLogit(op.order, y[i], z)
		}
		return
	}
	if len(in) > 1 {
		y := in[1]
		for i := range dst {
			dst[i] = op.fam.eval(op.order, x[i], y[i])
		}
		return
	}
	for i := range dst {
		dst[i] = op.fam.eval(op.order, x[i], 0)
	}
}

// ReturnsPtr is false: the result is fresh memory.
func (op pointwiseOp) ReturnsPtr() bool { return false }

// CallsExtern is false.
func (op pointwiseOp) CallsExtern() bool { return false }

// OverwritesInput is −1: the operands are read only.
func (op pointwiseOp) OverwritesInput() int { return -1 }

// WriteHash distinguishes family and order (Gorgonia merges equal nodes).
func (op pointwiseOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "losses.%v^(%d)", op.fam, op.order) }

// Hashcode hashes WriteHash.
func (op pointwiseOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op pointwiseOp) String() string {
	if op.order == 0 {
		return "losses." + op.fam.String()
	}
	return fmt.Sprintf("losses.%v^(%d)", op.fam, op.order)
}

// DiffWRT: only one operand, fam.wrt(): the first one (the target of
// famBCE is data), or the logit of famBCELogit (whose probability operand h
// is a function of that logit already).
func (op pointwiseOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	if w := op.fam.wrt(); w < n {
		d[w] = true
	}
	return d
}

// SymDiff returns adjoint ∘ op^(order+1)(inputs).
func (op pointwiseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(inputs), op.Arity())
	}
	if m := op.fam.maxOrder(); m >= 0 && op.order >= m {
		return nil, fmt.Errorf("%v: derivatives beyond order %d are not implemented", op, m)
	}
	d, err := G.ApplyOp(pointwiseOp{fam: op.fam, order: op.order + 1}, inputs...)
	if err != nil {
		return nil, err
	}
	gx, err := G.HadamardProd(grad, d)
	if err != nil {
		return nil, err
	}
	out := make(G.Nodes, len(inputs))
	out[op.fam.wrt()] = gx
	return out, nil
}

// pointwiseOp implements graph.FastOp, so graph's evaluator runs it without
// allocating.
var _ graph.FastOp = pointwiseOp{}

// float64s returns the row-major float64 data of a value.
func float64s(v G.Value) (data []float64, shape tensor.Shape, scalar bool, err error) {
	switch t := v.(type) {
	case *G.F64:
		return []float64{float64(*t)}, tensor.ScalarShape(), true, nil
	case *tensor.Dense:
		if t.Dtype() != tensor.Float64 {
			return nil, nil, false, fmt.Errorf("dtype %v, want float64", t.Dtype())
		}
		if t.IsMaterializable() {
			t = t.Materialize().(*tensor.Dense)
		}
		if t.DataOrder().IsColMajor() {
			return nil, nil, false, fmt.Errorf("column-major operand is not supported")
		}
		if t.IsScalar() {
			if s, ok := t.Data().(float64); ok {
				return []float64{s}, tensor.ScalarShape(), false, nil
			}
		}
		d, ok := t.Data().([]float64)
		if !ok {
			return nil, nil, false, fmt.Errorf("operand data is %T, want []float64", t.Data())
		}
		return d, t.Shape().Clone(), false, nil
	}
	return nil, nil, false, fmt.Errorf("operand is %T, want a float64 tensor or scalar", v)
}

func newValue(data []float64, shape tensor.Shape, scalar bool) G.Value {
	if scalar {
		f := G.F64(data[0])
		return &f
	}
	if shape.IsScalar() {
		return tensor.New(tensor.FromScalar(data[0]))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

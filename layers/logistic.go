package layers

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/bsum-go/bsum/graph"
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The logistic activation is two nodes in the graph, so that its
// derivative is exact in both tails at the cost of one exponential per
// element in the forward pass (and one more only for x > 3 in the
// backward pass):
//
//	y  = σ(x)              (sigmoidPart partValue; the layer's output): one
//	                       loop of 1/(1+e^{−x}), e^x below −708 (logisticInto)
//	σ' = σ'(x) from (x, y) (partDeriv; built by y's SymDiff)
//
// Computing σ' = y − y² from the output alone, as most frameworks do,
// cancels for x > 0: 1 − y loses relative precision like e^x·1e-16 and is
// exactly 0 from x ≈ 37 on. For x ≤ 3, σ' = y·(1 − y) has no harmful
// cancellation: for x < 0, 1 − y ≥ 1/2 is exact to rounding; for
// 0 ≤ x ≤ 3, the absolute error of y (a few 1e-16) is at most 21 times
// that relative to σ(−x) = 1 − σ(x) ≥ 1/(1+e^3). Beyond 3 (rare in a
// trained network, and predicted when it is not), σ' = e^{−x}·y² with a
// fresh exponential, exact to a few ulps. So the backward loop costs about
// what y − y² costs, and the relative error of σ' stays below 1e-14 for
// every x (TestLogisticDerivError, TestTailDerivativesOnGraph). Only x is
// differentiated (DiffWRT is false for y, a function of x already
// accounted for): y's derivative node is σ'(x), and σ' differentiates to
// the order-2 actOp σ''(x) = −σ'(x)·tanh(x/2).

// sigmoidPart selects which of the logistic's nodes a sigmoidOp computes.
type sigmoidPart uint8

const (
	partValue sigmoidPart = iota // σ(x); operands (x)
	partDeriv                    // σ'(x); operands (x, σ(x))
)

var sigmoidPartNames = [...]string{partValue: "logistic", partDeriv: "logistic'"}

// sigmoidOp is one node of the logistic activation (see above). It is a
// value type without state, safe for concurrent use.
type sigmoidOp struct{ part sigmoidPart }

// logisticNode returns y = σ(x) as a sigmoidOp node whose derivative is the
// exact σ' node.
func logisticNode(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(sigmoidOp{partValue}, x)
}

// LogitOperand reports that the value of a logistic output node is σ of its
// operand 0, the logit. Package losses uses it (through an interface, by
// method name) to evaluate cross-entropy from the logits, exactly for any
// logit, instead of from the rounded probability. Only the σ(x) node has
// it; the ok result is false for the derivative node.
func (op sigmoidOp) LogitOperand() (index int, ok bool) { return 0, op.part == partValue }

func (op sigmoidOp) Arity() int { return int(op.part) + 1 }

func (op sigmoidOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

func (op sigmoidOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("layers: %v takes %d inputs, got %d", op, op.Arity(), len(ds))
	}
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: %v: input shape is %T, not a tensor.Shape", op, ds[0])
	}
	for _, d := range ds[1:] {
		if t, ok := d.(tensor.Shape); !ok || !t.Eq(s) {
			return nil, fmt.Errorf("layers: %v: input shapes %v and %v differ", op, s, d)
		}
	}
	return s.Clone(), nil
}

func (op sigmoidOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("layers: %v takes %d inputs, got %d", op, op.Arity(), len(vals))
	}
	return doElementwise(op, op.Compute, vals)
}

// Compute implements graph.FastOp: in holds the operands in order.
func (op sigmoidOp) Compute(dst []float64, in ...[]float64) {
	x := in[0]
	switch op.part {
	case partValue:
		logisticInto(dst, x)
	case partDeriv:
		logisticDerivInto(dst, x, in[1])
	}
}

func (op sigmoidOp) ReturnsPtr() bool     { return false }
func (op sigmoidOp) CallsExtern() bool    { return false }
func (op sigmoidOp) OverwritesInput() int { return -1 }

func (op sigmoidOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "bsum/layers.sigmoid:%d", op.part) }

func (op sigmoidOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op sigmoidOp) String() string { return sigmoidPartNames[op.part] }

// DiffWRT: only x (operand 0). The σ' node is not differentiated with
// respect to its operand y = σ(x): its derivative with respect to x already
// accounts for it.
func (op sigmoidOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	if inputs > 0 {
		d[0] = true
	}
	return d
}

// SymDiff returns grad ⊙ σ'(x) for σ (the partDeriv node) and
// grad ⊙ σ”(x) for σ' (an order-2 actOp).
func (op sigmoidOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("layers: %v takes %d inputs, got %d", op, op.Arity(), len(inputs))
	}
	var d *G.Node
	var err error
	switch op.part {
	case partValue:
		d, err = G.ApplyOp(sigmoidOp{partDeriv}, inputs[0], output)
	case partDeriv:
		d, err = G.ApplyOp(newActOp(famLogistic, 2, 0, 1), inputs[0])
	default:
		return nil, fmt.Errorf("layers: sigmoidOp part %d is unknown", op.part)
	}
	if err != nil {
		return nil, fmt.Errorf("layers: differentiating %v: %w", op, err)
	}
	g, err := G.HadamardProd(grad, d)
	if err != nil {
		return nil, fmt.Errorf("layers: differentiating %v: %w", op, err)
	}
	out := make(G.Nodes, len(inputs))
	out[0] = g
	return out, nil
}

var (
	_ G.SDOp       = sigmoidOp{}
	_ graph.FastOp = sigmoidOp{}
)

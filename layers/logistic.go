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

// The logistic activation is three nodes in the graph, so that its
// derivative is exact in both tails without a second exponential:
//
//	e  = e^{−|x|}                      (sigmoidPart partExp)
//	y  = σ(x) from (x, e)              (partValue; the layer's output)
//	σ' = e·max(y, 1−y)²  from (x, y, e) (partDeriv; built by y's SymDiff)
//
// Computing σ' = y − y² from the output alone, as most frameworks do,
// cancels for x > 0: it loses relative precision like e^x·1e-16 and is
// exactly 0 from x ≈ 37 on. Recomputing σ' from x costs a second
// exponential per element in every backward pass. Storing e keeps σ' at four
// flops and exact: for x ≥ 0, y = 1/(1+e) and σ' = e·y²; for x < 0,
// 1 − y = σ(−x) ≥ 1/2 carries no cancellation and σ' = e·(1−y)².
// Only x is differentiated (DiffWRT is false for y and e, which are
// functions of x already accounted for): y's derivative node is σ'(x), and
// σ' differentiates to the order-2 actOp σ''(x) = −σ'(x)·tanh(x/2).

// sigmoidPart selects which of the logistic's nodes a sigmoidOp computes.
type sigmoidPart uint8

const (
	partExp   sigmoidPart = iota // e^{−|x|}; operands (x)
	partValue                    // σ(x); operands (x, e)
	partDeriv                    // σ'(x); operands (x, σ(x), e)
)

var sigmoidPartNames = [...]string{partExp: "logistic.exp", partValue: "logistic", partDeriv: "logistic'"}

// sigmoidOp is one node of the logistic activation (see above). It is a
// value type without state, safe for concurrent use.
type sigmoidOp struct{ part sigmoidPart }

// logisticNode returns σ(x) as the nodes e = e^{−|x|} and y = σ(x, e).
func logisticNode(x *G.Node) (*G.Node, error) {
	e, err := G.ApplyOp(sigmoidOp{partExp}, x)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(sigmoidOp{partValue}, x, e)
}

// LogitOperand reports that the value of a logistic output node is σ of its
// operand 0, the logit. Package losses uses it (through an interface, by
// method name) to evaluate cross-entropy from the logits, exactly for any
// logit, instead of from the rounded probability. Only the σ(x) node has
// it; the ok result is false for the other parts.
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
	dst = dst[:len(x)]
	switch op.part {
	case partExp:
		expNegAbsInto(dst, x, 1)
	case partValue:
		e := in[1][:len(x)]
		for i, v := range x {
			dst[i] = logisticFromExp(v, e[i])
		}
	case partDeriv:
		y, e := in[1][:len(x)], in[2][:len(x)]
		for i := range x {
			dst[i] = logisticDeriv(y[i], e[i])
		}
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

// DiffWRT: only x (operand 0) for σ and σ'; e^{−|x|} is never differentiated
// (σ's derivative with respect to x already accounts for it).
func (op sigmoidOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	if inputs > 0 && op.part != partExp {
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
		d, err = G.ApplyOp(sigmoidOp{partDeriv}, inputs[0], output, inputs[1])
	case partDeriv:
		d, err = G.ApplyOp(newActOp(famLogistic, 2, 0, 1), inputs[0])
	default:
		return nil, fmt.Errorf("layers: %v is not differentiated (its consumers differentiate x directly)", op)
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

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

// The softmax cross-entropy as it was built before the fused ops: a column
// maximum op and Gorgonia's Sub, Mul, Exp, Log, HadamardProd and Sum. Kept
// for the old-versus-new benchmark and precision tests only.

// unfusedSoftmaxCE is SoftmaxCrossEntropy from separate nodes.
type unfusedSoftmaxCE struct{ softmaxCELoss }

func (unfusedSoftmaxCE) Build(h, y *G.Node) (*G.Node, error) {
	return build(NameSoftmaxCrossEntropy, h, y, func(g *G.ExprGraph, rows, cols int) (*G.Node, error) {
		m, err := G.ApplyOp(colMaxOp{}, h) // 1×B, not differentiated
		if err != nil {
			return nil, err
		}
		shifted := must(G.Sub(h, must(G.Mul(ones(g, rows, 1), m))))
		se := must(G.Mul(ones(g, 1, rows), must(G.Exp(shifted)))) // 1×B
		lse := must(G.Add(must(G.Log(se)), m))
		d := must(G.Sub(must(G.Sum(lse)), must(G.Sum(must(G.HadamardProd(y, h))))))
		return G.Mul(scalar(g, 1/float64(cols)), d)
	})
}

var _ graph.FastOp = colMaxOp{}

// colMaxOp maps a d×B matrix to the 1×B row of its column maxima. It is the
// shift m of log Σᵢ exp(hᵢ) = m + log Σᵢ exp(hᵢ − m): the result does not
// depend on m, so m is a constant for differentiation (DiffWRT is false and
// the sweep never calls SymDiff), which is exact, not an approximation.
type colMaxOp struct{}

func (colMaxOp) Arity() int { return 1 }

func (colMaxOp) Type() hm.Type {
	t := G.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (colMaxOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != 1 {
		return nil, fmt.Errorf("losses.colmax: %d operands, want 1", len(ds))
	}
	s, ok := ds[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("losses.colmax: operand shape %v, want a matrix", ds[0])
	}
	return tensor.Shape{1, s[1]}, nil
}

func (colMaxOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("losses.colmax: %d operands, want 1", len(vals))
	}
	x, shape, _, err := float64s(vals[0])
	if err != nil {
		return nil, fmt.Errorf("losses.colmax: %w", err)
	}
	if len(shape) != 2 {
		return nil, fmt.Errorf("losses.colmax: operand shape %v, want a matrix", shape)
	}
	out := make([]float64, shape[1])
	colMaxOp{}.Compute(out, x)
	return tensor.New(tensor.WithShape(1, shape[1]), tensor.WithBacking(out)), nil
}

// Compute is Do into a caller-owned buffer (graph.FastOp): in[0] is the
// row-major d×B operand and dst the B column maxima.
func (colMaxOp) Compute(dst []float64, in ...[]float64) {
	x, cols := in[0], len(dst)
	rows := len(x) / cols
	for c := 0; c < cols; c++ {
		m := math.Inf(-1)
		for r := 0; r < rows; r++ {
			if v := x[r*cols+c]; v > m {
				m = v
			}
		}
		dst[c] = m
	}
}

func (colMaxOp) ReturnsPtr() bool      { return false }
func (colMaxOp) CallsExtern() bool     { return false }
func (colMaxOp) OverwritesInput() int  { return -1 }
func (colMaxOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "losses.colmax") }
func (op colMaxOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (colMaxOp) String() string { return "losses.colmax" }

// DiffWRT is false: the shift is held constant (see colMaxOp).
func (colMaxOp) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff is never called by a sweep that honours DiffWRT.
func (colMaxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("losses.colmax is a constant shift and is not differentiated")
}

package bench

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
)

// OneBlock declares the logistic chain sizes (no bias, l2 loss) with every
// weight in ONE block "W" of p×1 entries (p = Σ_l d_l·d_{l−1}), so that a
// block method (LM) treats the whole network as one block. Layer l's matrix
// is the row-major segment of W after the earlier layers', extracted by a
// custom op (segment) whose derivative is the adjoint embedding (pad) and
// back, so reverse-over-reverse sweeps stay exact. Gorgonia's own Slice is
// not usable here: its derivative op sliceIncr declares its increment
// operand non-differentiable and passes the adjoint to its shape operand,
// which would make second-order products wrong.
//
// The block's initializer draws Glorot-normal weights layer by layer, in
// the order and from the same stream as the layered network's Init, so a
// seeded start is the concatenation of the layered network's start.
func OneBlock(sizes []int) (*graph.Net, error) {
	total := 0
	for l := 1; l < len(sizes); l++ {
		total += sizes[l] * sizes[l-1]
	}
	init := func(rng *rand.Rand, rows, cols int, w []float64) {
		off := 0
		for l := 1; l < len(sizes); l++ {
			n := sizes[l] * sizes[l-1]
			graph.GlorotNormal(rng, sizes[l], sizes[l-1], w[off:off+n])
			off += n
		}
	}
	act := layers.Logistic()
	build := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		w := b.Weight("W", total, 1, graph.WithInit(init))
		if w == nil {
			return nil, b.Err()
		}
		h, off := x, 0
		for l := 1; l < len(sizes); l++ {
			seg := segOp{off: off, rows: sizes[l], cols: sizes[l-1], total: total}
			wl, err := G.ApplyOp(seg, w)
			if err != nil {
				return nil, err
			}
			pre, err := G.Mul(wl, h)
			if err != nil {
				return nil, err
			}
			if h, err = act.Apply(pre); err != nil {
				return nil, err
			}
			off += sizes[l] * sizes[l-1]
		}
		return h, nil
	}
	return graph.New(sizes[0], build, losses.L2())
}

// Concat joins layered weights into the one-block layout.
func Concat(w graph.Weights) graph.Weights {
	var all []float64
	for _, b := range w {
		all = append(all, b...)
	}
	return graph.Weights{all}
}

// segOp maps a total×1 column to the rows×cols matrix of its entries
// off … off+rows·cols−1 (row-major). It is linear; its derivative is padOp.
type segOp struct{ off, rows, cols, total int }

// padOp is segOp's adjoint: a rows×cols matrix placed at off in a total×1
// column of zeros.
type padOp segOp

var (
	_ G.SDOp       = segOp{}
	_ G.SDOp       = padOp{}
	_ graph.FastOp = segOp{}
	_ graph.FastOp = padOp{}
)

func matType() hm.Type { return G.TensorType{Dims: 2, Of: tensor.Float64} }

func (op segOp) Arity() int       { return 1 }
func (op segOp) Type() hm.Type    { return hm.NewFnType(matType(), matType()) }
func (op segOp) ReturnsPtr() bool { return false }
func (op segOp) CallsExtern() bool {
	return false
}
func (op segOp) OverwritesInput() int { return -1 }
func (op segOp) String() string {
	return fmt.Sprintf("segment[%d:+%d×%d of %d]", op.off, op.rows, op.cols, op.total)
}
func (op segOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "bsum/bench.%s", op) }
func (op segOp) Hashcode() uint32      { return hashOf(op) }

func (op segOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != 1 {
		return nil, fmt.Errorf("bench: %v takes one input", op)
	}
	return tensor.Shape{op.rows, op.cols}, nil
}

func (op segOp) Compute(dst []float64, in ...[]float64) {
	copy(dst, in[0][op.off:op.off+op.rows*op.cols])
}

func (op segOp) Do(vals ...G.Value) (G.Value, error) {
	src, err := float64s(op, vals)
	if err != nil {
		return nil, err
	}
	if len(src) != op.total {
		return nil, fmt.Errorf("bench: %v: input has %d entries", op, len(src))
	}
	out := make([]float64, op.rows*op.cols)
	op.Compute(out, src)
	return tensor.New(tensor.WithShape(op.rows, op.cols), tensor.WithBacking(out)), nil
}

func (op segOp) DiffWRT(n int) []bool { return []bool{n == 1} }

func (op segOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(padOp(op), grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

func (op padOp) Arity() int        { return 1 }
func (op padOp) Type() hm.Type     { return hm.NewFnType(matType(), matType()) }
func (op padOp) ReturnsPtr() bool  { return false }
func (op padOp) CallsExtern() bool { return false }
func (op padOp) OverwritesInput() int {
	return -1
}
func (op padOp) String() string {
	return fmt.Sprintf("pad[%d:+%d×%d of %d]", op.off, op.rows, op.cols, op.total)
}
func (op padOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "bsum/bench.%s", op) }
func (op padOp) Hashcode() uint32      { return hashOf(op) }

func (op padOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != 1 {
		return nil, fmt.Errorf("bench: %v takes one input", op)
	}
	return tensor.Shape{op.total, 1}, nil
}

func (op padOp) Compute(dst []float64, in ...[]float64) {
	clear(dst)
	copy(dst[op.off:], in[0][:op.rows*op.cols])
}

func (op padOp) Do(vals ...G.Value) (G.Value, error) {
	src, err := float64s(op, vals)
	if err != nil {
		return nil, err
	}
	if len(src) != op.rows*op.cols {
		return nil, fmt.Errorf("bench: %v: input has %d entries", op, len(src))
	}
	out := make([]float64, op.total)
	op.Compute(out, src)
	return tensor.New(tensor.WithShape(op.total, 1), tensor.WithBacking(out)), nil
}

func (op padOp) DiffWRT(n int) []bool { return []bool{n == 1} }

func (op padOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(segOp(op), grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "bsum/bench.%s", op)
	return h.Sum32()
}

func float64s(op fmt.Stringer, vals []G.Value) ([]float64, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("bench: %v takes one input, got %d", op, len(vals))
	}
	t, ok := vals[0].(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("bench: %v: input %T is not a float64 tensor", op, vals[0])
	}
	if t.IsMaterializable() || t.DataOrder().IsColMajor() {
		t = t.Materialize().(*tensor.Dense)
	}
	return t.Float64s(), nil
}

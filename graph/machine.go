package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// machine evaluates nodes of one Gorgonia expression graph by calling each
// op's Do on its operands' values, in dependency order, memoising every
// value. Binding an input invalidates only the nodes downstream of it, so
// when a block step changes W_j the activations Z_0..Z_{j-1} (which do not
// depend on W_j) are reused rather than recomputed.
//
// It does not use Gorgonia's TapeMachine, whose register reuse has been
// reported to corrupt intermediate values (gorgonia issue #576); every value
// here lives in its own memory unless an op itself returns a view.
// disableFastKernels makes every node go through its op's Do (for tests
// that compare both paths).
var disableFastKernels = false

type machine struct {
	g       *G.ExprGraph
	index   map[*G.Node]int
	nodes   []*G.Node
	kids    [][]int
	parents [][]int
	vals    []G.Value
	valid   []bool
	// bufs[i] is node i's value as a flat float64 slice (nil when its
	// dtype is not float64). Nodes with a fast kernel own bufs[i] and vals[i]
	// wraps it, so recomputing them allocates nothing.
	bufs   [][]float64
	fast   []kernel
	uses   [][]int
	static []bool // value depends only on shapes (sizeOp, constants)
	args   [][][]float64
	vargs  [][]G.Value
	stack  []int // scratch for invalidateFrom
}

func newMachine(g *G.ExprGraph) (*machine, error) {
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("graph: sort: %w", err)
	}
	m := &machine{g: g, index: make(map[*G.Node]int, len(sorted))}
	for i := len(sorted) - 1; i >= 0; i-- { // leaves first
		n := sorted[i]
		m.index[n] = len(m.nodes)
		m.nodes = append(m.nodes, n)
	}
	N := len(m.nodes)
	m.kids = make([][]int, N)
	m.parents = make([][]int, N)
	m.vals = make([]G.Value, N)
	m.valid = make([]bool, N)
	m.bufs = make([][]float64, N)
	m.fast = make([]kernel, N)
	m.uses = make([][]int, N)
	m.static = make([]bool, N)
	m.args = make([][][]float64, N)
	m.vargs = make([][]G.Value, N)
	for i, n := range m.nodes {
		kids := children(g, n)
		for _, c := range kids {
			m.kids[i] = append(m.kids[i], m.index[c])
		}
		if n.Op() == nil {
			continue
		}
		m.vargs[i] = make([]G.Value, len(kids))
		switch fmt.Sprintf("%T", n.Op()) {
		case "gorgonia.sizeOp", "*gorgonia.sizeOp", "gorgonia.constantScalar", "gorgonia.constantTensor":
			m.static[i] = true
		}
		if m.static[i] {
			continue
		}
		for _, k := range m.kids[i] {
			m.parents[k] = append(m.parents[k], i)
		}
		if k, uses := fastKernel(n, kids); k != nil && !disableFastKernels {
			m.fast[i] = k
			if uses == nil {
				uses = make([]int, len(kids))
				for a := range uses {
					uses[a] = a
				}
			}
			m.uses[i] = uses
			m.args[i] = make([][]float64, 0, len(uses))
			m.bufs[i], m.vals[i] = newBuffer(n)
		}
	}
	return m, nil
}

func newBuffer(n *G.Node) ([]float64, G.Value) {
	if n.IsScalar() {
		buf := make([]float64, 1)
		return buf, (*G.F64)(&buf[0])
	}
	shape := n.Shape()
	buf := make([]float64, shape.TotalSize())
	return buf, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(buf))
}

// bind sets the value of an input node and invalidates its dependants.
func (m *machine) bind(n *G.Node, v G.Value) {
	i := m.index[n]
	m.vals[i] = v
	m.bufs[i] = flat(v)
	m.invalidateFrom(i)
	m.valid[i] = true
}

// touched marks an input whose bound value was changed in place.
func (m *machine) touched(n *G.Node) {
	i := m.index[n]
	m.invalidateFrom(i)
	m.valid[i] = true
}

func (m *machine) invalidateFrom(i int) {
	stack := append(m.stack[:0], m.parents[i]...)
	defer func() { m.stack = stack[:0] }()
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !m.valid[p] {
			continue // invariant: everything downstream of an invalid node is invalid
		}
		m.valid[p] = false
		if m.fast[p] == nil {
			m.vals[p] = nil
			m.bufs[p] = nil
		}
		stack = append(stack, m.parents[p]...)
	}
}

// eval returns the value of n, computing what is not memoised.
func (m *machine) eval(n *G.Node) (G.Value, error) {
	i, ok := m.index[n]
	if !ok {
		return nil, fmt.Errorf("graph: node %v is not in the compiled graph", n)
	}
	if err := m.evalIndex(i); err != nil {
		return nil, err
	}
	return m.vals[i], nil
}

// evalCopy evaluates n and copies its value into dst (which must have its
// size), without reflecting on the value's type.
func (m *machine) evalCopy(n *G.Node, dst []float64) error {
	i, ok := m.index[n]
	if !ok {
		return fmt.Errorf("graph: node %v is not in the compiled graph", n)
	}
	if err := m.evalIndex(i); err != nil {
		return err
	}
	b := m.bufs[i]
	if b == nil {
		return copyOut(dst, m.vals[i])
	}
	if len(b) != len(dst) {
		return fmt.Errorf("graph: value of %v has %d entries, destination %d", n, len(b), len(dst))
	}
	copy(dst, b)
	return nil
}

// evalScalar evaluates a scalar node.
func (m *machine) evalScalar(n *G.Node) (float64, error) {
	var v [1]float64
	if err := m.evalCopy(n, v[:]); err != nil {
		return 0, err
	}
	return v[0], nil
}

func (m *machine) evalIndex(i int) error {
	if m.valid[i] {
		return nil
	}
	n := m.nodes[i]
	op := n.Op()
	if op == nil {
		return fmt.Errorf("graph: input %q has no value bound", n.Name())
	}
	if k := m.fast[i]; k != nil {
		args := m.args[i][:0]
		for _, a := range m.uses[i] {
			kid := m.kids[i][a]
			if err := m.evalIndex(kid); err != nil {
				return err
			}
			args = append(args, m.bufs[kid])
		}
		k(m.bufs[i], args)
		m.valid[i] = true
		return nil
	}
	in := m.vargs[i]
	for a, k := range m.kids[i] {
		if err := m.evalIndex(k); err != nil {
			return err
		}
		in[a] = m.vals[k]
	}
	if o := op.OverwritesInput(); o >= 0 && o < len(in) {
		in[o] = cloneValue(in[o])
	}
	v, err := op.Do(in...)
	if err != nil {
		return fmt.Errorf("graph: evaluating %v (node %q): %w", op, n.Name(), err)
	}
	m.vals[i] = v
	m.bufs[i] = flat(v)
	m.valid[i] = true
	return nil
}

// flat returns a float64 value as a contiguous row-major slice (a copy for
// views and scalars), or nil for other dtypes.
func flat(v G.Value) []float64 {
	switch t := v.(type) {
	case *G.F64:
		return []float64{float64(*t)}
	case *tensor.Dense:
		if t.IsView() || t.IsMaterializable() || t.DataOrder().IsColMajor() {
			t = t.Clone().(*tensor.Dense)
			if t.IsMaterializable() {
				t = t.Materialize().(*tensor.Dense)
			}
		}
		switch d := t.Data().(type) {
		case []float64:
			return d
		case float64:
			return []float64{d}
		}
	}
	return nil
}

func cloneValue(v G.Value) G.Value {
	switch t := v.(type) {
	case tensor.Tensor:
		return t.Clone().(G.Value)
	default:
		return v // scalars are values, not references
	}
}

// copyOut copies a float64 tensor value into dst (which must have its size).
func copyOut(dst []float64, v G.Value) error {
	switch t := v.(type) {
	case tensor.Tensor:
		if dd, ok := t.(*tensor.Dense); ok && (dd.IsMaterializable() || dd.DataOrder().IsColMajor()) {
			t = dd.Materialize()
		}
		switch d := t.Data().(type) {
		case []float64:
			if len(d) != len(dst) {
				return fmt.Errorf("graph: value has %d entries, destination %d", len(d), len(dst))
			}
			copy(dst, d)
			return nil
		case float64:
			if len(dst) != 1 {
				return fmt.Errorf("graph: scalar value, destination %d", len(dst))
			}
			dst[0] = d
			return nil
		}
	case *G.F64:
		if len(dst) != 1 {
			return fmt.Errorf("graph: scalar value, destination %d", len(dst))
		}
		dst[0] = float64(*t)
		return nil
	}
	return fmt.Errorf("graph: unexpected value type %T", v)
}

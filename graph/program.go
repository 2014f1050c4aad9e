package graph

import (
	"fmt"
	"slices"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// input is an input node with its own backing memory, rebound in place.
type input struct {
	node *G.Node
	buf  []float64
	val  *tensor.Dense
}

func newInput(g *G.ExprGraph, name string, rows, cols int) *input {
	buf := make([]float64, rows*cols)
	return &input{
		node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name)),
		buf:  buf,
		val:  tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(buf)),
	}
}

// Program is a network compiled for one batch size: the expression graph of
// f, its block gradients, block Hessian-vector products and Gauss-Newton
// products, evaluated on demand with memoisation. Set the weights and the
// batch, then ask for values; only what changed is recomputed. The
// second-order nodes are added on the first curvature request (HVP,
// GaussNewton, Hessian, GaussNewtonMatrix), so first-order use never pays
// for them; an op that cannot be differentiated twice is reported then.
//
// A Program is not safe for concurrent use: even its read methods (Objective,
// Grad, …) write its memo tables. Use each Program from one goroutine at a
// time; distinct Programs of one Net may run concurrently.
type Program struct {
	net   *Net
	batch int
	m     *machine

	x, y *input
	w    []*input
	v    []*input // direction for H_jj·V and G_jj·V
	h, f *G.Node
	loss *G.Node
	grad []*G.Node
	hvp  []*G.Node

	// Gauss-Newton pieces: J_jᵀu, J_j V_j, and the loss Hessian ∇²_H ℓ · c.
	u, hl, c *input
	jtu      []*G.Node
	jv       []*G.Node
	mc       *G.Node

	xSet, ySet bool
	wSet       bool
	changed    []bool // SetWeights' scratch: which blocks differ from the bound ones

	// fastGN[j] assembles block j's Gauss-Newton matrix in one pass
	// (nil: product by product).
	fastGN []*gnAssembly
	// fastH[j] assembles block j's exact Hessian from pre-activation
	// curvature (nil: column by column from HVPs).
	fastH  []*hessAssembly
	tmpOut []float64

	build *deferred // second-order nodes are built on first use

	// dataOnly programs leave the Tikhonov terms out of f and of every
	// derivative (the shards of a Sharded evaluator, which add them once).
	dataOnly bool
}

// NewProgram compiles a private program for batch size batch (not cached):
// it belongs to the caller alone. NewProgram is safe for concurrent use.
func (n *Net) NewProgram(batch int) (*Program, error) {
	return n.newProgram(batch, false)
}

// compileMu serialises graph construction and compilation across Nets:
// gorgonia's symbolic differentiation shares package-level constant nodes
// (getConst's "two" in the derivative of tanh, for example) between graphs
// and caches their hash codes lazily, a data race between concurrent
// compilations. A compilation takes about a millisecond (784-32-10 at batch
// 64), so serialising it costs little.
var compileMu sync.Mutex

// newProgram compiles a private program; dataOnly leaves the Tikhonov terms
// out (f = ℓ).
func (n *Net) newProgram(batch int, dataOnly bool) (*Program, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("graph: batch size %d: %w", batch, ErrArgument)
	}
	compileMu.Lock()
	defer compileMu.Unlock()
	b, h, err := n.declare(batch)
	if err != nil {
		return nil, err
	}
	if len(b.blocks) != len(n.blocks) {
		return nil, fmt.Errorf("graph: the build function declared %d blocks for batch %d, %d before: %w", len(b.blocks), batch, len(n.blocks), ErrShape)
	}
	for j, blk := range b.blocks {
		if blk.Name != n.blocks[j].Name || blk.Rows != n.blocks[j].Rows || blk.Cols != n.blocks[j].Cols {
			return nil, fmt.Errorf("graph: block %d is %q %d×%d for batch %d, was %q %d×%d: %w", j, blk.Name, blk.Rows, blk.Cols, batch, n.blocks[j].Name, n.blocks[j].Rows, n.blocks[j].Cols, ErrShape)
		}
	}
	p, err := compile(n, b, h, batch, dataOnly)
	if err != nil {
		return nil, fmt.Errorf("graph: compiling for batch %d: %w", batch, err)
	}
	return p, nil
}

func compile(n *Net, b *Builder, h *G.Node, batch int, dataOnly bool) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic inside gorgonia: %v", r)
		}
	}()
	g := b.g
	p = &Program{net: n, batch: batch, h: h, tmpOut: make([]float64, n.out*batch), dataOnly: dataOnly}
	p.x = &input{node: b.x, buf: make([]float64, n.in*batch)}
	p.x.val = tensor.New(tensor.WithShape(n.in, batch), tensor.WithBacking(p.x.buf))
	p.y = newInput(g, "Y", n.out, batch)
	if p.loss, err = n.loss.Build(h, p.y.node); err != nil {
		return nil, fmt.Errorf("loss %s: %w", n.loss.Name(), err)
	}
	if !p.loss.IsScalar() {
		return nil, fmt.Errorf("loss %s returned shape %v, want a scalar", n.loss.Name(), p.loss.Shape())
	}
	f := p.loss
	wnodes := b.nodes
	for j, blk := range n.blocks {
		in := &input{node: wnodes[j], buf: make([]float64, blk.Size())}
		in.val = tensor.New(tensor.WithShape(blk.Rows, blk.Cols), tensor.WithBacking(in.buf))
		p.w = append(p.w, in)
		if blk.Tikhonov > 0 && !dataOnly {
			sq := G.Must(G.Sum(G.Must(G.Square(wnodes[j]))))
			f = G.Must(G.Add(f, G.Must(G.Mul(G.NewConstant(blk.Tikhonov, G.In(g)), sq))))
		}
	}
	p.f = f
	one := G.NewConstant(1.0, G.In(g))
	if p.grad, err = reverseSweep(f, one, wnodes); err != nil {
		return nil, err
	}
	for j, gr := range p.grad {
		if gr == nil {
			return nil, fmt.Errorf("the objective does not depend on block %q", n.blocks[j].Name)
		}
	}
	p.build = &deferred{b: b, one: one}
	if err := p.newMachine(); err != nil {
		return nil, err
	}
	return p, nil
}

// Batch is the number of columns the program was compiled for.
func (p *Program) Batch() int { return p.batch }

// Net is the network the program was compiled from.
func (p *Program) Net() *Net { return p.net }

// SetBatch binds the inputs X (d0×B) and targets Y (dJ×B), both row-major
// with one column per sample.
func (p *Program) SetBatch(x, y []float64) error {
	if err := p.checkX(x); err != nil {
		return err
	}
	if len(y) != len(p.y.buf) {
		return fmt.Errorf("graph: Y has %d values, want %d×%d: %w", len(y), p.net.out, p.batch, ErrShape)
	}
	if i := firstNonFinite(y); i >= 0 {
		return fmt.Errorf("graph: Y row %d column %d is %v: %w", i/p.batch, i%p.batch, y[i], ErrNotFinite)
	}
	if lc, ok := p.net.loss.(LabelChecker); ok {
		if err := lc.CheckLabels(y, p.net.out, p.batch); err != nil {
			return fmt.Errorf("graph: targets for loss %s: %w", p.net.loss.Name(), err)
		}
	}
	setInput(p.m, p.x, x)
	setInput(p.m, p.y, y)
	p.xSet, p.ySet = true, true
	return nil
}

// SetInput binds X alone, for Output (prediction needs no targets).
func (p *Program) SetInput(x []float64) error {
	if err := p.checkX(x); err != nil {
		return err
	}
	setInput(p.m, p.x, x)
	p.xSet = true
	return nil
}

func (p *Program) checkX(x []float64) error {
	if len(x) != len(p.x.buf) {
		return fmt.Errorf("graph: X has %d values, want %d×%d: %w", len(x), p.net.in, p.batch, ErrShape)
	}
	if i := firstNonFinite(x); i >= 0 {
		return fmt.Errorf("graph: X row %d column %d is %v: %w", i/p.batch, i%p.batch, x[i], ErrNotFinite)
	}
	return nil
}

// BatchValues returns the bound X and Y (read-only views).
func (p *Program) BatchValues() (x, y []float64, err error) {
	if !p.ySet {
		return nil, nil, fmt.Errorf("graph: no batch bound (call SetBatch): %w", ErrArgument)
	}
	return p.x.buf, p.y.buf, nil
}

// SetWeights binds all blocks; only blocks whose values changed invalidate
// what depends on them.
func (p *Program) SetWeights(w Weights) error {
	if len(w) != len(p.net.blocks) {
		return p.net.CheckWeights(w) // the count error
	}
	// Blocks equal to the bound ones were checked when they were bound:
	// only the changed blocks are checked for finiteness (in a block
	// update of a large network the others are most of the weights). All
	// are checked before any is bound, so a failed call binds nothing.
	changed := p.changed[:0]
	for j, b := range p.net.blocks {
		if len(w[j]) != b.Size() {
			return p.net.CheckWeights(w) // the shape error
		}
		c := inputDiffers(p.m, p.w[j], w[j])
		if c && !allFinite(w[j]) {
			return fmt.Errorf("graph: block %q: %w", b.Name, ErrNotFinite)
		}
		changed = append(changed, c)
	}
	p.changed = changed
	for j, c := range changed {
		if c {
			bindInput(p.m, p.w[j], w[j])
		}
	}
	p.wSet = true
	return nil
}

// SetBlock binds block j alone (the other blocks keep their values).
func (p *Program) SetBlock(j int, w []float64) error {
	if err := p.checkBlock(j, w, "weights"); err != nil {
		return err
	}
	if !allFinite(w) {
		return fmt.Errorf("graph: block %q: %w", p.net.blocks[j].Name, ErrNotFinite)
	}
	setInput(p.m, p.w[j], w)
	return nil
}

func setInput(m *machine, in *input, src []float64) {
	if inputDiffers(m, in, src) {
		bindInput(m, in, src)
	}
}

// inputDiffers reports whether binding src to in would change anything:
// in holds other values, or is not valid.
func inputDiffers(m *machine, in *input, src []float64) bool {
	return !m.valid[m.index[in.node]] || !slices.Equal(in.buf, src)
}

// bindInput copies src into in and invalidates what depends on it.
func bindInput(m *machine, in *input, src []float64) {
	copy(in.buf, src)
	m.touched(in.node)
}

// bindColumns binds columns [lo, lo+p.batch) of the rows×B matrices x and
// y (y nil: X alone, as SetInput) straight into the program's inputs,
// without a copy of the whole batch. The caller (Sharded) has checked x and
// y whole: shapes, finiteness and labels.
func (p *Program) bindColumns(x, y []float64, B, lo int) {
	setColumns(p.m, p.x, x, B, lo)
	p.xSet, p.ySet = true, false
	if y != nil {
		setColumns(p.m, p.y, y, B, lo)
		p.ySet = true
	}
}

// setColumns is setInput for columns [lo, lo+n) of the rows×B matrix src,
// n the input's column count.
func setColumns(m *machine, in *input, src []float64, B, lo int) {
	n := in.val.Shape()[1]
	rows := len(in.buf) / n
	same := m.valid[m.index[in.node]]
	for r := 0; r < rows && same; r++ {
		dst, s := in.buf[r*n:(r+1)*n], src[r*B+lo:r*B+lo+n]
		for i, v := range s {
			if dst[i] != v {
				same = false
				break
			}
		}
	}
	if same {
		return
	}
	for r := 0; r < rows; r++ {
		copy(in.buf[r*n:(r+1)*n], src[r*B+lo:r*B+lo+n])
	}
	m.touched(in.node)
}

func firstNonFinite(x []float64) int {
	for i, v := range x {
		if v != v || v > maxFloat || v < -maxFloat {
			return i
		}
	}
	return -1
}

const maxFloat = 1.7976931348623157e308

func (p *Program) ready() error {
	if !p.ySet {
		return fmt.Errorf("graph: no batch bound (call SetBatch): %w", ErrArgument)
	}
	if !p.wSet {
		return fmt.Errorf("graph: no weights bound (call SetWeights): %w", ErrArgument)
	}
	return nil
}

func (p *Program) checkBlock(j int, buf []float64, what string) error {
	if j < 0 || j >= len(p.net.blocks) {
		return fmt.Errorf("graph: block index %d out of range [0,%d): %w", j, len(p.net.blocks), ErrArgument)
	}
	if len(buf) != p.net.blocks[j].Size() {
		b := p.net.blocks[j]
		return fmt.Errorf("graph: block %q %s has %d values, want %d×%d: %w", b.Name, what, len(buf), b.Rows, b.Cols, ErrShape)
	}
	return nil
}

// Objective returns f(W) = ℓ + Σ_j λ_j‖W_j‖²_F on the bound batch (the
// non-smooth L1 terms are not included; see L1Penalty).
func (p *Program) Objective() (float64, error) {
	if err := p.ready(); err != nil {
		return 0, err
	}
	return p.m.evalScalar(p.f)
}

// DataLoss returns ℓ(H(X), Y) alone.
func (p *Program) DataLoss() (float64, error) {
	if err := p.ready(); err != nil {
		return 0, err
	}
	return p.m.evalScalar(p.loss)
}

// Output copies H(X) (dJ×B, row-major) into dst.
func (p *Program) Output(dst []float64) error {
	if !p.xSet || !p.wSet {
		return fmt.Errorf("graph: Output needs X and weights bound (SetInput or SetBatch, SetWeights): %w", ErrArgument)
	}
	if len(dst) != p.net.out*p.batch {
		return fmt.Errorf("graph: output buffer has %d values, want %d×%d: %w", len(dst), p.net.out, p.batch, ErrShape)
	}
	return p.m.evalCopy(p.h, dst)
}

// Grad copies ∇_{W_j} f into dst (row-major, the block's shape).
func (p *Program) Grad(j int, dst []float64) error {
	if err := p.ready(); err != nil {
		return err
	}
	if err := p.checkBlock(j, dst, "gradient buffer"); err != nil {
		return err
	}
	return p.m.evalCopy(p.grad[j], dst)
}

// tikhonov is λ_j as it enters this program's f (0 for a data-only program).
func (p *Program) tikhonov(j int) float64 {
	if p.dataOnly {
		return 0
	}
	return p.net.blocks[j].Tikhonov
}

// checkProduct validates the arguments of a curvature-vector product.
func (p *Program) checkProduct(j int, v, dst []float64) error {
	if err := p.ready(); err != nil {
		return err
	}
	if err := p.secondOrder(); err != nil {
		return err
	}
	if err := p.checkBlock(j, v, "direction"); err != nil {
		return err
	}
	return p.checkBlock(j, dst, "product buffer")
}

// HVP copies the exact block Hessian-vector product ∇²_{W_j} f · V into dst.
func (p *Program) HVP(j int, v, dst []float64) error {
	if err := p.checkProduct(j, v, dst); err != nil {
		return err
	}
	if p.hvp[j] == nil {
		clear(dst)
		return nil
	}
	setInput(p.m, p.v[j], v)
	return p.m.evalCopy(p.hvp[j], dst)
}

// GaussNewton copies J_jᵀ ∇²_H ℓ J_j V + 2λ_j V into dst: the positive
// semi-definite curvature of classical Levenberg-Marquardt (for a loss
// convex in H), plus the Tikhonov term's exact Hessian.
func (p *Program) GaussNewton(j int, v, dst []float64) error {
	if err := p.checkProduct(j, v, dst); err != nil {
		return err
	}
	lam := p.tikhonov(j)
	if p.mc == nil || p.jv[j] == nil {
		for i := range dst {
			dst[i] = 2 * lam * v[i]
		}
		return nil
	}
	setInput(p.m, p.v[j], v)
	jv, err := p.m.eval(p.jv[j])
	if err != nil {
		return err
	}
	if err := copyOut(p.tmpOut, jv); err != nil {
		return err
	}
	hv, err := p.m.eval(p.h)
	if err != nil {
		return err
	}
	if err := copyOut(p.hl.buf, hv); err != nil {
		return err
	}
	p.m.touched(p.hl.node)
	setInput(p.m, p.c, p.tmpOut)
	mc, err := p.m.eval(p.mc)
	if err != nil {
		return err
	}
	if err := copyOut(p.tmpOut, mc); err != nil {
		return err
	}
	setInput(p.m, p.u, p.tmpOut)
	val, err := p.m.eval(p.jtu[j])
	if err != nil {
		return err
	}
	if err := copyOut(dst, val); err != nil {
		return err
	}
	for i := range dst {
		dst[i] += 2 * lam * v[i]
	}
	return nil
}

// Hessian fills dst (p×p row-major, p = block size) with the explicit block
// Hessian ∇²_{W_j} f, symmetrised. For a layer of a declared chain with a
// loss that is a sum of per-sample terms it is assembled from the
// pre-activation curvature (d_j sweeps instead of p); otherwise column by
// column from Hessian-vector products with unit vectors. Intended for small
// blocks.
func (p *Program) Hessian(j int, dst []float64) error {
	if err := p.secondOrder(); err != nil {
		return err
	}
	if j >= 0 && j < len(p.fastH) && p.fastH[j] != nil {
		return p.assembleHessian(j, dst)
	}
	return p.explicit(j, dst, p.HVP)
}

// GaussNewtonMatrix fills dst with the explicit block Gauss-Newton matrix
// J_jᵀ ∇²_H ℓ J_j + 2λ_j I. For a layer of a declared chain and a loss that
// is a sum of per-sample terms it is assembled in one pass from the
// back-propagated deltas and the layer input (dJ backward sweeps and one
// matrix product); otherwise column by column from products.
func (p *Program) GaussNewtonMatrix(j int, dst []float64) error {
	if err := p.secondOrder(); err != nil {
		return err
	}
	if j >= 0 && j < len(p.fastGN) && p.fastGN[j] != nil {
		return p.assembleGN(j, dst)
	}
	return p.explicit(j, dst, p.GaussNewton)
}

func (p *Program) explicit(j int, dst []float64, prod func(int, []float64, []float64) error) error {
	if j < 0 || j >= len(p.net.blocks) {
		return fmt.Errorf("graph: block index %d out of range [0,%d): %w", j, len(p.net.blocks), ErrArgument)
	}
	n := p.net.blocks[j].Size()
	if len(dst) != n*n {
		return fmt.Errorf("graph: Hessian buffer has %d values, want %d×%d: %w", len(dst), n, n, ErrShape)
	}
	e := make([]float64, n)
	col := make([]float64, n)
	for k := 0; k < n; k++ {
		e[k] = 1
		if err := prod(j, e, col); err != nil {
			return err
		}
		e[k] = 0
		for i := 0; i < n; i++ {
			dst[i*n+k] = col[i]
		}
	}
	symmetrizeAddDiag(dst, n, 0)
	return nil
}

// deferred keeps what buildSecondOrder needs: second-order nodes are added
// to the graph on the first curvature request, so first-order solvers (and
// growing mini-batches, which compile a program per batch size) never pay
// for them.
type deferred struct {
	b    *Builder
	one  *G.Node
	done bool
}

// newMachine (re)creates the evaluator over the whole graph and binds every
// input to its buffer.
func (p *Program) newMachine() (err error) {
	if p.m, err = newMachine(p.build.b.g); err != nil {
		return err
	}
	for _, in := range append([]*input{p.x, p.y}, p.w...) {
		p.m.bind(in.node, in.val)
	}
	if p.build.done {
		for _, in := range append([]*input{p.u, p.hl, p.c}, p.v...) {
			p.m.bind(in.node, in.val)
		}
		for _, a := range p.fastH {
			if a != nil {
				p.m.bind(a.dir.node, a.dir.val)
			}
		}
	}
	return nil
}

// PrepareCurvature builds the second-order nodes now rather than on the
// first curvature request, for instance to keep that one-time cost out of a
// timed loop.
func (p *Program) PrepareCurvature() error { return p.secondOrder() }

// secondOrder builds the Hessian-vector, Gauss-Newton and explicit-matrix
// nodes once, then rebuilds the evaluator (its memo starts afresh).
func (p *Program) secondOrder() (err error) {
	if p.build.done {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("graph: panic inside gorgonia: %v", r)
		}
	}()
	n, b, one, h, f := p.net, p.build.b, p.build.one, p.h, p.f
	g, wnodes, batch := b.g, b.nodes, p.batch
	// Hessian-vector products: d/dW_j ⟨∇_j f, V_j⟩ (reverse over reverse).
	for j, blk := range n.blocks {
		v := newInput(g, "V_"+blk.Name, blk.Rows, blk.Cols)
		p.v = append(p.v, v)
		s := G.Must(G.Sum(G.Must(G.HadamardProd(p.grad[j], v.node))))
		hv, err := reverseSweep(s, one, []*G.Node{wnodes[j]})
		if err != nil {
			return fmt.Errorf("block %q Hessian-vector product: %w", blk.Name, err)
		}
		p.hvp = append(p.hvp, hv[0]) // nil: the block enters f linearly
	}
	// Gauss-Newton: J_jᵀu = d/dW_j ⟨H, u⟩; J_j V = d/du ⟨J_jᵀu, V⟩ (J_jᵀu is
	// linear in u, so this does not depend on u); ∇²ℓ·c = d/dH' ⟨∇_H' ℓ, c⟩
	// on a copy of the loss whose input H' is a leaf.
	p.u = newInput(g, "U", n.out, batch)
	sh := G.Must(G.Sum(G.Must(G.HadamardProd(h, p.u.node))))
	if p.jtu, err = reverseSweep(sh, one, wnodes); err != nil {
		return fmt.Errorf("the Jacobian-transpose product: %w", err)
	}
	for j, blk := range n.blocks {
		s := G.Must(G.Sum(G.Must(G.HadamardProd(p.jtu[j], p.v[j].node))))
		jv, err := reverseSweep(s, one, []*G.Node{p.u.node})
		if err != nil {
			return fmt.Errorf("block %q Jacobian-vector product: %w", blk.Name, err)
		}
		p.jv = append(p.jv, jv[0])
	}
	p.hl = newInput(g, "Hleaf", n.out, batch)
	lleaf, err := n.loss.Build(p.hl.node, p.y.node)
	if err != nil {
		return fmt.Errorf("loss %s: %w", n.loss.Name(), err)
	}
	gl, err := reverseSweep(lleaf, one, []*G.Node{p.hl.node})
	if err != nil {
		return fmt.Errorf("loss gradient: %w", err)
	}
	p.c = newInput(g, "C", n.out, batch)
	if gl[0] != nil {
		s := G.Must(G.Sum(G.Must(G.HadamardProd(gl[0], p.c.node))))
		mc, err := reverseSweep(s, one, []*G.Node{p.hl.node})
		if err != nil {
			return fmt.Errorf("loss Hessian: %w", err)
		}
		p.mc = mc[0]
	}
	if sep, ok := n.loss.(SampleSeparable); ok && sep.SampleSeparable() && p.mc != nil {
		if _, chain := verifyChain(b, b.x, h); chain {
			p.fastGN = make([]*gnAssembly, len(n.blocks))
			for _, l := range b.layers {
				if l.Pre == nil || l.Z == nil {
					continue
				}
				d, err := reverseSweep(sh, one, []*G.Node{l.Pre})
				if err != nil || d[0] == nil {
					continue // fall back to products
				}
				p.fastGN[l.block] = &gnAssembly{delta: d[0], z: l.Z}
			}
			if p.fastH, err = preActivationHessians(g, f, one, b, n); err != nil {
				return err
			}
		}
	}
	p.build.done = true
	return p.newMachine()
}

package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Errors returned by New and Program methods; test with errors.Is.
var (
	ErrShape     = errors.New("shape mismatch")
	ErrArgument  = errors.New("invalid argument")
	ErrNotFinite = errors.New("value is not finite")
)

// Shape describes how a scalar function bends and moves: the facts the seed
// paper's Proposition 1 combines to certify that a block problem is convex
// (or, Appendix A.2, concave).
type Shape struct {
	Convex, Concave              bool
	NonDecreasing, NonIncreasing bool
}

// Loss is a data-fit term ℓ(H, Y) over a batch. Implementations live in
// package losses.
type Loss interface {
	// Name is the loss's short name, as used on the command line.
	Name() string
	// Build returns the scalar node ℓ(H, Y), averaged over the columns
	// (samples) of h and y, which have the same dJ×B shape.
	Build(h, y *G.Node) (*G.Node, error)
	// Shape is the curvature and monotonicity of ℓ in H (Proposition 1).
	Shape() Shape
}

// LabelChecker is implemented by losses that accept only some targets
// (binary labels, ±1 labels, one-hot columns).
type LabelChecker interface {
	CheckLabels(y []float64, rows, cols int) error
}

// BuildFunc declares an architecture: given the input node x (d0×B) it
// declares weight blocks through b and returns the network output H(X), a
// dJ×B node. It is called once per distinct batch size and must declare the
// same blocks every time.
type BuildFunc func(b *Builder, x *G.Node) (*G.Node, error)

// Builder hands weight blocks to a BuildFunc. Its errors are sticky: after
// the first failure every call returns nil and Err reports the failure, so a
// chain of layer calls needs one check at the end (New performs it).
//
// A Builder belongs to the one BuildFunc call it is passed to and is not safe
// for concurrent use; Net calls BuildFunc afresh (with a fresh Builder and
// graph) for every Program it compiles, possibly from several goroutines at
// once, so a BuildFunc must not write shared state.
type Builder struct {
	g      *G.ExprGraph
	batch  int
	blocks []Block
	nodes  []*G.Node
	names  map[string]int
	layers []layerDecl
	x      *G.Node
	err    error
}

// Graph is the expression graph under construction.
func (b *Builder) Graph() *G.ExprGraph { return b.g }

// Batch is the number of columns (samples) of the input.
func (b *Builder) Batch() int { return b.batch }

// Err is the first error met while building, if any.
func (b *Builder) Err() error { return b.err }

// Fail records err (with context) unless an earlier error is recorded.
func (b *Builder) Fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

// Weight declares a rows×cols weight block and returns its node. Names must
// be unique within a network.
func (b *Builder) Weight(name string, rows, cols int, opts ...BlockOption) *G.Node {
	if b.err != nil {
		return nil
	}
	if name == "" {
		b.Fail(fmt.Errorf("graph: weight block with empty name: %w", ErrArgument))
		return nil
	}
	if _, dup := b.names[name]; dup {
		b.Fail(fmt.Errorf("graph: weight block %q declared twice: %w", name, ErrArgument))
		return nil
	}
	if rows <= 0 || cols <= 0 {
		b.Fail(fmt.Errorf("graph: weight block %q has shape %d×%d: %w", name, rows, cols, ErrShape))
		return nil
	}
	blk := Block{Name: name, Rows: rows, Cols: cols}
	for _, o := range opts {
		o(&blk)
	}
	n := G.NewMatrix(b.g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name))
	b.names[name] = len(b.blocks)
	b.blocks = append(b.blocks, blk)
	b.nodes = append(b.nodes, n)
	return n
}

// Option configures a Net.
type Option func(*Net) error

// Tikhonov adds λ‖W_j‖²_F to every block (λ ≥ 0).
func Tikhonov(lambda float64) Option {
	return func(n *Net) error {
		if !(lambda >= 0) {
			return fmt.Errorf("graph: Tikhonov λ = %v must be ≥ 0: %w", lambda, ErrArgument)
		}
		for i := range n.blocks {
			n.blocks[i].Tikhonov = lambda
		}
		return nil
	}
}

// L1 sets the non-smooth regulariser λ‖W_j‖₁ on every block (λ ≥ 0).
func L1(lambda float64) Option {
	return func(n *Net) error {
		if !(lambda >= 0) {
			return fmt.Errorf("graph: L1 λ = %v must be ≥ 0: %w", lambda, ErrArgument)
		}
		for i := range n.blocks {
			n.blocks[i].L1 = lambda
		}
		return nil
	}
}

// BlockRegularizer sets Tikhonov and L1 weights of one named block.
func BlockRegularizer(name string, tikhonov, l1 float64) Option {
	return func(n *Net) error {
		if !(tikhonov >= 0) || !(l1 >= 0) {
			return fmt.Errorf("graph: block %q regulariser λ (%v, %v) must be ≥ 0: %w", name, tikhonov, l1, ErrArgument)
		}
		j, ok := n.BlockIndex(name)
		if !ok {
			return fmt.Errorf("graph: regulariser for unknown block %q: %w", name, ErrArgument)
		}
		n.blocks[j].Tikhonov, n.blocks[j].L1 = tikhonov, l1
		return nil
	}
}

// MaxPrograms bounds how many compiled programs (one per batch size) the
// Net's shared cache (Net.Program) and each ProgramCache keep; the least
// recently used is dropped first. The Net's pool of idle programs keeps at
// most twice as many. The default is 8.
func MaxPrograms(k int) Option {
	return func(n *Net) error {
		if k < 1 {
			return fmt.Errorf("graph: MaxPrograms(%d) must be ≥ 1: %w", k, ErrArgument)
		}
		n.maxPrograms = k
		return nil
	}
}

// Net is a network f(W) = ℓ(H(X), Y) + Σ_j r_j(W_j) declared as a Gorgonia
// expression graph. It compiles one Program per batch size on demand.
//
// A Net is a description and is safe for concurrent use once New returns:
// every method may be called from several goroutines at once, and concurrent
// runs on one Net (solvers.Minimize, solvers.Race) give bitwise the results
// of lone runs. What is mutable lives elsewhere: a Program belongs to one
// goroutine at a time, and so does a ProgramCache. The one exception is the
// shared cache behind Net.Program, whose programs every caller shares (see
// there).
type Net struct {
	build       BuildFunc
	loss        Loss
	in, out     int
	blocks      []Block
	maxPrograms int
	chain       []Shape
	chainOK     bool

	mu    sync.Mutex
	progs map[int]*Program // the shared cache of Net.Program
	used  []int            // its batch sizes, least recently used first
	idle  []*Program       // released by ProgramCaches, oldest first
}

// New declares a network with in input features. build is called once at
// once (with a batch of one column) to discover the blocks and the output
// size.
func New(in int, build BuildFunc, loss Loss, opts ...Option) (*Net, error) {
	if in <= 0 {
		return nil, fmt.Errorf("graph: input dimension %d: %w", in, ErrShape)
	}
	if build == nil || loss == nil {
		return nil, fmt.Errorf("graph: nil build function or loss: %w", ErrArgument)
	}
	n := &Net{build: build, loss: loss, in: in, maxPrograms: 8, progs: map[int]*Program{}}
	b, h, err := n.declare(1)
	if err != nil {
		return nil, err
	}
	n.blocks = b.blocks
	n.out = h.Shape()[0]
	n.chain, n.chainOK = verifyChain(b, b.x, h)
	if len(n.blocks) == 0 {
		return nil, fmt.Errorf("graph: the network declares no weight blocks: %w", ErrArgument)
	}
	for _, o := range opts {
		if err := o(n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *Net) declare(batch int) (*Builder, *G.Node, error) {
	b := &Builder{g: G.NewGraph(), batch: batch, names: map[string]int{}}
	x := G.NewMatrix(b.g, tensor.Float64, G.WithShape(n.in, batch), G.WithName("X"))
	b.x = x
	h, err := callBuild(n.build, b, x)
	if b.err != nil {
		err = b.err // the first recorded failure explains any later panic
	}
	if err != nil {
		return nil, nil, fmt.Errorf("graph: building the network: %w", err)
	}
	if h == nil {
		return nil, nil, fmt.Errorf("graph: the build function returned no output node: %w", ErrArgument)
	}
	s := h.Shape()
	if len(s) != 2 || s[1] != batch || h.Dtype() != tensor.Float64 {
		return nil, nil, fmt.Errorf("graph: network output has shape %v, want a float64 d×%d matrix (one column per sample): %w", s, batch, ErrShape)
	}
	return b, h, nil
}

// callBuild turns a panic inside Gorgonia (for instance a shape mismatch in
// a hand-written graph) into an error.
func callBuild(build BuildFunc, b *Builder, x *G.Node) (h *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while building: %v: %w", r, ErrShape)
		}
	}()
	return build(b, x)
}

// In is the input dimension d0.
func (n *Net) In() int { return n.in }

// Out is the output dimension dJ.
func (n *Net) Out() int { return n.out }

// Loss is the network's loss.
func (n *Net) Loss() Loss { return n.loss }

// Blocks returns a copy of the block descriptions, in declaration order.
func (n *Net) Blocks() []Block { return append([]Block(nil), n.blocks...) }

// NumBlocks is J.
func (n *Net) NumBlocks() int { return len(n.blocks) }

// BlockIndex finds a block by name.
func (n *Net) BlockIndex(name string) (int, bool) {
	for j, b := range n.blocks {
		if b.Name == name {
			return j, true
		}
	}
	return -1, false
}

// NewWeights returns zero weights of the right shapes.
func (n *Net) NewWeights() Weights {
	w := make(Weights, len(n.blocks))
	for j, b := range n.blocks {
		w[j] = make([]float64, b.Size())
	}
	return w
}

// Init draws starting weights with each block's initializer (GlorotNormal by
// default) and projects them onto the block's feasible set.
func (n *Net) Init(rng *rand.Rand) Weights {
	w := n.NewWeights()
	for j, b := range n.blocks {
		init := b.Init
		if init == nil {
			init = GlorotNormal
		}
		init(rng, b.Rows, b.Cols, w[j])
		if b.Set != nil {
			b.Set.Project(w[j])
		}
	}
	return w
}

// CheckWeights reports a shape mismatch or a non-finite weight, naming the block.
func (n *Net) CheckWeights(w Weights) error {
	if len(w) != len(n.blocks) {
		return fmt.Errorf("graph: %d weight blocks given, network has %d: %w", len(w), len(n.blocks), ErrShape)
	}
	for j, b := range n.blocks {
		if len(w[j]) != b.Size() {
			return fmt.Errorf("graph: block %q has %d weights, want %d×%d = %d: %w", b.Name, len(w[j]), b.Rows, b.Cols, b.Size(), ErrShape)
		}
		if !allFinite(w[j]) {
			return fmt.Errorf("graph: block %q: %w", b.Name, ErrNotFinite)
		}
	}
	return nil
}

// Program returns the Net's shared program for batch size batch, compiling
// it on first use; the shared cache keeps MaxPrograms of them.
//
// The lookup is safe for concurrent use, but the Program it returns is not
// exclusive: every caller of Net.Program with the same batch size gets the
// same *Program, and a Program is not safe for concurrent use. Use it from one
// goroutine at a time (quick evaluations, tests, examples). Anything that may
// run beside other work on the same Net takes exclusive programs instead: a
// ProgramCache of its own (NewProgramCache; solvers.Minimize and
// solvers.Objective do this) or a private NewProgram.
func (n *Net) Program(batch int) (*Program, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.progs[batch]; ok {
		n.used = touch(n.used, batch)
		return p, nil
	}
	p, err := n.NewProgram(batch)
	if err != nil {
		return nil, err
	}
	n.progs[batch] = p
	n.used = touch(n.used, batch)
	for len(n.used) > n.maxPrograms {
		delete(n.progs, n.used[0])
		n.used = n.used[1:]
	}
	return p, nil
}

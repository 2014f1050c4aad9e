package layers

import (
	"fmt"

	"github.com/bsum-go/bsum/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DenseOption configures a Dense, Linear or Conv layer.
type DenseOption func(*denseConfig)

type denseConfig struct {
	bias  bool
	block []graph.BlockOption
}

// WithBias folds a bias into the layer's block: the block becomes
// out×(in+1) and the layer computes W·[x; 1ᵀ] = W[:, :in]·x + W[:, in]·1ᵀ,
// keeping one block per layer as the paper's model requires. The bias column
// is regularised like the other weights (Tikhonov, L1, the block's Set).
func WithBias() DenseOption { return func(c *denseConfig) { c.bias = true } }

// WithBlockOptions passes options (a feasible Set, an initializer) to the
// layer's graph.Builder.Weight call.
func WithBlockOptions(opts ...graph.BlockOption) DenseOption {
	return func(c *denseConfig) { c.block = append(c.block, opts...) }
}

// Dense declares the fully connected layer act(W·x) with block name of shape
// out×in (out×(in+1) with WithBias), where x is the in×B output of the
// previous layer, and returns the out×B result. It records the layer with
// b.DeclareLayer so that graph.Net.Chain recognises plain chains.
//
// Errors are sticky, as for graph.Builder: if b already failed, or x is nil
// (a previous layer failed), Dense returns nil without doing anything else;
// bad shapes, a nil activation and Gorgonia errors are recorded with
// b.Fail, naming the layer, and Dense returns nil.
func Dense(b *graph.Builder, name string, out int, x *G.Node, act Activation, opts ...DenseOption) *G.Node {
	var cfg denseConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return layer(b, "dense", name, out, x, act, cfg)
}

// Linear declares the identity layer W·x (deep linear networks,
// H = W_J ⋯ W_1 X, Section 5.2): Dense with Identity.
func Linear(b *graph.Builder, name string, out int, x *G.Node, opts ...DenseOption) *G.Node {
	return Dense(b, name, out, x, Identity(), opts...)
}

// checkInput validates the common arguments of a layer and returns the input
// dimension and batch size; ok is false after a (recorded or earlier) error.
func checkInput(b *graph.Builder, kind, name string, out int, x *G.Node, act Activation) (in, batch int, ok bool) {
	if b == nil || b.Err() != nil {
		return 0, 0, false
	}
	fail := func(err error) (int, int, bool) {
		b.Fail(fmt.Errorf("layers: %s layer %q: %w", kind, name, err))
		return 0, 0, false
	}
	if x == nil {
		return fail(fmt.Errorf("nil input node: %w", graph.ErrArgument))
	}
	if act == nil {
		return fail(fmt.Errorf("nil activation (use Identity()): %w", graph.ErrArgument))
	}
	if out <= 0 {
		return fail(fmt.Errorf("output size %d must be positive: %w", out, graph.ErrShape))
	}
	s := x.Shape()
	if len(s) != 2 || x.Dtype() != tensor.Float64 {
		return fail(fmt.Errorf("input %q has shape %v and dtype %v, want a float64 d×B matrix: %w", x.Name(), s, x.Dtype(), graph.ErrShape))
	}
	if s[0] <= 0 || s[1] <= 0 {
		return fail(fmt.Errorf("input %q has shape %v: %w", x.Name(), s, graph.ErrShape))
	}
	return s[0], s[1], true
}

func layer(b *graph.Builder, kind, name string, out int, x *G.Node, act Activation, cfg denseConfig) (h *G.Node) {
	in, batch, ok := checkInput(b, kind, name, out, x, act)
	if !ok {
		return nil
	}
	fail := func(err error) *G.Node {
		b.Fail(fmt.Errorf("layers: %s layer %q: %w", kind, name, err))
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			h = fail(fmt.Errorf("panic inside gorgonia: %v: %w", r, graph.ErrShape))
		}
	}()
	z, cols := x, in
	if cfg.bias {
		ones := onesRow(b.Graph(), batch)
		var err error
		if z, err = G.Concat(0, x, ones); err != nil {
			return fail(fmt.Errorf("appending the bias row: %w", err))
		}
		cols++
	}
	w := b.Weight(name, out, cols, cfg.block...)
	if w == nil {
		return nil // b.Weight recorded the error
	}
	pre, err := G.Mul(w, z)
	if err != nil {
		return fail(fmt.Errorf("the product W·x with W %d×%d and x %v: %w", out, cols, z.Shape(), err))
	}
	if h, err = act.Apply(pre); err != nil {
		return fail(err)
	}
	if s := h.Shape(); len(s) != 2 || s[0] != out || s[1] != batch {
		return fail(fmt.Errorf("activation %s returned shape %v, want %d×%d: %w", act.Name(), s, out, batch, graph.ErrShape))
	}
	b.DeclareLayer(graph.Layer{Weight: w, Input: x, Z: z, Pre: pre, Output: h, Activation: act.Shape()})
	return h
}

// onesRow is the constant 1×B row of ones appended to a layer's input for
// its bias. Constants are shared by name within a graph, so every biased
// layer reuses one node.
func onesRow(g *G.ExprGraph, batch int) *G.Node {
	ones := make([]float64, batch)
	for i := range ones {
		ones[i] = 1
	}
	t := tensor.New(tensor.WithShape(1, batch), tensor.WithBacking(ones))
	return G.NewConstant(t, G.In(g), G.WithName(fmt.Sprintf("bsum/layers.ones(1×%d)", batch)))
}

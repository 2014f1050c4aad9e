package graph

import (
	G "gorgonia.org/gorgonia"
)

// Layer describes one layer of a feed-forward chain for DeclareLayer:
// Pre = Weight · Z and Output = act(Pre) elementwise, where Z is Input or
// Input with a constant row of ones appended (a bias folded into the block).
// Every column (sample) is processed independently.
type Layer struct {
	Weight, Input, Z, Pre, Output *G.Node
	Activation                    Shape
}

type layerDecl struct {
	block int
	Layer
}

// DeclareLayer records a layer built from a block node returned by Weight.
// Layer helpers call it; it lets a Net recognise a plain feed-forward chain,
// the structure the seed paper's Proposition 1 reasons about and the one for
// which block Gauss-Newton matrices are assembled in one pass. Hand-written
// graphs need not call it: they simply get no convexity certificate and the
// generic (product by product) curvature matrices.
func (b *Builder) DeclareLayer(l Layer) {
	if b.err != nil || l.Weight == nil || l.Output == nil {
		return
	}
	for j, n := range b.nodes {
		if n == l.Weight {
			b.layers = append(b.layers, layerDecl{block: j, Layer: l})
			return
		}
	}
}

// Chain returns the activation shapes Σ_1..Σ_J in block order when the
// network is a verified plain chain H = Σ_J(W_J Σ_{J−1}(… Σ_1(W_1 X))): every
// block declared exactly once as a layer, in order, each layer's input the
// previous layer's output (X for the first), and the last layer's output H.
// ok is false for any other architecture.
func (n *Net) Chain() (acts []Shape, ok bool) {
	return n.chain, n.chainOK
}

func verifyChain(b *Builder, x, h *G.Node) ([]Shape, bool) {
	if len(b.layers) != len(b.blocks) {
		return nil, false
	}
	acts := make([]Shape, len(b.layers))
	prev := x
	for j, l := range b.layers {
		if l.block != j || l.Input != prev {
			return nil, false
		}
		acts[j] = l.Activation
		prev = l.Output
	}
	if prev != h {
		return nil, false
	}
	return acts, true
}

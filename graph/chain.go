package graph

import (
	G "gorgonia.org/gorgonia"
)

// layerDecl records that block Block was used as a layer:
// Output = act(Block · Input) (possibly with a bias row folded into Block).
type layerDecl struct {
	block         int
	input, output *G.Node
	act           Shape
}

// DeclareLayer records that output = act(W · input), where w is a block
// node returned by Weight. Layer helpers call it; it lets a Net recognise a
// plain feed-forward chain, the structure the seed paper's Proposition 1
// reasons about. Hand-written graphs need not call it: they simply get no
// convexity certificate.
func (b *Builder) DeclareLayer(w, input, output *G.Node, act Shape) {
	if b.err != nil || w == nil || output == nil {
		return
	}
	for j, n := range b.nodes {
		if n == w {
			b.layers = append(b.layers, layerDecl{block: j, input: input, output: output, act: act})
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
		if l.block != j || l.input != prev {
			return nil, false
		}
		acts[j] = l.act
		prev = l.output
	}
	if prev != h {
		return nil, false
	}
	return acts, true
}

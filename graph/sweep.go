package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// reverseSweep builds, inside the graph of output, symbolic nodes for
// d⟨seed, output⟩/d wrt[i] by a reverse sweep of its own over Gorgonia's
// public API.
//
// Gorgonia's Grad and Backpropagate store each node's derivative on the node
// and reuse it when they meet the node again, so a second differentiation
// through already-differentiated nodes silently returns stale values (a naive
// Grad of ⟨∇f, v⟩ returns ∇f, not Hv). This sweep keeps its adjoints in a map
// local to the call and never reads or writes Node.Deriv, so it can be run any
// number of times on the same graph: reverse-over-reverse gives exact
// Hessian-vector products.
//
// A wrt node that output does not depend on gets a nil entry: its derivative
// is identically zero.
func reverseSweep(output, seed *G.Node, wrt []*G.Node) ([]*G.Node, error) {
	g := output.Graph()
	sorted, err := G.Sort(g) // root first: a node comes before its children
	if err != nil {
		return nil, fmt.Errorf("graph: sort for differentiation: %w", err)
	}
	// dependsOnWRT: the node is a differentiable function of some wrt node.
	wrtSet := make(map[*G.Node]bool, len(wrt))
	for _, w := range wrt {
		wrtSet[w] = true
	}
	depends := make(map[*G.Node]bool)
	for i := len(sorted) - 1; i >= 0; i-- { // leaves first
		n := sorted[i]
		if wrtSet[n] {
			depends[n] = true
			continue
		}
		op, ok := n.Op().(G.SDOp)
		if n.Op() == nil || !ok {
			continue
		}
		kids := children(g, n)
		diff := op.DiffWRT(len(kids))
		for k, c := range kids {
			if k < len(diff) && diff[k] && depends[c] {
				depends[n] = true
				break
			}
		}
	}
	if !depends[output] {
		return make([]*G.Node, len(wrt)), nil
	}

	adj := map[*G.Node][]*G.Node{output: {seed}}
	total := make(map[*G.Node]*G.Node)
	for _, n := range sorted {
		terms, ok := adj[n]
		if !ok || !depends[n] {
			continue
		}
		sum, err := addAll(terms)
		if err != nil {
			return nil, fmt.Errorf("graph: summing adjoints of %v: %w", n, err)
		}
		total[n] = sum
		if n.Op() == nil {
			continue // an input: nothing below it
		}
		op, ok := n.Op().(G.SDOp)
		if !ok {
			return nil, fmt.Errorf("graph: op %v of node %q is not symbolically differentiable (does not implement gorgonia.SDOp)", n.Op(), n.Name())
		}
		kids := children(g, n)
		diff := op.DiffWRT(len(kids))
		need := false
		for k, c := range kids {
			if k < len(diff) && diff[k] && depends[c] {
				need = true
			}
		}
		if !need {
			continue
		}
		grads, err := op.SymDiff(kids, n, sum)
		if err != nil {
			return nil, fmt.Errorf("graph: differentiating op %v of node %q: %w", n.Op(), n.Name(), err)
		}
		for k, c := range kids {
			if k >= len(diff) || !diff[k] || !depends[c] || k >= len(grads) || grads[k] == nil {
				continue
			}
			adj[c] = append(adj[c], grads[k])
		}
	}
	out := make([]*G.Node, len(wrt))
	for i, w := range wrt {
		out[i] = total[w]
	}
	return out, nil
}

// children returns the ordered operands of n.
func children(g *G.ExprGraph, n *G.Node) []*G.Node {
	it := g.From(n.ID())
	kids := make([]*G.Node, 0, it.Len())
	for it.Next() {
		kids = append(kids, it.Node().(*G.Node))
	}
	return kids
}

func addAll(terms []*G.Node) (*G.Node, error) {
	sum := terms[0]
	for _, t := range terms[1:] {
		var err error
		if sum, err = G.Add(sum, t); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

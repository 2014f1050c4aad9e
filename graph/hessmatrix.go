package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// hessAssembly holds the nodes for block j's exact Hessian from the
// curvature of f in the layer's pre-activation U_j = W_j Z (d_j×B):
// hq = ∂/∂U ⟨∂f/∂U, dir⟩ for a direction dir bound to the input node.
type hessAssembly struct {
	z   *G.Node
	hq  *G.Node
	dir *input
	q   [][]float64 // q[r] = (∇²_U f)·(e_r 1ᵀ), d_j×B
	zs  []float64   // scratch: Z with columns scaled, cols×B
}

// preActivationHessians builds, for every declared layer, the nodes of
// ∇²_U f · dir. With U_j = W_j Z linear in W_j and Z free of W_j, and f a
// sum of per-sample terms, the block Hessian is
//
//	∂²f/∂W[r,c]∂W[r',c'] = Σ_n Q_n[r,r'] Z[c,n] Z[c',n],
//
// where Q_n is sample n's d_j×d_j Hessian in its pre-activation column.
// Q_n[·,r] for all n comes from one product with dir = e_r 1ᵀ, so d_j sweeps
// replace the p = d_j·cols Hessian-vector products.
func preActivationHessians(g *G.ExprGraph, f, one *G.Node, b *Builder, n *Net) ([]*hessAssembly, error) {
	out := make([]*hessAssembly, len(n.blocks))
	for _, l := range b.layers {
		if l.Pre == nil || l.Z == nil {
			continue
		}
		gu, err := reverseSweep(f, one, []*G.Node{l.Pre})
		if err != nil || gu[0] == nil {
			continue // fall back to HVP columns
		}
		s := l.Pre.Shape()
		dir := newInput(g, fmt.Sprintf("dirU_%s", n.blocks[l.block].Name), s[0], s[1])
		sum := G.Must(G.Sum(G.Must(G.HadamardProd(gu[0], dir.node))))
		hq, err := reverseSweep(sum, one, []*G.Node{l.Pre})
		if err != nil {
			return nil, fmt.Errorf("block %q pre-activation Hessian: %w", n.blocks[l.block].Name, err)
		}
		if hq[0] == nil {
			continue // affine in U: the block Hessian is the Tikhonov term's alone, HVPs give it
		}
		out[l.block] = &hessAssembly{z: l.Z, hq: hq[0], dir: dir}
	}
	return out, nil
}

func (p *Program) assembleHessian(j int, dst []float64) error {
	blk, err := p.matrixArgs(j, dst, "Hessian")
	if err != nil {
		return err
	}
	np := blk.Size()
	a := p.fastH[j]
	B, rows, cols := p.batch, blk.Rows, blk.Cols
	z, err := p.layerInput(blk, a.z)
	if err != nil {
		return err
	}
	if a.q == nil {
		a.q = make([][]float64, rows)
		for r := range a.q {
			a.q[r] = make([]float64, rows*B)
		}
		a.zs = make([]float64, cols*B)
	}
	e := a.dir.buf
	for r := 0; r < rows; r++ {
		clear(e)
		for n := 0; n < B; n++ {
			e[r*B+n] = 1
		}
		p.m.touched(a.dir.node)
		if err := p.m.evalCopy(a.hq, a.q[r]); err != nil {
			return err
		}
	}
	// Block (r, r') of the Hessian is Z diag(Q[r,r']) Zᵀ.
	tmp := make([]float64, cols*cols)
	for r := 0; r < rows; r++ {
		for r2 := r; r2 < rows; r2++ {
			q := a.q[r2][r*B : (r+1)*B] // Q_n[r, r2] for every n
			for c := 0; c < cols; c++ {
				zc := z[c*B : (c+1)*B]
				sc := a.zs[c*B : (c+1)*B]
				for n, v := range zc {
					sc[n] = v * q[n]
				}
			}
			largeGemm(false, true, cols, cols, B, a.zs, B, z, B, tmp) // tmp = (Z diag q) Zᵀ
			for c := 0; c < cols; c++ {
				for c2 := 0; c2 < cols; c2++ {
					v := tmp[c*cols+c2]
					dst[(r*cols+c)*np+r2*cols+c2] = v
					dst[(r2*cols+c2)*np+r*cols+c] = v
				}
			}
		}
	}
	symmetrizeAddDiag(dst, np, 2*p.tikhonov(j))
	return nil
}

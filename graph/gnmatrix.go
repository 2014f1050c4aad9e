package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// SampleSeparable is implemented by losses that are means of per-sample
// terms, ℓ = (1/B)Σ_n ℓ_n(h_n, y_n), so that their Hessian in H is block
// diagonal with one dJ×dJ block per sample. It enables the one-pass
// Gauss-Newton matrix.
type SampleSeparable interface {
	SampleSeparable() bool
}

// gnAssembly holds the nodes for block j's one-pass Gauss-Newton matrix:
// delta = ∂⟨H, U⟩/∂Pre_j (per-sample deltas for the cotangent bound to U)
// and z, the layer's matrix-product operand.
type gnAssembly struct {
	delta, z  *G.Node
	jac, prod []float64 // (B·dJ)×p scratch
	ds, ms    [][]float64
}

// assembleGN builds G_j = Σ_n J_nᵀ M_n J_n + 2λ_j I, where J_n (dJ×p) has
// rows δ_n^{(i)} ⊗ z_n: for a column-wise chain, ∂H_{i,n}/∂W_j is the outer
// product of sample n's back-propagated delta for output i and the layer
// input z_n. δ^{(i)} for all samples comes from one backward sweep with the
// cotangent U = e_i 1ᵀ, and M_n's column i from one loss-Hessian product
// with C = e_i 1ᵀ (the loss is separable by sample).
func (p *Program) assembleGN(j int, dst []float64) error {
	blk, err := p.matrixArgs(j, dst, "Gauss-Newton")
	if err != nil {
		return err
	}
	np := blk.Size()
	a := p.fastGN[j]
	B, dJ, rows, cols := p.batch, p.net.out, blk.Rows, blk.Cols
	hv, err := p.m.eval(p.h)
	if err != nil {
		return err
	}
	if err := copyOut(p.hl.buf, hv); err != nil {
		return err
	}
	p.m.touched(p.hl.node)
	z, err := p.layerInput(blk, a.z)
	if err != nil {
		return err
	}
	if a.ds == nil {
		a.ds = make([][]float64, dJ)
		a.ms = make([][]float64, dJ)
		for i := range a.ds {
			a.ds[i] = make([]float64, rows*B)
			a.ms[i] = make([]float64, dJ*B)
		}
		a.jac = make([]float64, B*dJ*np)
		a.prod = make([]float64, B*dJ*np)
	}
	e := p.tmpOut
	for i := 0; i < dJ; i++ {
		clear(e)
		for n := 0; n < B; n++ {
			e[i*B+n] = 1
		}
		setInput(p.m, p.u, e)
		dv, err := p.m.eval(a.delta)
		if err != nil {
			return err
		}
		if err := copyOut(a.ds[i], dv); err != nil {
			return err
		}
		setInput(p.m, p.c, e)
		mv, err := p.m.eval(p.mc)
		if err != nil {
			return err
		}
		if err := copyOut(a.ms[i], mv); err != nil {
			return err
		}
	}
	// J rows (n, i): δ^{(i)}_{r,n} z_{c,n} at r·cols + c.
	jac, prod := a.jac, a.prod
	for n := 0; n < B; n++ {
		for i := 0; i < dJ; i++ {
			row := jac[(n*dJ+i)*np : (n*dJ+i+1)*np]
			d := a.ds[i]
			for r := 0; r < rows; r++ {
				dr := d[r*B+n]
				seg := row[r*cols : (r+1)*cols]
				for c := range seg {
					seg[c] = dr * z[c*B+n]
				}
			}
		}
	}
	// P rows (n, i) = Σ_i' M_n[i, i'] J_(n, i'); M_n[i, i'] = (M e_i')[i, n].
	for n := 0; n < B; n++ {
		for i := 0; i < dJ; i++ {
			out := prod[(n*dJ+i)*np : (n*dJ+i+1)*np]
			clear(out)
			for i2 := 0; i2 < dJ; i2++ {
				mii := a.ms[i2][i*B+n]
				if mii == 0 {
					continue
				}
				src := jac[(n*dJ+i2)*np : (n*dJ+i2+1)*np]
				for k, v := range src {
					out[k] += mii * v
				}
			}
		}
	}
	largeGemm(true, false, np, np, B*dJ, jac, np, prod, np, dst) // dst = Jᵀ·P
	symmetrizeAddDiag(dst, np, 2*p.tikhonov(j))
	return nil
}

// matrixArgs validates an explicit-matrix request for block j and returns
// the block.
func (p *Program) matrixArgs(j int, dst []float64, what string) (Block, error) {
	if err := p.ready(); err != nil {
		return Block{}, err
	}
	blk := p.net.blocks[j]
	if np := blk.Size(); len(dst) != np*np {
		return Block{}, fmt.Errorf("graph: %s buffer has %d values, want %d×%d: %w", what, len(dst), np, np, ErrShape)
	}
	return blk, nil
}

// layerInput evaluates a layer's matrix-product operand Z (cols×B).
func (p *Program) layerInput(blk Block, z *G.Node) ([]float64, error) {
	zv, err := p.m.eval(z)
	if err != nil {
		return nil, err
	}
	flatZ := flat(zv)
	if len(flatZ) != blk.Cols*p.batch {
		return nil, fmt.Errorf("graph: block %q layer input has %d values, want %d×%d", blk.Name, len(flatZ), blk.Cols, p.batch)
	}
	return flatZ, nil
}

// symmetrizeAddDiag replaces the n×n matrix a by (a + aᵀ)/2 + c·I.
func symmetrizeAddDiag(a []float64, n int, c float64) {
	for i := 0; i < n; i++ {
		for k := i + 1; k < n; k++ {
			s := 0.5 * (a[i*n+k] + a[k*n+i])
			a[i*n+k], a[k*n+i] = s, s
		}
		a[i*n+i] += c
	}
}

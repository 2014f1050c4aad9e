package losses

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/bsum-go/bsum/graph"
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the fused ops of the softmax cross-entropy
//
//	ℓ(H) = c·Σₙ [lse(hₙ) − yₙᵀhₙ],  lse(h) = log Σᵢ exp(hᵢ),
//
// of logits H (d×B, one column hₙ per sample) with a scale c (1/B for the
// loss). With sₙ = softmax(hₙ) and Mₙ = diag(sₙ) − sₙsₙᵀ its derivatives are,
// column by column,
//
//	∇ℓ      = c(sₙ − yₙ)                                      (smceGrad)
//	∇²ℓ·A   = c·Mₙaₙ = c·sₙ∘(aₙ − ⟨sₙ, aₙ⟩)                     (smceHess)
//	∇_H ⟨G, ∇²ℓ·A⟩ = c[M(g∘a) − ⟨s,a⟩Mg − ⟨s,g⟩Ma]ₙ            (smceThird)
//
// (the last from ∂s/∂h = M). Every op works one column at a time in a single
// float64 loop over the column, with the column maximum m = hₖ (k the first
// index attaining it) as the shift: eᵢ = exp(hᵢ − m) ≤ 1, eₖ = 1, and
// R = Σ_{i≠k} eᵢ, S = 1 + R. Then
//
//	lse(h) − yᵀh = log1p(R) + Σᵢ yᵢ(m − hᵢ) + (1 − Σᵢ yᵢ)·m,
//	sₖ − yₖ = (1 − yₖ) − R/S,  sᵢ − yᵢ = eᵢ/S − yᵢ (i ≠ k),
//	aᵢ − ⟨s, a⟩ = (aᵢ − aₖ) + D,  D = Σ_{j≠k} sⱼ(aₖ − aⱼ) = aₖ − ⟨s, a⟩,
//
// identities that hold because Σ s = 1 and that never subtract nearly equal
// numbers the way 1 − sₖ or m + log S − hₖ do when one class dominates: the
// value log1p(R) of a confident correct column keeps its full relative
// precision down to R ≈ 1e-308, and so does the gradient −R/S of its label.
// No exponential overflows for any finite logits (|h| = 1e4 and gaps of 1e3
// included; an eᵢ below the float64 range is a correctly rounded zero).
// The shift is a constant for differentiation, which is exact since ℓ does
// not depend on it.

// smceKind names the member of the family.
type smceKind uint8

const (
	smceValue smceKind = iota // (H, Y) → scalar ℓ
	smceGrad                  // (H, Y) → ∇ℓ
	smceHess                  // (H, A) → ∇²ℓ·A
	smceThird                 // (H, G, A) → ∇_H ⟨G, ∇²ℓ·A⟩
)

var smceNames = [...]string{
	smceValue: "softmax-ce",
	smceGrad:  "softmax-ce'",
	smceHess:  "softmax-ce''",
	smceThird: "softmax-ce'''",
}

// smceOp is one of the fused softmax cross-entropy ops; scale is c. Every
// SymDiff returns nodes of the next member, so the loss can be
// differentiated three times (graph needs two).
type smceOp struct {
	kind  smceKind
	rows  int // d, the number of classes
	scale float64
}

// softmaxCE returns the node c·Σₙ [lse(hₙ) − yₙᵀhₙ] of d×B matrices h, y.
func softmaxCE(h, y *G.Node, scale float64) (*G.Node, error) {
	s := h.Shape()
	if len(s) != 2 || s[0] < 1 {
		return nil, fmt.Errorf("losses.softmax-ce: H has shape %v, want a matrix: %w", s, graph.ErrShape)
	}
	return G.ApplyOp(smceOp{kind: smceValue, rows: s[0], scale: scale}, h, y)
}

// next returns the op of kind k with the same classes and scale.
func (op smceOp) next(k smceKind) smceOp { return smceOp{kind: k, rows: op.rows, scale: op.scale} }

// Arity is 2, or 3 for the third derivative.
func (op smceOp) Arity() int {
	if op.kind == smceThird {
		return 3
	}
	return 2
}

// Type is matrix → … → matrix, or matrix → matrix → scalar for the value.
func (op smceOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 2, Of: a}
	ts := make([]hm.Type, op.Arity(), op.Arity()+1)
	for i := range ts {
		ts[i] = t
	}
	if op.kind == smceValue {
		return hm.NewFnType(append(ts, a)...)
	}
	return hm.NewFnType(append(ts, t)...)
}

// InferShape requires equal d×B operands; the value is a scalar, the
// derivatives are d×B.
func (op smceOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(ds), op.Arity())
	}
	s, ok := ds[0].(tensor.Shape)
	if !ok || len(s) != 2 || s[0] != op.rows {
		return nil, fmt.Errorf("%v: operand shape %v, want a %d-row matrix", op, ds[0], op.rows)
	}
	for _, d := range ds[1:] {
		s2, ok := d.(tensor.Shape)
		if !ok || !s.Eq(s2) {
			return nil, fmt.Errorf("%v: operand shapes %v and %v differ", op, s, d)
		}
	}
	if op.kind == smceValue {
		return tensor.ScalarShape(), nil
	}
	return s.Clone(), nil
}

// Do evaluates the op through Compute.
func (op smceOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(vals), op.Arity())
	}
	in := make([][]float64, len(vals))
	var shape tensor.Shape
	for k, v := range vals {
		d, s, _, err := float64s(v)
		if err != nil {
			return nil, fmt.Errorf("%v: operand %d: %w", op, k, err)
		}
		if k == 0 {
			if len(s) != 2 || s[0] != op.rows {
				return nil, fmt.Errorf("%v: operand shape %v, want a %d-row matrix", op, s, op.rows)
			}
			shape = s
		} else if !s.Eq(shape) {
			return nil, fmt.Errorf("%v: operand shapes %v and %v differ", op, shape, s)
		}
		in[k] = d
	}
	if op.kind == smceValue {
		var out [1]float64
		op.Compute(out[:], in...)
		return G.NewF64(out[0]), nil
	}
	out := make([]float64, len(in[0]))
	op.Compute(out, in...)
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(out)), nil
}

// Compute is Do into a caller-owned buffer (graph.FastOp): in holds the
// row-major d×B operands, dst the loss (one value) or d×B values. B is
// read from the operands' length (d is fixed by the op); the scale c is
// not, so a d×B' shard of the columns yields c times its partial sum.
func (op smceOp) Compute(dst []float64, in ...[]float64) {
	op.compute(dst, len(in[0])/op.rows, in)
}

func (op smceOp) compute(dst []float64, cols int, in [][]float64) {
	h, rows, c := in[0], op.rows, op.scale
	switch op.kind {
	case smceValue:
		y := in[1]
		// Neumaier-compensated sum of the non-negative column terms.
		var sum, comp float64
		for n := 0; n < cols; n++ {
			k, m := colArgmax(h, rows, cols, n)
			var r, t, ys float64
			for i := 0; i < rows; i++ {
				v := h[i*cols+n]
				if i != k {
					r += math.Exp(v - m)
				}
				if yv := y[i*cols+n]; yv != 0 {
					t += yv * (m - v)
					ys += yv
				}
			}
			term := math.Log1p(r) + t
			if ys != 1 {
				term += (1 - ys) * m
			}
			s := sum + term
			if math.Abs(sum) >= math.Abs(term) {
				comp += (sum - s) + term
			} else {
				comp += (term - s) + sum
			}
			sum = s
		}
		dst[0] = c * (sum + comp)
	case smceGrad:
		y := in[1]
		for n := 0; n < cols; n++ {
			k, r := colSoftmax(dst, h, rows, cols, n, false)
			inv := 1 / (1 + r)
			for i := 0; i < rows; i++ {
				j := i*cols + n
				if i == k {
					dst[j] = c * ((1 - y[j]) - r*inv)
				} else {
					dst[j] = c * (dst[j]*inv - y[j])
				}
			}
		}
	case smceHess:
		a := in[1]
		for n := 0; n < cols; n++ {
			k, _ := colSoftmax(dst, h, rows, cols, n, true)
			ak := a[k*cols+n]
			d := centre(dst, a, rows, cols, n, k)
			for i := 0; i < rows; i++ {
				j := i*cols + n
				dst[j] = c * dst[j] * ((a[j] - ak) + d)
			}
		}
	case smceThird:
		g, a := in[1], in[2]
		for n := 0; n < cols; n++ {
			k, _ := colSoftmax(dst, h, rows, cols, n, true)
			kk := k*cols + n
			dg := centre(dst, g, rows, cols, n, k) // gₖ − ⟨s,g⟩
			da := centre(dst, a, rows, cols, n, k) // aₖ − ⟨s,a⟩
			// g∘a − ⟨s, g∘a⟩ = (g∘a)ᵢ − (g∘a)ₖ + D(g∘a).
			gak := g[kk] * a[kk]
			var dga float64
			for i := 0; i < rows; i++ {
				if i != k {
					j := i*cols + n
					dga += dst[j] * (gak - g[j]*a[j])
				}
			}
			sg, sa := g[kk]-dg, a[kk]-da // ⟨s,g⟩, ⟨s,a⟩
			for i := 0; i < rows; i++ {
				j := i*cols + n
				cga := (g[j]*a[j] - gak) + dga
				cg := (g[j] - g[kk]) + dg
				ca := (a[j] - a[kk]) + da
				dst[j] = c * dst[j] * (cga - sa*cg - sg*ca)
			}
		}
	}
}

// colArgmax returns the first index k of the largest entry of column n and
// that entry m.
func colArgmax(h []float64, rows, cols, n int) (k int, m float64) {
	m = math.Inf(-1)
	for i := 0; i < rows; i++ {
		if v := h[i*cols+n]; v > m || i == 0 {
			k, m = i, v
		}
	}
	return k, m
}

// colSoftmax writes eᵢ = exp(hᵢ − m) of column n into dst (eₖ = 1), or the
// probabilities sᵢ = eᵢ/S when normalise is set, and returns k and
// R = Σ_{i≠k} eᵢ.
func colSoftmax(dst, h []float64, rows, cols, n int, normalise bool) (k int, r float64) {
	k, m := colArgmax(h, rows, cols, n)
	for i := 0; i < rows; i++ {
		j := i*cols + n
		if i == k {
			dst[j] = 1
			continue
		}
		e := math.Exp(h[j] - m)
		dst[j] = e
		r += e
	}
	if normalise {
		inv := 1 / (1 + r)
		for i := 0; i < rows; i++ {
			dst[i*cols+n] *= inv
		}
	}
	return k, r
}

// centre returns D = Σ_{j≠k} sⱼ(xₖ − xⱼ) = xₖ − ⟨s, x⟩ for column n, s held
// in dst: then xᵢ − ⟨s, x⟩ = (xᵢ − xₖ) + D without cancellation against a
// dominant sₖ.
func centre(s, x []float64, rows, cols, n, k int) float64 {
	xk := x[k*cols+n]
	var d float64
	for i := 0; i < rows; i++ {
		if i != k {
			j := i*cols + n
			d += s[j] * (xk - x[j])
		}
	}
	return d
}

// ReturnsPtr is false: the result is fresh memory.
func (op smceOp) ReturnsPtr() bool { return false }

// CallsExtern is false.
func (op smceOp) CallsExtern() bool { return false }

// OverwritesInput is −1: the operands are read only.
func (op smceOp) OverwritesInput() int { return -1 }

// WriteHash distinguishes kind and scale (Gorgonia merges equal nodes).
func (op smceOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "losses.%s:%d:%x", smceNames[op.kind], op.rows, math.Float64bits(op.scale))
}

// Hashcode hashes WriteHash.
func (op smceOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op smceOp) String() string { return fmt.Sprintf("losses.%s(%g)", smceNames[op.kind], op.scale) }

// DiffWRT: the value and gradient in H only (Y is data); the Hessian
// product in H and in its direction A; the third derivative in none (a
// fourth is not implemented).
func (op smceOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	switch op.kind {
	case smceValue, smceGrad:
		d[0] = n > 0
	case smceHess:
		for i := range d {
			d[i] = i < 2
		}
	}
	return d
}

// SymDiff returns the adjoint contracted with the next derivative:
//
//	value:  grad·∇ℓ(H)                   for H
//	∇ℓ:     ∇²ℓ(H)·Adj                   for H
//	∇²ℓ·A:  smceThird(H, Adj, A) for H,  ∇²ℓ(H)·Adj for A (∇²ℓ is symmetric)
func (op smceOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%v: %d operands, want %d", op, len(inputs), op.Arity())
	}
	h := inputs[0]
	out := make(G.Nodes, len(inputs))
	var err error
	switch op.kind {
	case smceValue:
		d, err := G.ApplyOp(op.next(smceGrad), h, inputs[1])
		if err != nil {
			return nil, err
		}
		if !grad.IsScalar() {
			return nil, fmt.Errorf("%v: adjoint of shape %v, want a scalar", op, grad.Shape())
		}
		out[0], err = G.Mul(grad, d)
		if err != nil {
			return nil, err
		}
	case smceGrad:
		out[0], err = G.ApplyOp(op.next(smceHess), h, grad)
		if err != nil {
			return nil, err
		}
	case smceHess:
		if out[0], err = G.ApplyOp(op.next(smceThird), h, grad, inputs[1]); err != nil {
			return nil, err
		}
		if out[1], err = G.ApplyOp(op.next(smceHess), h, grad); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%v: the fourth derivative is not implemented", op)
	}
	return out, nil
}

var _ graph.FastOp = smceOp{}

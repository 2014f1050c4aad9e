package losses

import (
	"math"
	"math/big"
)

// A high-precision reference for the softmax cross-entropy and its
// derivatives: exp and log in math/big at bigPrec bits (about 60 digits),
// evaluated without any shift, straight from the textbook formulas.

const bigPrec = 200

func newBig(x float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(x) }

func bigInt(n int64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetInt64(n) }

var bigLn2 = func() *big.Float {
	// ln 2 = 2 atanh(1/3) = 2 Σ_k (1/3)^(2k+1)/(2k+1).
	z := new(big.Float).SetPrec(bigPrec).Quo(bigInt(1), bigInt(3))
	return bigAtanh2(z)
}()

// bigAtanh2 is 2 atanh(z) for |z| ≤ 1/3 by its series.
func bigAtanh2(z *big.Float) *big.Float {
	z2 := new(big.Float).SetPrec(bigPrec).Mul(z, z)
	p := new(big.Float).SetPrec(bigPrec).Set(z)
	sum := new(big.Float).SetPrec(bigPrec)
	for k := int64(0); k < 400; k++ {
		t := new(big.Float).SetPrec(bigPrec).Quo(p, bigInt(2*k+1))
		sum.Add(sum, t)
		p.Mul(p, z2)
		if p.Sign() == 0 || (t.Sign() != 0 && t.MantExp(nil)-sum.MantExp(nil) < -bigPrec-8) {
			break
		}
	}
	return sum.Mul(sum, bigInt(2))
}

// bigExp is eˣ: x = n ln2 + r, e^r by Taylor on r/2¹⁰ and ten squarings.
func bigExp(x *big.Float) *big.Float {
	q := new(big.Float).SetPrec(bigPrec).Quo(x, bigLn2)
	qf, _ := q.Float64()
	n := int64(math.Round(qf))
	r := new(big.Float).SetPrec(bigPrec).Mul(bigLn2, bigInt(n))
	r.Sub(x, r)
	r.SetMantExp(r, -10)
	sum := bigInt(1)
	term := bigInt(1)
	for k := int64(1); k < 200; k++ {
		term.Mul(term, r)
		term.Quo(term, bigInt(k))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil) < -bigPrec-8 {
			break
		}
	}
	for i := 0; i < 10; i++ {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(n))
}

// bigLog is log y for y > 0: y = m·2ᵉ, log m = 2 atanh((m−1)/(m+1)) with
// m ∈ [1/√2, √2).
func bigLog(y *big.Float) *big.Float {
	m := new(big.Float).SetPrec(bigPrec)
	e := y.MantExp(m) // m ∈ [0.5, 1)
	if mf, _ := m.Float64(); mf < math.Sqrt2/2 {
		m.SetMantExp(m, 1)
		e--
	}
	num := new(big.Float).SetPrec(bigPrec).Sub(m, bigInt(1))
	den := new(big.Float).SetPrec(bigPrec).Add(m, bigInt(1))
	out := bigAtanh2(num.Quo(num, den))
	return out.Add(out, new(big.Float).SetPrec(bigPrec).Mul(bigLn2, bigInt(int64(e))))
}

func f64(x *big.Float) float64 {
	v, _ := x.Float64()
	return v
}

// bigLog1p is log(1 + u) for u ≥ 0 as 2 atanh(u/(2+u)), so that a u far
// below 2^−bigPrec is not lost.
func bigLog1p(u *big.Float) *big.Float {
	if uf, _ := u.Float64(); uf > 1 {
		return bigLog(new(big.Float).SetPrec(bigPrec).Add(u, bigInt(1)))
	}
	den := new(big.Float).SetPrec(bigPrec).Add(u, bigInt(2))
	return bigAtanh2(den.Quo(u, den))
}

// bigSoftmax holds, for rows×cols logits and one-hot targets, the value
// Σₙ [lse(hₙ) − yₙᵀhₙ]/B, the probabilities s and the complements
// t = 1 − s (row-major), all to bigPrec bits relative precision: with
// Tᵢ = Σ_{j≠i} exp(hⱼ − hᵢ) (exact differences), sᵢ = 1/(1+Tᵢ),
// 1 − sᵢ = Tᵢ/(1+Tᵢ) and the column's loss is log1p(T_label).
type bigSoftmax struct {
	rows, cols int
	value      *big.Float
	s, t       []*big.Float
}

func newBigSoftmax(h, y []float64, rows, cols int) bigSoftmax {
	r := bigSoftmax{rows: rows, cols: cols, value: newBig(0), s: make([]*big.Float, len(h)), t: make([]*big.Float, len(h))}
	for n := 0; n < cols; n++ {
		label := -1
		for i := 0; i < rows; i++ {
			j := i*cols + n
			ti := newBig(0)
			for l := 0; l < rows; l++ {
				if l != i {
					d := new(big.Float).SetPrec(bigPrec).Sub(newBig(h[l*cols+n]), newBig(h[j]))
					ti.Add(ti, bigExp(d))
				}
			}
			den := new(big.Float).SetPrec(bigPrec).Add(ti, bigInt(1))
			r.s[j] = new(big.Float).SetPrec(bigPrec).Quo(bigInt(1), den)
			r.t[j] = new(big.Float).SetPrec(bigPrec).Quo(ti, den)
			switch y[j] {
			case 1:
				if label >= 0 {
					panic("reference needs one-hot targets")
				}
				label = i
				r.value.Add(r.value, bigLog1p(ti))
			case 0:
			default:
				panic("reference needs one-hot targets")
			}
		}
		if label < 0 {
			panic("reference needs one-hot targets")
		}
	}
	r.value.Quo(r.value, bigInt(int64(cols)))
	return r
}

// grad is (s − y)/B: sᵢ, or −(1 − sᵢ) for the label.
func (r bigSoftmax) grad(y []float64) []*big.Float {
	out := make([]*big.Float, len(y))
	for j := range y {
		if y[j] == 1 {
			out[j] = new(big.Float).SetPrec(bigPrec).Neg(r.t[j])
		} else {
			out[j] = new(big.Float).SetPrec(bigPrec).Set(r.s[j])
		}
		out[j].Quo(out[j], bigInt(int64(r.cols)))
	}
	return out
}

// hess is ∇²ℓ·A = s∘(a − ⟨s,a⟩)/B per column, with aᵢ − ⟨s,a⟩ formed as
// Σⱼ sⱼ(aᵢ − aⱼ) (Σ s = 1), which keeps its relative precision when one
// sⱼ is within 2^−bigPrec of 1.
func (r bigSoftmax) hess(a []*big.Float) []*big.Float {
	out := make([]*big.Float, len(a))
	for n := 0; n < r.cols; n++ {
		for i := 0; i < r.rows; i++ {
			j := i*r.cols + n
			v := newBig(0)
			for l := 0; l < r.rows; l++ {
				q := l*r.cols + n
				d := new(big.Float).SetPrec(bigPrec).Sub(a[j], a[q])
				v.Add(v, d.Mul(d, r.s[q]))
			}
			v.Mul(v, r.s[j])
			out[j] = v.Quo(v, bigInt(int64(r.cols)))
		}
	}
	return out
}

// third is ∇_H ⟨G, ∇²ℓ·A⟩ = [M(g∘a) − ⟨s,a⟩Mg − ⟨s,g⟩Ma]/B per column.
func (r bigSoftmax) third(g, a []*big.Float) []*big.Float {
	B := bigInt(int64(r.cols))
	ga := make([]*big.Float, len(a))
	for j := range a {
		ga[j] = new(big.Float).SetPrec(bigPrec).Mul(g[j], a[j])
	}
	mga, mg, ma := r.hess(ga), r.hess(g), r.hess(a)
	out := make([]*big.Float, len(a))
	for n := 0; n < r.cols; n++ {
		sa, sg := newBig(0), newBig(0)
		for i := 0; i < r.rows; i++ {
			j := i*r.cols + n
			sa.Add(sa, new(big.Float).SetPrec(bigPrec).Mul(r.s[j], a[j]))
			sg.Add(sg, new(big.Float).SetPrec(bigPrec).Mul(r.s[j], g[j]))
		}
		for i := 0; i < r.rows; i++ {
			j := i*r.cols + n
			v := new(big.Float).SetPrec(bigPrec).Mul(mga[j], B) // hess divides by B
			v.Sub(v, new(big.Float).SetPrec(bigPrec).Mul(sa, new(big.Float).SetPrec(bigPrec).Mul(mg[j], B)))
			v.Sub(v, new(big.Float).SetPrec(bigPrec).Mul(sg, new(big.Float).SetPrec(bigPrec).Mul(ma[j], B)))
			out[j] = v.Quo(v, B)
		}
	}
	return out
}

func bigs(x []float64) []*big.Float {
	out := make([]*big.Float, len(x))
	for i, v := range x {
		out[i] = newBig(v)
	}
	return out
}

func f64s(x []*big.Float) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f64(v)
	}
	return out
}

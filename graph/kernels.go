package graph

import (
	"fmt"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FastOp is implemented by custom Gorgonia ops that can compute their
// value into a caller-owned buffer. The machine calls Compute instead of Do
// for such ops, so a fused kernel runs without allocating. in holds the
// operands' values (row-major) in order; dst has the size of the output.
type FastOp interface {
	Compute(dst []float64, in ...[]float64)
}

// kernel computes a node's value into dst from its operands' values.
type kernel func(dst []float64, in [][]float64)

// smallGemm is the flop count below which matrix products run as plain
// loops on the calling goroutine: for the small matrices of networks like
// the seed's BodyFat net, BLAS call overhead and goroutine hand-offs cost
// more than the arithmetic. Larger products go to largeGemm: the blocked
// assembly kernel of internal/gemm by default (blas_gemm.go), OpenBLAS with
// the openblas build tag (blas_openblas.go).
const smallGemm = 1 << 16

// fastKernel returns a kernel for n's op, or nil when the op must go
// through its own Do. uses lists the operands the kernel reads (nil: all).
// It recognises Gorgonia's elementwise, matrix-product, sum, repeat and
// reshape ops by their printed form and operand shapes; anything else falls
// back to Do, so correctness never depends on this table.
func fastKernel(n *G.Node, kids []*G.Node) (k kernel, uses []int) {
	op := n.Op()
	if f, ok := op.(FastOp); ok {
		return func(dst []float64, in [][]float64) { f.Compute(dst, in...) }, nil
	}
	if n.Dtype().String() != "float64" {
		return nil, nil
	}
	for _, c := range kids {
		if c.Dtype().String() != "float64" {
			return nil, nil
		}
	}
	typ := fmt.Sprintf("%T", op)
	str := op.String()
	switch typ {
	case "gorgonia.elemUnaryOp":
		if f := unaryKernel(str); f != nil {
			return f, nil
		}
	case "gorgonia.elemBinOp":
		return binaryKernel(str, kids[0].Shape().TotalSize(), kids[1].Shape().TotalSize(), n.Shape().TotalSize()), nil
	case "gorgonia.linAlgBinOp":
		return matMulKernel(str, kids[0].Shape(), kids[1].Shape(), n.Shape()), nil
	case "gorgonia.sumOp":
		if str == "Σ[0 1]" || (len(kids[0].Shape()) == 1 && str == "Σ[0]") {
			return func(dst []float64, in [][]float64) {
				var s float64
				for _, v := range in[0] {
					s += v
				}
				dst[0] = s
			}, nil
		}
		if len(kids[0].Shape()) == 2 && len(n.Shape()) == 1 {
			r, c := kids[0].Shape()[0], kids[0].Shape()[1]
			switch str {
			case "Σ[0]": // column sums: r×c → c
				return func(dst []float64, in [][]float64) {
					clear(dst)
					for i := 0; i < r; i++ {
						row := in[0][i*c : (i+1)*c]
						for j, v := range row {
							dst[j] += v
						}
					}
				}, nil
			case "Σ[1]": // row sums: r×c → r
				return func(dst []float64, in [][]float64) {
					for i := 0; i < r; i++ {
						var s float64
						for _, v := range in[0][i*c : (i+1)*c] {
							s += v
						}
						dst[i] = s
					}
				}, nil
			}
		}
	case "*gorgonia.repeatOp":
		if k := repeatKernel(kids[0].Shape(), n.Shape()); k != nil {
			return k, []int{0}
		}
	case "gorgonia.reshapeOp", "*gorgonia.reshapeOp":
		return func(dst []float64, in [][]float64) { copy(dst, in[0]) }, nil
	case "gorgonia.concatOp":
		if k := concatKernel(str, kids, n.Shape()); k != nil {
			return k, nil
		}
	}
	return nil, nil
}

// concatKernel joins row-major matrices (or vectors) along axis 0 (one block
// after another: the bias row [x; 1] of a dense layer) or axis 1 of
// matrices (row by row), into the node's buffer without allocating. It
// returns nil for any other shape, which then goes through Gorgonia's Do.
func concatKernel(str string, kids []*G.Node, out tensor.Shape) kernel {
	var axis int
	if _, err := fmt.Sscanf(str, "Concat(axis=%d)", &axis); err != nil || len(kids) == 0 {
		return nil
	}
	rank := len(out)
	if rank < 1 || rank > 2 || axis < 0 || axis >= rank {
		return nil
	}
	sizes := make([]int, len(kids))
	total := 0
	for i, c := range kids {
		s := c.Shape()
		if len(s) != rank {
			return nil
		}
		for d := range rank {
			if d != axis && s[d] != out[d] {
				return nil
			}
		}
		sizes[i] = s[axis]
		total += s[axis]
	}
	if total != out[axis] {
		return nil
	}
	if axis == 0 {
		return func(dst []float64, in [][]float64) {
			at := 0
			for _, v := range in {
				at += copy(dst[at:], v)
			}
		}
	}
	rows, cols := out[0], out[1]
	return func(dst []float64, in [][]float64) {
		for r := 0; r < rows; r++ {
			at := r * cols
			for i, v := range in {
				c := sizes[i]
				at += copy(dst[at:at+c], v[r*c:(r+1)*c])
			}
		}
	}
}

func unaryKernel(name string) kernel {
	var f func(float64) float64
	switch name {
	case "neg":
		return func(dst []float64, in [][]float64) {
			for i, v := range in[0] {
				dst[i] = -v
			}
		}
	case "square":
		return func(dst []float64, in [][]float64) {
			for i, v := range in[0] {
				dst[i] = v * v
			}
		}
	case "sigmoid":
		return func(dst []float64, in [][]float64) {
			for i, v := range in[0] {
				if v >= 0 {
					dst[i] = 1 / (1 + math.Exp(-v))
				} else {
					e := math.Exp(v)
					dst[i] = e / (1 + e)
				}
			}
		}
	case "tanh":
		f = math.Tanh
	case "exp":
		f = math.Exp
	case "ln":
		f = math.Log
	case "sqrt":
		f = math.Sqrt
	case "inv":
		return func(dst []float64, in [][]float64) {
			for i, v := range in[0] {
				dst[i] = 1 / v
			}
		}
	case "invSqrt":
		f = func(x float64) float64 { return 1 / math.Sqrt(x) }
	case "cube":
		return func(dst []float64, in [][]float64) {
			for i, v := range in[0] {
				dst[i] = v * v * v
			}
		}
	case "log1p":
		f = math.Log1p
	case "expm1":
		f = math.Expm1
	case "abs":
		f = math.Abs
	default:
		return nil
	}
	return func(dst []float64, in [][]float64) {
		for i, v := range in[0] {
			dst[i] = f(v)
		}
	}
}

// binaryKernel handles + − ⊙ ÷ on equal sizes or with a scalar operand.
func binaryKernel(str string, na, nb, nout int) kernel {
	opname, _, _ := strings.Cut(str, " ")
	if !strings.HasSuffix(str, " false") && !strings.HasSuffix(str, " true") {
		return nil
	}
	var apply func(a, b float64) float64
	switch opname {
	case "+":
		if na == nout && nb == nout {
			return func(dst []float64, in [][]float64) {
				a, b := in[0], in[1]
				for i := range dst {
					dst[i] = a[i] + b[i]
				}
			}
		}
		apply = func(a, b float64) float64 { return a + b }
	case "-":
		if na == nout && nb == nout {
			return func(dst []float64, in [][]float64) {
				a, b := in[0], in[1]
				for i := range dst {
					dst[i] = a[i] - b[i]
				}
			}
		}
		apply = func(a, b float64) float64 { return a - b }
	case "⊙":
		if na == nout && nb == nout {
			return func(dst []float64, in [][]float64) {
				a, b := in[0], in[1]
				for i := range dst {
					dst[i] = a[i] * b[i]
				}
			}
		}
		if na == 1 && nb == nout {
			return func(dst []float64, in [][]float64) {
				a := in[0][0]
				for i, v := range in[1] {
					dst[i] = a * v
				}
			}
		}
		if nb == 1 && na == nout {
			return func(dst []float64, in [][]float64) {
				b := in[1][0]
				for i, v := range in[0] {
					dst[i] = v * b
				}
			}
		}
		apply = func(a, b float64) float64 { return a * b }
	case "÷":
		apply = func(a, b float64) float64 { return a / b }
	default:
		return nil
	}
	switch {
	case na == nout && nb == nout:
		return func(dst []float64, in [][]float64) {
			for i := range dst {
				dst[i] = apply(in[0][i], in[1][i])
			}
		}
	case na == 1 && nb == nout:
		return func(dst []float64, in [][]float64) {
			for i := range dst {
				dst[i] = apply(in[0][0], in[1][i])
			}
		}
	case nb == 1 && na == nout:
		return func(dst []float64, in [][]float64) {
			for i := range dst {
				dst[i] = apply(in[0][i], in[1][0])
			}
		}
	}
	return nil
}

// matMulKernel handles 2-D products A×B with optional transposes, written
// "A × B", "Aᵀ × B", "A × Bᵀ", "Aᵀ × Bᵀ" by Gorgonia.
func matMulKernel(str string, sa, sb, sc []int) kernel {
	if len(sa) != 2 || len(sb) != 2 || len(sc) != 2 {
		return nil
	}
	var ta, tb bool
	switch str {
	case "A × B":
	case "Aᵀ × B":
		ta = true
	case "A × Bᵀ":
		tb = true
	case "Aᵀ × Bᵀ":
		ta, tb = true, true
	default:
		return nil
	}
	m, k := sa[0], sa[1]
	if ta {
		m, k = k, m
	}
	n := sb[1]
	if tb {
		n = sb[0]
	}
	if sc[0] != m || sc[1] != n {
		return nil
	}
	if m*n*k > smallGemm {
		return func(dst []float64, in [][]float64) {
			largeGemm(ta, tb, m, n, k, in[0], sa[1], in[1], sb[1], dst)
		}
	}
	switch {
	case !ta && !tb: // C[i,:] = Σ_p A[i,p] B[p,:]
		return func(dst []float64, in [][]float64) {
			a, b := in[0], in[1]
			for i := 0; i < m; i++ {
				axpyRows(dst[i*n:(i+1)*n], b, n, k, func(p int) float64 { return a[i*k+p] })
			}
		}
	case ta && !tb: // A is k×m: C[i,:] = Σ_p A[p,i] B[p,:]
		return func(dst []float64, in [][]float64) {
			a, b := in[0], in[1]
			for i := 0; i < m; i++ {
				axpyRows(dst[i*n:(i+1)*n], b, n, k, func(p int) float64 { return a[p*m+i] })
			}
		}
	case !ta && tb: // B is n×k: C[i,j] = A[i,:]·B[j,:]
		return func(dst []float64, in [][]float64) {
			a, b := in[0], in[1]
			for i := 0; i < m; i++ {
				ar := a[i*k : (i+1)*k]
				for j := 0; j < n; j++ {
					dst[i*n+j] = dot4(ar, b[j*k:(j+1)*k])
				}
			}
		}
	default: // A k×m, B n×k: C[i,j] = Σ_p A[p,i] B[j,p]
		return func(dst []float64, in [][]float64) {
			a, b := in[0], in[1]
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s float64
					for p := 0; p < k; p++ {
						s += a[p*m+i] * b[j*k+p]
					}
					dst[i*n+j] = s
				}
			}
		}
	}
}

// axpyRows sets c = Σ_p coef(p)·B[p,:] for the k rows of B (each n long),
// four rows per pass over c so that c is loaded and stored k/4 times.
func axpyRows(c, b []float64, n, k int, coef func(p int) float64) {
	clear(c)
	p := 0
	for ; p+4 <= k; p += 4 {
		s0, s1, s2, s3 := coef(p), coef(p+1), coef(p+2), coef(p+3)
		b0 := b[p*n : (p+1)*n][:len(c)]
		b1 := b[(p+1)*n : (p+2)*n][:len(c)]
		b2 := b[(p+2)*n : (p+3)*n][:len(c)]
		b3 := b[(p+3)*n : (p+4)*n][:len(c)]
		for j := range c {
			c[j] += s0*b0[j] + s1*b1[j] + s2*b2[j] + s3*b3[j]
		}
	}
	for ; p < k; p++ {
		s, row := coef(p), b[p*n : (p+1)*n][:len(c)]
		for j := range c {
			c[j] += s * row[j]
		}
	}
}

// dot4 is x·y with four independent accumulators.
func dot4(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	p := 0
	for ; p+4 <= len(x); p += 4 {
		s0 += x[p] * y[p]
		s1 += x[p+1] * y[p+1]
		s2 += x[p+2] * y[p+2]
		s3 += x[p+3] * y[p+3]
	}
	for ; p < len(x); p++ {
		s0 += x[p] * y[p]
	}
	return (s0 + s1) + (s2 + s3)
}

// repeatKernel broadcasts a value along axes of size one.
func repeatKernel(in, out []int) kernel {
	if len(in) == 0 || (len(in) == 2 && in[0] == 1 && in[1] == 1) {
		return func(dst []float64, v [][]float64) {
			x := v[0][0]
			for i := range dst {
				dst[i] = x
			}
		}
	}
	if len(in) != 2 || len(out) != 2 {
		return nil
	}
	r, c := out[0], out[1]
	switch {
	case in[0] == r && in[1] == 1: // column → repeat across columns
		return func(dst []float64, v [][]float64) {
			for i := 0; i < r; i++ {
				x := v[0][i]
				row := dst[i*c : (i+1)*c]
				for j := range row {
					row[j] = x
				}
			}
		}
	case in[0] == 1 && in[1] == c: // row → repeat across rows
		return func(dst []float64, v [][]float64) {
			for i := 0; i < r; i++ {
				copy(dst[i*c:(i+1)*c], v[0])
			}
		}
	case in[0] == r && in[1] == c:
		return func(dst []float64, v [][]float64) { copy(dst, v[0]) }
	}
	return nil
}

package surrogate

import (
	"context"
	"math"
)

// Small dense linear algebra on row-major slices: enough for block-sized
// Cholesky solves and matrix-free conjugate gradients.

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm2(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func norm1(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += math.Abs(v)
	}
	return s
}

// sub writes a − b into dst.
func sub(dst, a, b []float64) {
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

// dist2 is ‖a − b‖².
func dist2(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// symmetrize replaces the n×n matrix a by (a + aᵀ)/2.
func symmetrize(a []float64, n int) {
	for i := 0; i < n; i++ {
		for k := i + 1; k < n; k++ {
			m := 0.5 * (a[i*n+k] + a[k*n+i])
			a[i*n+k], a[k*n+i] = m, m
		}
	}
}

// matVec writes (a + shift·I) v into dst for the n×n matrix a.
func matVec(dst, a []float64, shift float64, v []float64) {
	n := len(v)
	for i := 0; i < n; i++ {
		row := a[i*n : (i+1)*n]
		dst[i] = dot(row, v) + shift*v[i]
	}
}

// gershgorin bounds the largest absolute eigenvalue of a + shift·I by its
// largest absolute row sum.
func gershgorin(a []float64, n int, shift float64) float64 {
	var m float64
	for i := 0; i < n; i++ {
		s := math.Abs(a[i*n+i] + shift)
		for k := 0; k < n; k++ {
			if k != i {
				s += math.Abs(a[i*n+k])
			}
		}
		m = math.Max(m, s)
	}
	return m
}

// cholesky factors a + shift·I = L Lᵀ into l (lower triangle, n×n). It
// reports false when the matrix is not numerically positive definite.
//
// It is kept rather than gonum/mat's Cholesky because, at bsum's block sizes,
// it is faster or as fast (BenchmarkCholesky, factor + solve, 2026-12, load
// average 5.3–5.6 on 2 cores: n=10 0.6 µs vs 5.9–6.5 µs, n=50 15 µs vs 48 µs,
// n=140 0.26 ms vs 0.44 ms, n=340 6.1–8.1 ms vs 6.6–7.0 ms), it works in place
// on bsum's row-major slices without a SymDense copy, and it applies the
// damping shift γ and the pivot-collapse test in the same pass.
func cholesky(l, a []float64, n int, shift float64) bool {
	for i := 0; i < n; i++ {
		for k := 0; k <= i; k++ {
			s := a[i*n+k]
			if i == k {
				s += shift
			}
			s -= dot(l[i*n:i*n+k], l[k*n:k*n+k])
			if i == k {
				if !(s > 0) || math.IsInf(s, 0) {
					return false
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+k] = s / l[k*n+k]
			}
		}
		for k := i + 1; k < n; k++ {
			l[i*n+k] = 0
		}
	}
	// Reject factorizations whose pivots collapse relative to the largest:
	// the solve would be dominated by rounding.
	var lo, hi float64 = math.Inf(1), 0
	for i := 0; i < n; i++ {
		d := l[i*n+i]
		lo, hi = math.Min(lo, d), math.Max(hi, d)
	}
	return n == 0 || lo > 1e-8*hi
}

// cholSolve solves L Lᵀ x = b, writing x (x may alias b).
func cholSolve(x, l []float64, n int, b []float64) {
	copy(x, b)
	for i := 0; i < n; i++ {
		x[i] = (x[i] - dot(l[i*n:i*n+i], x[:i])) / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
}

// linOp writes A v into dst.
type linOp func(v, dst []float64) error

// cgResult reports a conjugate-gradient run.
type cgResult struct {
	iters   int
	negCurv bool // found pᵀAp ≤ 0: A is not positive definite
}

// conjGrad solves A x = b from x = 0 for symmetric A, stopping when
// ‖r‖ ≤ tol·‖b‖ or after maxIter iterations (x is then the truncated CG
// iterate), or at the first direction of non-positive curvature.
func conjGrad(ctx context.Context, a linOp, b, x []float64, tol float64, maxIter int) (cgResult, error) {
	n := len(b)
	clear(x)
	r := append([]float64(nil), b...)
	p := append([]float64(nil), b...)
	ap := make([]float64, n)
	rr := dot(r, r)
	stop := tol * tol * rr
	var res cgResult
	for res.iters < maxIter && rr > stop && rr > 0 {
		if res.iters%16 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		if err := a(p, ap); err != nil {
			return res, err
		}
		res.iters++
		pap := dot(p, ap)
		if math.IsNaN(pap) || math.IsInf(pap, 0) {
			return res, ErrNotFinite
		}
		if pap <= 0 {
			res.negCurv = true
			return res, nil
		}
		alpha := rr / pap
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * ap[i]
		}
		rn := dot(r, r)
		beta := rn / rr
		rr = rn
		for i := range p {
			p[i] = r[i] + beta*p[i]
		}
	}
	return res, nil
}

// powerNorm estimates the largest absolute eigenvalue of the symmetric
// operator a with iters steps of power iteration from a fixed start.
func powerNorm(a linOp, n, iters int) (float64, error) {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1 + 0.1*math.Sin(float64(i+1))
	}
	av := make([]float64, n)
	est := 0.0
	for k := 0; k < iters; k++ {
		nv := norm2(v)
		if nv == 0 {
			return 0, nil
		}
		for i := range v {
			v[i] /= nv
		}
		if err := a(v, av); err != nil {
			return 0, err
		}
		est = norm2(av)
		v, av = av, v
	}
	return est, nil
}

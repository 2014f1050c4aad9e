package surrogate

import (
	"context"
	"errors"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// smoothFn returns φ(x) and writes ∇φ(x) into grad.
type smoothFn func(x, grad []float64) (float64, error)

// errNegCurv: the inner method met a direction s with sᵀ(∇φ(z) − ∇φ(y)) ≤ 0,
// so φ is not strongly convex (the damped curvature is indefinite).
var errNegCurv = errors.New("non-positive curvature")

type fistaOpts struct {
	lambda    float64
	set       graph.Set
	L         float64 // initial Lipschitz estimate of ∇φ
	tol       float64 // stop when the gradient-mapping norm is ≤ tol
	maxIter   int
	affine    bool // ∇φ is affine (φ quadratic): extrapolated values by combination
	curvCheck bool // return errNegCurv on non-positive curvature
}

// fista minimises F = φ + λ‖·‖₁ + ι_set by accelerated proximal gradient
// (Beck and Teboulle's FISTA) with backtracking on the Lipschitz estimate and
// adaptive restart (O'Donoghue and Candès). x0 must be feasible, with
// fx0 = φ(x0) and gx0 = ∇φ(x0). It stops when L‖y − T(y)‖, the norm of the
// gradient mapping at the extrapolated point, is at most tol, or after
// maxIter iterations, and returns the last iterate (or the best one seen, if
// that is clearly better, so F never ends above F(x0)) and F there.
func fista(ctx context.Context, phi smoothFn, x0 []float64, fx0 float64, gx0 []float64, o fistaOpts) ([]float64, float64, int, error) {
	n := len(x0)
	x := append([]float64(nil), x0...)
	gx := append([]float64(nil), gx0...)
	fx := fx0
	Fx := fx + o.lambda*norm1(x)
	y := append([]float64(nil), x...)
	gy := append([]float64(nil), gx...)
	fy := fx
	z := make([]float64, n)
	gz := make([]float64, n)
	dz := make([]float64, n)
	L := o.L
	if !(L > 0) || math.IsInf(L, 0) {
		L = 1
	}
	t := 1.0
	best := append([]float64(nil), x...)
	bestF := Fx
	// done returns the last iterate unless an earlier one was clearly better.
	done := func() ([]float64, float64) {
		if Fx > bestF+1e-12*math.Abs(bestF) {
			return best, bestF
		}
		return x, Fx
	}
	iters := 0
	for iters < o.maxIter {
		if iters%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, iters, err
			}
		}
		iters++
		var fz, ss float64
		for bt := 0; ; bt++ {
			if bt > 100 {
				return nil, 0, iters, ErrNotFinite
			}
			if err := proxStep(z, y, gy, L, o.lambda, o.set); err != nil {
				return nil, 0, iters, err
			}
			ss = dist2(z, y)
			if ss == 0 {
				// y is a fixed point of the prox-gradient map: optimal.
				if Fy := fy + o.lambda*norm1(y); Fy <= bestF+1e-12*math.Abs(bestF) {
					return y, Fy, iters, nil
				}
				return best, bestF, iters, nil
			}
			var err error
			fz, err = phi(z, gz)
			if err != nil {
				return nil, 0, iters, err
			}
			if math.IsNaN(fz) || math.IsInf(fz, 0) || !finite(gz) {
				L *= 2
				continue
			}
			sub(dz, z, y)
			var lin, curv float64
			for i := range dz {
				lin += gy[i] * dz[i]
				curv += dz[i] * (gz[i] - gy[i])
			}
			if o.curvCheck && !(curv > 0) {
				return nil, 0, iters, errNegCurv
			}
			// Local Lipschitz estimate along s = z − y: from values when
			// their difference is above rounding, else from gradients.
			bd := fz - fy - lin
			local := curv / ss
			if math.Abs(bd) > 1e-9*(math.Abs(fz)+math.Abs(fy)) {
				local = 2 * bd / ss
			}
			if local <= L*(1+1e-12) {
				break
			}
			L = math.Max(2*L, local)
		}
		gm := L * math.Sqrt(ss)
		Fz := fz + o.lambda*norm1(z)
		if Fz < bestF {
			copy(best, z)
			bestF = Fz
		}
		// Gradient restart (O'Donoghue and Candès): drop the momentum when
		// it points against the prox-gradient step, or when F increased
		// beyond rounding. Unlike comparing values alone this does not
		// stall at convergence, where F changes are below rounding.
		var rs float64
		for i := range z {
			rs += (y[i] - z[i]) * (z[i] - x[i])
		}
		if rs > 0 || Fz > Fx+1e-12*math.Abs(Fx) {
			t = 1
		}
		tn := (1 + math.Sqrt(1+4*t*t)) / 2
		beta := (t - 1) / tn
		t = tn
		// y ← z + β(z − x), computed before x is overwritten.
		if beta != 0 && o.affine {
			var gd, dd float64
			for i := range y {
				d := z[i] - x[i]
				e := gz[i] - gx[i]
				gd += gz[i] * d
				dd += d * e
				y[i] = z[i] + beta*d
				gy[i] = gz[i] + beta*e
			}
			fy = fz + beta*gd + 0.5*beta*beta*dd
		} else {
			for i := range y {
				y[i] = z[i] + beta*(z[i]-x[i])
			}
		}
		x, z = z, x
		gx, gz = gz, gx
		fx, Fx = fz, Fz
		if gm <= o.tol {
			x, Fx := done()
			return x, Fx, iters, nil
		}
		switch {
		case beta == 0:
			copy(y, x)
			copy(gy, gx)
			fy = fx
		case !o.affine:
			// y may leave the set (only prox outputs must be feasible).
			var err error
			fy, err = phi(y, gy)
			if err != nil {
				return nil, 0, iters, err
			}
			if math.IsNaN(fy) || math.IsInf(fy, 0) || !finite(gy) {
				copy(y, x)
				copy(gy, gx)
				fy = fx
				t = 1
			}
		}
	}
	x, Fx = done()
	return x, Fx, iters, nil
}

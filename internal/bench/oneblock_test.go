package bench

import (
	"math"
	"testing"
)

// The one-block network is the layered BodyFat network with its weights
// concatenated: same start, same objective, same gradient, its Gauss-Newton
// diagonal blocks equal the layered blocks', and its gradient and HVP match
// central finite differences.
func TestOneBlockMatchesLayered(t *testing.T) {
	p, err := BodyFat()
	if err != nil {
		t.Fatal(err)
	}
	one, err := OneBlock(BodyFatSizes)
	if err != nil {
		t.Fatal(err)
	}
	w := p.Net.Init(InitRNG(3))
	w1 := one.Init(InitRNG(3))
	if got, want := w1[0], Concat(w)[0]; !equal(got, want, 0) {
		t.Fatalf("one-block Init differs from the concatenated layered Init")
	}
	lp, err := p.Program(w)
	if err != nil {
		t.Fatal(err)
	}
	op := &Problem{Net: one, Data: p.Data}
	pp, err := op.Program(w1)
	if err != nil {
		t.Fatal(err)
	}
	f0, _ := lp.Objective()
	f1, _ := pp.Objective()
	if math.Abs(f0-f1) > 1e-14*math.Abs(f0) {
		t.Fatalf("objective %v (layered) vs %v (one block)", f0, f1)
	}
	g := p.Net.NewWeights()
	for j := range g {
		if err := lp.Grad(j, g[j]); err != nil {
			t.Fatal(err)
		}
	}
	g1 := make([]float64, len(w1[0]))
	if err := pp.Grad(0, g1); err != nil {
		t.Fatal(err)
	}
	if !equal(g1, Concat(g)[0], 1e-13) {
		t.Fatalf("one-block gradient differs from the concatenated layered gradients")
	}
	// Finite differences of f for the gradient, of the gradient for the HVP.
	n := len(w1[0])
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Sin(float64(i) + 1)
	}
	hv := make([]float64, n)
	if err := pp.HVP(0, v, hv); err != nil {
		t.Fatal(err)
	}
	const h = 1e-5
	wp, wm := append([]float64(nil), w1[0]...), append([]float64(nil), w1[0]...)
	for i := range wp {
		wp[i] += h * v[i]
		wm[i] -= h * v[i]
	}
	gp, gm := make([]float64, n), make([]float64, n)
	_ = pp.SetBlock(0, wp)
	fp, _ := pp.Objective()
	_ = pp.Grad(0, gp)
	_ = pp.SetBlock(0, wm)
	fm, _ := pp.Objective()
	_ = pp.Grad(0, gm)
	_ = pp.SetBlock(0, w1[0])
	if fd, an := (fp-fm)/(2*h), dot(g1, v); math.Abs(fd-an) > 1e-7*math.Max(1, math.Abs(an)) {
		t.Fatalf("directional derivative: finite difference %v, gradient %v", fd, an)
	}
	for i := range gp {
		fd := (gp[i] - gm[i]) / (2 * h)
		if math.Abs(fd-hv[i]) > 1e-6*math.Max(1, math.Abs(hv[i])) {
			t.Fatalf("HVP[%d]: finite difference %v, product %v", i, fd, hv[i])
		}
	}
	// Gauss-Newton: one-block product with V supported on layer l's
	// segment, restricted to that segment, is the layered block product.
	off := 0
	for j := range w {
		m := len(w[j])
		vj := v[off : off+m]
		vf := make([]float64, n)
		copy(vf[off:], vj)
		full := make([]float64, n)
		if err := pp.GaussNewton(0, vf, full); err != nil {
			t.Fatal(err)
		}
		blk := make([]float64, m)
		if err := lp.GaussNewton(j, vj, blk); err != nil {
			t.Fatal(err)
		}
		if !equal(full[off:off+m], blk, 1e-12) {
			t.Fatalf("Gauss-Newton block %d differs", j)
		}
		off += m
	}
}

func equal(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*math.Max(1, math.Abs(b[i])) {
			return false
		}
	}
	return true
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

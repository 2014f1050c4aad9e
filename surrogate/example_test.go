package surrogate_test

import (
	"context"
	"fmt"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/surrogate"
)

// bowl is the block problem f(w) = Σ_i (w_i − c_i)² + ½w_0·w_1 at w.
type bowl struct {
	w, c []float64
	set  graph.Set
}

func (b bowl) f(w, grad []float64) float64 {
	v := 0.5 * w[0] * w[1]
	for i := range w {
		d := w[i] - b.c[i]
		v += d * d
		if grad != nil {
			grad[i] = 2 * d
		}
	}
	if grad != nil {
		grad[0] += 0.5 * w[1]
		grad[1] += 0.5 * w[0]
	}
	return v
}

func (b bowl) Index() int { return 0 }
func (b bowl) Block() graph.Block {
	return graph.Block{Name: "W", Rows: 1, Cols: len(b.w), Set: b.set}
}
func (b bowl) Point() []float64 { return b.w }
func (b bowl) Value() float64   { return b.f(b.w, nil) }
func (b bowl) Gradient() []float64 {
	g := make([]float64, len(b.w))
	b.f(b.w, g)
	return g
}
func (b bowl) L1() float64 { return 0 }
func (b bowl) Hessian(dst []float64) error {
	n := len(b.w)
	clear(dst)
	for i := 0; i < n; i++ {
		dst[i*n+i] = 2
	}
	dst[1], dst[n] = 0.5, 0.5
	return nil
}
func (b bowl) HVP(v, dst []float64) error {
	for i := range v {
		dst[i] = 2 * v[i]
	}
	dst[0] += 0.5 * v[1]
	dst[1] += 0.5 * v[0]
	return nil
}
func (b bowl) GaussNewton(v, dst []float64) error    { return b.HVP(v, dst) }
func (b bowl) GaussNewtonMatrix(dst []float64) error { return b.Hessian(dst) }
func (b bowl) Eval(w, grad []float64) (float64, error) {
	return b.f(w, grad), nil
}
func (b bowl) Certificate() surrogate.Certificate {
	return surrogate.Certificate{Convex: true, Reason: "positive definite quadratic"}
}

// Each surrogate turns the block problem into a direction D_j; the driver
// then moves W ← (1 − α)W + αD (eq. (7)).
func Example() {
	ctx := context.Background()
	p := bowl{w: []float64{0, 0, 0}, c: []float64{1, 2, 3}}
	d := make([]float64, 3)
	for _, s := range []surrogate.Surrogate{
		surrogate.FirstOrder{Gamma: 4},      // gradient step, eq. (10)
		surrogate.SecondOrder{Gamma: 1e-12}, // Newton step, eq. (A.2)
		surrogate.Proximal{Gamma: 1},        // proximal point, eq. (14)
		surrogate.ExactQuadratic{},          // closed-form block minimiser
		&surrogate.AdaGrad{Eta: 0.5},        // baseline
		surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Solver: surrogate.CG},
	} {
		info, err := s.Direction(ctx, p, d)
		if err != nil {
			fmt.Println(s.Name(), err)
			continue
		}
		fmt.Printf("%-15s D = [%.4f %.4f %.4f]  model decrease %.4f\n", s.Name(), d[0], d[1], d[2], info.ModelDecrease)
	}

	// With a feasible set the bound is minimised over it.
	p.set = graph.Box{Lo: -1, Hi: 1.5}
	info, _ := surrogate.SecondOrder{Gamma: 1e-12}.Direction(ctx, p, d)
	fmt.Printf("box             D = [%.4f %.4f %.4f]  model decrease %.4f\n", d[0], d[1], d[2], info.ModelDecrease)
	// Output:
	// first-order     D = [0.5000 1.0000 1.5000]  model decrease 7.0000
	// second-order    D = [0.5333 1.8667 3.0000]  model decrease 13.2667
	// proximal        D = [0.4571 1.2571 2.0000]  model decrease 8.9714
	// exact-quadratic D = [0.5333 1.8667 3.0000]  model decrease 13.2667
	// adagrad         D = [0.5000 0.5000 0.5000]  model decrease 3.0000
	// gauss-newton    D = [0.4571 1.2571 2.0000]  model decrease 8.9714
	// box             D = [0.6250 1.5000 1.5000]  model decrease 10.8906
}

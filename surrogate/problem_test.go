package surrogate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/bsum-go/bsum/graph"
)

// testFn is an analytic block function with hand-written derivatives.
type testFn struct {
	name string
	n    int
	f    func(w []float64) float64
	grad func(w, g []float64)
	hess func(w, h []float64)
	gn   func(w, h []float64) // positive semi-definite stand-in for Gauss-Newton
	cert Certificate
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func softplus(x float64) float64 {
	if x > 30 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func randMat(rng *rand.Rand, r, c int, s float64) []float64 {
	m := make([]float64, r*c)
	for i := range m {
		m[i] = s * rng.NormFloat64()
	}
	return m
}

// spd returns BᵀB/n + mu·I.
func spd(rng *rand.Rand, n int, mu float64) []float64 {
	b := randMat(rng, n, n, 1)
	q := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for k := 0; k < n; k++ {
			var s float64
			for l := 0; l < n; l++ {
				s += b[l*n+i] * b[l*n+k]
			}
			q[i*n+k] = s / float64(n)
		}
		q[i*n+i] += mu
	}
	return q
}

// logisticFn is sign·(Σ_i softplus(a_iᵀw) + ½wᵀQw) − c‖w‖² + s·Σ_k sin(b_kᵀw):
// convex for sign = 1, c = s = 0; concave for sign = −1, c = s = 0;
// nonconvex otherwise.
func logisticFn(seed uint64, n int, sign, c, s float64) *testFn {
	rng := rand.New(rand.NewPCG(seed, 7))
	const m, mb = 8, 3
	a := randMat(rng, m, n, 1)
	b := randMat(rng, mb, n, 1)
	q := spd(rng, n, 0.1)
	row := func(x []float64, i int) []float64 { return x[i*n : (i+1)*n] }
	fn := &testFn{name: "logistic", n: n}
	switch {
	case sign > 0 && c == 0 && s == 0:
		fn.name = "convex"
		fn.cert = Certificate{Convex: true, Reason: "test: softplus of affine plus SPD quadratic"}
	case sign < 0 && c == 0 && s == 0:
		fn.name = "concave"
		fn.cert = Certificate{Concave: true, Reason: "test: negated convex function"}
	default:
		fn.name = "nonconvex"
		fn.cert = Certificate{Reason: "test: indefinite −c‖w‖² and sine terms"}
	}
	fn.f = func(w []float64) float64 {
		var v float64
		for i := 0; i < m; i++ {
			v += softplus(dot(row(a, i), w))
		}
		qw := make([]float64, n)
		matVec(qw, q, 0, w)
		v += 0.5 * dot(w, qw)
		v *= sign
		v -= c * dot(w, w)
		for k := 0; k < mb; k++ {
			v += s * math.Sin(dot(row(b, k), w))
		}
		return v
	}
	fn.grad = func(w, g []float64) {
		matVec(g, q, 0, w)
		for i := 0; i < m; i++ {
			ai := row(a, i)
			sg := sigmoid(dot(ai, w))
			for l := range g {
				g[l] += sg * ai[l]
			}
		}
		for l := range g {
			g[l] = sign*g[l] - 2*c*w[l]
		}
		for k := 0; k < mb; k++ {
			bk := row(b, k)
			cs := s * math.Cos(dot(bk, w))
			for l := range g {
				g[l] += cs * bk[l]
			}
		}
	}
	convexPart := func(w, h []float64) {
		copy(h, q)
		for i := 0; i < m; i++ {
			ai := row(a, i)
			sg := sigmoid(dot(ai, w))
			wt := sg * (1 - sg)
			for l := 0; l < n; l++ {
				for r := 0; r < n; r++ {
					h[l*n+r] += wt * ai[l] * ai[r]
				}
			}
		}
	}
	fn.hess = func(w, h []float64) {
		convexPart(w, h)
		for i := range h {
			h[i] *= sign
		}
		for l := 0; l < n; l++ {
			h[l*n+l] -= 2 * c
		}
		for k := 0; k < mb; k++ {
			bk := row(b, k)
			sn := -s * math.Sin(dot(bk, w))
			for l := 0; l < n; l++ {
				for r := 0; r < n; r++ {
					h[l*n+r] += sn * bk[l] * bk[r]
				}
			}
		}
	}
	fn.gn = convexPart
	return fn
}

// quadFn is ½wᵀQw − bᵀw + 3 with Q positive definite; min returns Q⁻¹b.
func quadFn(seed uint64, n int) (*testFn, []float64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	q := spd(rng, n, 0.5)
	b := randMat(rng, 1, n, 1)
	fn := &testFn{name: "quadratic", n: n, cert: Certificate{Convex: true, Reason: "test: SPD quadratic"}}
	fn.f = func(w []float64) float64 {
		qw := make([]float64, n)
		matVec(qw, q, 0, w)
		return 0.5*dot(w, qw) - dot(b, w) + 3
	}
	fn.grad = func(w, g []float64) {
		matVec(g, q, 0, w)
		for i := range g {
			g[i] -= b[i]
		}
	}
	fn.hess = func(_, h []float64) { copy(h, q) }
	fn.gn = fn.hess
	l := make([]float64, n*n)
	if !cholesky(l, q, n, 0) {
		panic("quadFn: not SPD")
	}
	x := make([]float64, n)
	cholSolve(x, l, n, b)
	return fn, x
}

// sqrtFn is Σ_i √(1 + w_i²): convex, with small curvature far from 0, so an
// undamped Newton step from w = 2 overshoots and increases f.
func sqrtFn(n int) *testFn {
	return &testFn{
		name: "sqrt", n: n, cert: Certificate{Convex: true, Reason: "test: sum of √(1+w²)"},
		f: func(w []float64) float64 {
			var v float64
			for _, x := range w {
				v += math.Sqrt(1 + x*x)
			}
			return v
		},
		grad: func(w, g []float64) {
			for i, x := range w {
				g[i] = x / math.Sqrt(1+x*x)
			}
		},
		hess: func(w, h []float64) {
			clear(h)
			for i, x := range w {
				h[i*n+i] = math.Pow(1+x*x, -1.5)
			}
		},
	}
}

// testProblem implements Problem for a testFn at w0, adding the block's
// Tikhonov term λ‖w‖² to f. With strict set, calls beyond needs are
// recorded in violations.
type testProblem struct {
	fn    *testFn
	j     int
	block graph.Block
	w0    []float64
	f0    float64
	g     []float64
	l1    float64
	cert  Certificate

	mu         sync.Mutex
	strict     bool
	needs      Needs
	violations []string
	calls      map[string]int
}

type probOpt func(*testProblem)

func withSet(s graph.Set) probOpt    { return func(p *testProblem) { p.block.Set = s } }
func withL1(l float64) probOpt       { return func(p *testProblem) { p.l1 = l; p.block.L1 = l } }
func withTikhonov(l float64) probOpt { return func(p *testProblem) { p.block.Tikhonov = l } }
func withIndex(j int) probOpt        { return func(p *testProblem) { p.j = j } }

func newProblem(fn *testFn, w0 []float64, opts ...probOpt) *testProblem {
	p := &testProblem{fn: fn, w0: append([]float64(nil), w0...), cert: fn.cert, calls: map[string]int{}}
	p.block = graph.Block{Name: fn.name, Rows: 2, Cols: fn.n / 2}
	if fn.n%2 != 0 {
		p.block.Rows, p.block.Cols = 1, fn.n
	}
	for _, o := range opts {
		o(p)
	}
	p.g = make([]float64, fn.n)
	p.f0 = p.value(p.w0, p.g)
	return p
}

func (p *testProblem) value(w, grad []float64) float64 {
	lam := p.block.Tikhonov
	if grad != nil {
		p.fn.grad(w, grad)
		for i := range grad {
			grad[i] += 2 * lam * w[i]
		}
	}
	return p.fn.f(w) + lam*dot(w, w)
}

func (p *testProblem) hessAt(w, h []float64) {
	p.fn.hess(w, h)
	n := p.fn.n
	for i := 0; i < n; i++ {
		h[i*n+i] += 2 * p.block.Tikhonov
	}
}

func (p *testProblem) gnAt(w, h []float64) {
	p.fn.gn(w, h)
	n := p.fn.n
	for i := 0; i < n; i++ {
		h[i*n+i] += 2 * p.block.Tikhonov
	}
}

func (p *testProblem) use(name string, allowed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[name]++
	if p.strict && !allowed {
		p.violations = append(p.violations, name)
	}
}

// expect turns on strict checking against n.
func (p *testProblem) expect(n Needs) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.strict, p.needs, p.violations = true, n, nil
}

func (p *testProblem) Index() int               { return p.j }
func (p *testProblem) Block() graph.Block       { return p.block }
func (p *testProblem) Point() []float64         { return p.w0 }
func (p *testProblem) Value() float64           { return p.f0 }
func (p *testProblem) Gradient() []float64      { return p.g }
func (p *testProblem) L1() float64              { return p.l1 }
func (p *testProblem) Certificate() Certificate { return p.cert }

func (p *testProblem) HVP(v, dst []float64) error {
	p.use("HVP", p.needs.HVP)
	n := p.fn.n
	h := make([]float64, n*n)
	p.hessAt(p.w0, h)
	matVec(dst, h, 0, v)
	return nil
}

func (p *testProblem) GaussNewton(v, dst []float64) error {
	p.use("GaussNewton", p.needs.GaussNewton)
	if p.fn.gn == nil {
		return fmt.Errorf("no Gauss-Newton matrix for %s", p.fn.name)
	}
	n := p.fn.n
	h := make([]float64, n*n)
	p.gnAt(p.w0, h)
	matVec(dst, h, 0, v)
	return nil
}

func (p *testProblem) Hessian(dst []float64) error {
	p.use("Hessian", p.needs.Hessian)
	p.hessAt(p.w0, dst)
	return nil
}

func (p *testProblem) GaussNewtonMatrix(dst []float64) error {
	p.use("GaussNewtonMatrix", p.needs.GaussNewton)
	if p.fn.gn == nil {
		return fmt.Errorf("no Gauss-Newton matrix for %s", p.fn.name)
	}
	p.gnAt(p.w0, dst)
	return nil
}

func (p *testProblem) Eval(w, grad []float64) (float64, error) {
	p.use("Eval", p.needs.Eval)
	return p.value(w, grad), nil
}

func (p *testProblem) violated() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := append([]string(nil), p.violations...)
	sort.Strings(v)
	return strings.Join(v, ",")
}

// point returns a deterministic starting point.
func point(seed uint64, n int, s float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	return randMat(rng, 1, n, s)
}

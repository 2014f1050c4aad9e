package surrogate

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
)

// samplerProblem is a testProblem whose curvature mini-batch products are
// those of a different positive semi-definite matrix (scale·G), so a test
// can tell which products a surrogate used.
type samplerProblem struct {
	*testProblem
	cols   int
	scale  float64
	fail   bool
	mu     sync.Mutex
	asked  []int
	sample int // sampled products
}

func (s *samplerProblem) BatchColumns() int { return s.cols }

func (s *samplerProblem) SampleCurvature(m int) (SampledCurvature, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, m)
	if s.fail || m < 1 || m > s.cols {
		return nil, errors.New("bad m")
	}
	return fakeSample{s}, nil
}

type fakeSample struct{ s *samplerProblem }

func (f fakeSample) Columns() []int { return nil }

func (f fakeSample) GaussNewton(v, dst []float64) error {
	f.s.mu.Lock()
	f.s.sample++
	f.s.mu.Unlock()
	n := f.s.fn.n
	h := make([]float64, n*n)
	f.s.gnAt(f.s.w0, h)
	matVec(dst, h, 0, v)
	for i := range dst {
		dst[i] *= f.s.scale
	}
	return nil
}

func (f fakeSample) HVP(v, dst []float64) error { return errors.New("HVP not expected") }

// TestHessianFreeCurvatureBatch: the curvature mini-batch has the size the
// settings give, the products come from it, and the explicit matrices are
// never asked for.
func TestHessianFreeCurvatureBatch(t *testing.T) {
	ctx := context.Background()
	fn := logisticFn(5, 12, 1, 0, 0)
	tests := []struct {
		name     string
		batch    int
		frac     float64
		cols     int
		want     int  // Info.CurvatureBatch
		sampling bool // SampleCurvature is called
	}{
		{"default tenth", 0, 0, 100, 10, true},
		{"fraction rounds up", 0, 0.25, 10, 3, true},
		{"tiny batch keeps one column", 0, 0, 3, 1, true},
		{"count", 7, 0, 50, 7, true},
		{"count capped at the batch", 7, 0, 5, 5, false},
		{"whole batch", 0, 1, 40, 40, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := newProblem(fn, point(1, 12, 0.5))
			tp.expect(Needs{GaussNewton: !tc.sampling, Eval: true})
			sp := &samplerProblem{testProblem: tp, cols: tc.cols, scale: 3}
			h := &HessianFree{CurvatureBatch: tc.batch, CurvatureFraction: tc.frac}
			h.Reset(1)
			d := make([]float64, 12)
			info, err := h.Direction(ctx, sp, d)
			require.NoError(t, err)
			assert.Equal(t, tc.want, info.CurvatureBatch)
			assert.Empty(t, tp.violated(), "calls beyond the needs")
			if tc.sampling {
				assert.Equal(t, []int{tc.want}, sp.asked)
				assert.Positive(t, sp.sample)
				assert.Zero(t, tp.calls["GaussNewton"], "the batch's own products are not used")
			} else {
				assert.Empty(t, sp.asked)
				assert.Positive(t, tp.calls["GaussNewton"])
			}
			assert.Zero(t, tp.calls["Hessian"]+tp.calls["GaussNewtonMatrix"])
			f, err := tp.Eval(d, nil)
			require.NoError(t, err)
			assert.Less(t, f, tp.f0)
		})
	}
}

// TestHessianFreeMatchesSecondOrderCG: with the whole batch as curvature
// batch, no warm start and no progress stop, HessianFree's CG is the same
// computation as SecondOrder's (Gauss-Newton, CG, adaptive damping), bit
// for bit, over several steps.
func TestHessianFreeMatchesSecondOrderCG(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		fn   *testFn
		opts []probOpt
	}{
		{"convex", logisticFn(2, 10, 1, 0, 0), nil},
		{"nonconvex", logisticFn(3, 10, 1, 0.3, 0.5), nil},
		{"tikhonov", logisticFn(4, 8, 1, 0.2, 0.3), []probOpt{withTikhonov(0.05)}},
		{"l1", logisticFn(6, 8, 1, 0, 0), []probOpt{withL1(0.05)}},
		{"box", logisticFn(7, 8, 1, 0, 0), []probOpt{withSet(graph.Box{Lo: -0.2, Hi: 0.2})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &HessianFree{CurvatureFraction: 1, CGMaxIter: 200, Progress: -1, WarmStart: -1}
			h.Reset(1)
			s := &SecondOrder{Curvature: GaussNewton, Solver: CG, CGMaxIter: 200, Adaptive: &Damping{}}
			s.Reset(1)
			w := point(9, tc.fn.n, 0.3)
			if tc.name == "box" {
				graph.Box{Lo: -0.2, Hi: 0.2}.Project(w)
			}
			for step := 0; step < 4; step++ {
				p := newProblem(tc.fn, w, tc.opts...)
				d1, d2 := make([]float64, len(w)), make([]float64, len(w))
				i1, err := h.Direction(ctx, p, d1)
				require.NoError(t, err)
				i2, err := s.Direction(ctx, p, d2)
				require.NoError(t, err)
				require.Equal(t, d2, d1, "step %d", step)
				require.Equal(t, i2.Gamma, i1.Gamma)
				require.Equal(t, i2.ModelDecrease, i1.ModelDecrease)
				require.Equal(t, s.Damping(0), h.Gamma(0))
				w = d1
			}
		})
	}
}

// TestHessianFreeCGBudgetAndProgress: the budget caps the products, the
// progress test stops CG early on an ill-conditioned model at nearly the
// full model decrease, and every truncated point is a descent direction.
func TestHessianFreeCGBudgetAndProgress(t *testing.T) {
	ctx := context.Background()
	fn, _ := quadFn(21, 120)
	w0 := point(4, 120, 1)
	run := func(h *HessianFree) (Info, []float64) {
		p := newProblem(fn, w0)
		h.Reset(1)
		d := make([]float64, 120)
		info, err := h.Direction(ctx, p, d)
		require.NoError(t, err)
		var slope float64
		for i := range d {
			slope += p.g[i] * (d[i] - w0[i])
		}
		require.Negative(t, slope, "descent direction")
		return info, d
	}
	damp := func() *Damping { return &Damping{Init: 1e-6} }
	full, _ := run(&HessianFree{CurvatureFraction: 1, CGMaxIter: 1000, Progress: -1, CGTol: 1e-14, Damping: damp()})
	require.Greater(t, full.Inner, 40, "the model is not trivial for CG")
	tests := []struct {
		name     string
		h        *HessianFree
		maxInner int
		minShare float64 // of the full model decrease
	}{
		{"budget 3", &HessianFree{CurvatureFraction: 1, CGMaxIter: 3, Progress: -1, Damping: damp()}, 3, 0},
		{"budget 10", &HessianFree{CurvatureFraction: 1, CGMaxIter: 10, Progress: -1, Damping: damp()}, 10, 0},
		{"progress 5e-4", &HessianFree{CurvatureFraction: 1, CGMaxIter: 1000, CGTol: 1e-14, Damping: damp()}, full.Inner - 1, 0.99},
		{"progress 1e-2", &HessianFree{CurvatureFraction: 1, CGMaxIter: 1000, CGTol: 1e-14, Progress: 1e-2, Damping: damp()}, full.Inner - 1, 0.9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, _ := run(tc.h)
			require.Zero(t, info.Rejected)
			assert.LessOrEqual(t, info.Inner, tc.maxInner)
			assert.Positive(t, info.ModelDecrease)
			assert.GreaterOrEqual(t, info.ModelDecrease, tc.minShare*full.ModelDecrease)
			assert.LessOrEqual(t, info.ModelDecrease, full.ModelDecrease*(1+1e-12))
		})
	}
}

// TestHessianFreeWarmStart: starting from the previous solution of a
// repeated model costs one product; a start that raises the model above 0
// is dropped for 0, giving the cold direction.
func TestHessianFreeWarmStart(t *testing.T) {
	ctx := context.Background()
	fn, wStar := quadFn(8, 30)
	delta := point(5, 30, 0.5)
	at := func(sign float64) []float64 {
		w := make([]float64, 30)
		for i := range w {
			w[i] = wStar[i] + sign*delta[i]
		}
		return w
	}
	// Large fixed damping bounds: γ is the same at every call.
	fixed := func() *Damping { return &Damping{Init: 1e-3, Min: 1e-3, Max: 1e-3} }
	tests := []struct {
		name      string
		second    []float64 // point of the second call
		zeta      float64
		maxInner  int
		coldEqual bool
	}{
		{"same model, ζ = 1", at(1), 1, 1, false},
		{"gradient reversed", at(-1), 0.95, 1000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &HessianFree{CurvatureFraction: 1, CGMaxIter: 200, CGTol: 1e-12, Progress: -1, WarmStart: tc.zeta, Damping: fixed()}
			h.Reset(1)
			d := make([]float64, 30)
			first, err := h.Direction(ctx, newProblem(fn, at(1)), d)
			require.NoError(t, err)
			require.Greater(t, first.Inner, 5)
			p2 := newProblem(fn, tc.second)
			info, err := h.Direction(ctx, p2, d)
			require.NoError(t, err)
			assert.LessOrEqual(t, info.Inner, tc.maxInner)
			assert.Positive(t, info.ModelDecrease)
			cold := &HessianFree{CurvatureFraction: 1, CGMaxIter: 200, CGTol: 1e-12, Progress: -1, WarmStart: -1, Damping: fixed()}
			cold.Reset(1)
			dc := make([]float64, 30)
			_, err = cold.Direction(ctx, p2, dc)
			require.NoError(t, err)
			if tc.coldEqual {
				assert.Equal(t, dc, d)
			} else {
				assert.InDelta(t, 0, maxAbsDiff(dc, d), 1e-8)
			}
		})
	}
}

// TestHessianFreeNeverFormsMatrices: a problem whose explicit matrices fail
// the test is solved without them, with an L1 term and a set too.
func TestHessianFreeNeverFormsMatrices(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts []probOpt
	}{
		{"plain", nil},
		{"l1", []probOpt{withL1(0.02)}},
		{"ball", []probOpt{withSet(graph.Ball{Radius: 1})}},
	}
	fn := logisticFn(11, 16, 1, 0.2, 0.4)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := point(3, 16, 0.3)
			p := newProblem(fn, w, tc.opts...)
			p.expect(Needs{GaussNewton: true, Eval: true})
			q := &matrixTrap{testProblem: p}
			h := &HessianFree{}
			h.Reset(1)
			d := make([]float64, 16)
			info, err := h.Direction(ctx, q, d)
			require.NoError(t, err)
			assert.False(t, q.trapped)
			assert.Empty(t, p.violated())
			f, err := p.Eval(d, nil)
			require.NoError(t, err)
			assert.Less(t, f+p.l1*norm1(d), p.f0+p.l1*norm1(w), "%+v", info)
		})
	}
	// The problem the inner solver sees refuses explicit matrices.
	q := &hfProblem{Problem: newProblem(fn, point(3, 16, 0.3))}
	assert.ErrorIs(t, q.Hessian(make([]float64, 256)), errNoMatrix)
	assert.ErrorIs(t, q.GaussNewtonMatrix(make([]float64, 256)), errNoMatrix)
}

type matrixTrap struct {
	*testProblem
	trapped bool
}

func (m *matrixTrap) Hessian([]float64) error           { m.trapped = true; return errors.New("trap") }
func (m *matrixTrap) GaussNewtonMatrix([]float64) error { m.trapped = true; return errors.New("trap") }

// TestHessianFreeBound: Bound is the damped Gauss-Newton bound: equal to f
// at W^(k), and the model decrease of a whole-batch direction is the bound's
// decrease.
func TestHessianFreeBound(t *testing.T) {
	ctx := context.Background()
	fn := logisticFn(13, 10, 1, 0, 0)
	p := newProblem(fn, point(2, 10, 0.4))
	h := &HessianFree{CurvatureFraction: 1, Damping: &Damping{Init: 0.5, Min: 0.5, Max: 0.5}}
	h.Reset(1)
	b0, err := h.Bound(p, p.w0)
	require.NoError(t, err)
	assert.InDelta(t, p.f0, b0, 1e-12)
	d := make([]float64, 10)
	info, err := h.Direction(ctx, p, d)
	require.NoError(t, err)
	bd, err := h.Bound(p, d)
	require.NoError(t, err)
	assert.InDelta(t, info.ModelDecrease, b0-bd, 1e-10*math.Max(1, info.ModelDecrease))
}

func TestHessianFreeSettings(t *testing.T) {
	ctx := context.Background()
	fn := logisticFn(1, 6, 1, 0, 0)
	tests := []struct {
		name string
		h    *HessianFree
	}{
		{"negative batch", &HessianFree{CurvatureBatch: -1}},
		{"fraction above 1", &HessianFree{CurvatureFraction: 1.5}},
		{"NaN fraction", &HessianFree{CurvatureFraction: math.NaN()}},
		{"negative budget", &HessianFree{CGMaxIter: -2}},
		{"negative tolerance", &HessianFree{CGTol: -1}},
		{"infinite progress", &HessianFree{Progress: math.Inf(1)}},
		{"warm start above 1", &HessianFree{WarmStart: 1.5}},
		{"bad damping", &HessianFree{Damping: &Damping{Decrease: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.h.Direction(ctx, newProblem(fn, point(1, 6, 1)), make([]float64, 6))
			assert.Error(t, err)
		})
	}
	h := &HessianFree{}
	assert.Equal(t, "hessian-free", h.Name())
	assert.Equal(t, Needs{GaussNewton: true, Eval: true}, h.Needs())
	// A failing sampler is reported with the block and size.
	sp := &samplerProblem{testProblem: newProblem(fn, point(1, 6, 1)), cols: 50, scale: 1}
	_, err := (&HessianFree{CurvatureBatch: 1}).Direction(ctx, sp, make([]float64, 6))
	require.NoError(t, err)
	sp.fail = true
	_, err = (&HessianFree{}).Direction(ctx, sp, make([]float64, 6))
	assert.ErrorContains(t, err, "curvature mini-batch of 5 columns")
}

// TestHessianFreeConcurrentBlocks: different blocks may call Direction
// concurrently (Jacobi); run with -race.
func TestHessianFreeConcurrentBlocks(t *testing.T) {
	ctx := context.Background()
	h := &HessianFree{}
	h.Reset(4)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for j := 0; j < 4; j++ {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			fn := logisticFn(uint64(j+1), 8, 1, 0, 0)
			for k := 0; k < 3; k++ {
				p := newProblem(fn, point(uint64(k+1), 8, 0.5), withIndex(j))
				_, errs[j] = h.Direction(ctx, p, make([]float64, 8))
				if errs[j] != nil {
					return
				}
			}
		}(j)
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

package solvers

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/surrogate"
)

// testBatch is a batch of b random columns for net (one-hot targets when
// classes is set).
func testBatch(rng *rand.Rand, net *graph.Net, b int, classes bool) (x, y []float64) {
	x = make([]float64, net.In()*b)
	y = make([]float64, net.Out()*b)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for c := 0; c < b; c++ {
		if classes {
			y[rng.IntN(net.Out())*b+c] = 1
			continue
		}
		for i := 0; i < net.Out(); i++ {
			y[i*b+c] = rng.Float64()
		}
	}
	return x, y
}

// newTestProblem is block j's problem at w on the batch (x, y), as the
// driver builds it for iteration k.
func newTestProblem(t testing.TB, net *graph.Net, x, y []float64, b int, w graph.Weights, j, k int, sub *subBatches, seed uint64) *blockProblem {
	t.Helper()
	prog, err := net.NewProgram(b)
	require.NoError(t, err)
	require.NoError(t, prog.SetBatch(x, y))
	require.NoError(t, prog.SetWeights(w))
	f, err := prog.Objective()
	require.NoError(t, err)
	grad := make([]float64, len(w[j]))
	require.NoError(t, prog.Grad(j, grad))
	bp := &blockProblem{prog: prog, j: j, blk: net.Blocks()[j], point: w[j], f: f, grad: grad,
		cert: func() surrogate.Certificate { return surrogate.Certificate{} }}
	r := &run{s: Settings{Seed: seed}, w: w}
	if sub != nil {
		bp.sub, bp.w = sub, w
		bp.seed = [2]uint64{seed ^ curvatureStream, uint64(k)<<20 ^ uint64(j)}
	} else {
		r.subsample(bp, k)
	}
	return bp
}

// TestSampleCurvatureEqualsProgramOnColumns: the mini-batch products are
// those of a program compiled for exactly the drawn columns, to 1e-12
// relative; the columns are distinct, sorted, reproducible from the seed and
// redrawn for another iteration.
func TestSampleCurvatureEqualsProgramOnColumns(t *testing.T) {
	logit := models.MLP("tanh", 6, 5, 3)
	logit.Output, logit.Loss, logit.Tikhonov = "identity", "softmax-cross-entropy", 1e-3
	biased := models.MLP("logistic", 4, 6, 2)
	biased.Bias = true
	tests := []struct {
		name    string
		spec    models.Spec
		classes bool
		b, m    int
	}{
		{"bodyfat", models.BodyFat(), false, 40, 4},
		{"softmax tikhonov", logit, true, 30, 7},
		{"bias", biased, false, 25, 24},
		{"one column", models.BodyFat(), false, 10, 1},
		{"whole batch", models.BodyFat(), false, 12, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := tc.spec.Net()
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(7, 7))
			w := net.Init(rng)
			x, y := testBatch(rng, net, tc.b, tc.classes)
			sub := &subBatches{}
			for j := range w {
				bp := newTestProblem(t, net, x, y, tc.b, w, j, 3, sub, 11)
				assert.Equal(t, tc.b, bp.BatchColumns())
				sc, err := bp.SampleCurvature(tc.m)
				require.NoError(t, err)
				cols := sc.Columns()
				require.Len(t, cols, tc.m)
				assert.True(t, slices.IsSorted(cols))
				assert.Len(t, slices.Compact(slices.Clone(cols)), tc.m, "distinct")
				assert.GreaterOrEqual(t, cols[0], 0)
				assert.Less(t, cols[tc.m-1], tc.b)

				// Reference: a fresh program on exactly those columns.
				xs, ys := make([]float64, net.In()*tc.m), make([]float64, net.Out()*tc.m)
				for c, col := range cols {
					for i := 0; i < net.In(); i++ {
						xs[i*tc.m+c] = x[i*tc.b+col]
					}
					for i := 0; i < net.Out(); i++ {
						ys[i*tc.m+c] = y[i*tc.b+col]
					}
				}
				ref, err := net.NewProgram(tc.m)
				require.NoError(t, err)
				require.NoError(t, ref.SetBatch(xs, ys))
				require.NoError(t, ref.SetWeights(w))
				for trial := 0; trial < 3; trial++ {
					v := make([]float64, len(w[j]))
					for i := range v {
						v[i] = rng.NormFloat64()
					}
					got, want := make([]float64, len(v)), make([]float64, len(v))
					require.NoError(t, sc.GaussNewton(v, got))
					require.NoError(t, ref.GaussNewton(j, v, want))
					assert.LessOrEqual(t, relDiff(got, want), 1e-12, "block %d Gauss-Newton", j)
					require.NoError(t, sc.HVP(v, got))
					require.NoError(t, ref.HVP(j, v, want))
					assert.LessOrEqual(t, relDiff(got, want), 1e-12, "block %d HVP", j)
				}
				assert.Positive(t, bp.stats.GaussNewton)

				// Same seed, iteration and block: same columns; another
				// iteration: a fresh draw (unless the batch is all of it).
				again := newTestProblem(t, net, x, y, tc.b, w, j, 3, sub, 11)
				sc2, err := again.SampleCurvature(tc.m)
				require.NoError(t, err)
				assert.Equal(t, cols, sc2.Columns())
				if tc.m < tc.b-1 {
					draws := map[string]bool{}
					for k := 4; k < 12; k++ {
						o := newTestProblem(t, net, x, y, tc.b, w, j, k, sub, 11)
						sc3, err := o.SampleCurvature(tc.m)
						require.NoError(t, err)
						draws[string(rune(sc3.Columns()[0]))+string(rune(sc3.Columns()[tc.m-1]))] = true
					}
					assert.Greater(t, len(draws), 1, "columns are redrawn every iteration")
				}
			}
		})
	}
}

func TestSampleCurvatureErrors(t *testing.T) {
	net, err := models.BodyFat().Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	w := net.Init(rng)
	x, y := testBatch(rng, net, 8, false)
	bp := newTestProblem(t, net, x, y, 8, w, 0, 1, &subBatches{}, 1)
	for _, m := range []int{0, -1, 9} {
		_, err := bp.SampleCurvature(m)
		assert.ErrorIs(t, err, graph.ErrArgument, "m = %d", m)
	}
	bp.sub = nil
	_, err = bp.SampleCurvature(3)
	assert.ErrorIs(t, err, ErrMethod)
}

func relDiff(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		n = math.Max(n, math.Abs(b[i]))
	}
	if n == 0 {
		return d
	}
	return d / n
}

// TestHessianFreeDirectionMemory: one Hessian-free direction for a block of
// 200,704 weights (784×256) allocates O(p) bytes, not O(p²) (which would be
// 322 GB): fewer than 50·p·8, on the plain CG path and on the inner
// FISTA / power-iteration paths of an L1 term and a feasible set, per trial
// direction of the damping loop. The very first direction also compiles the
// curvature mini-batch program (O(p) too, logged, not asserted).
func TestHessianFreeDirectionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 784-256-10 network")
	}
	spec := models.MLP("tanh", 784, 256, 10)
	spec.Output, spec.Loss = "identity", "softmax-cross-entropy"
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	w := net.Init(rng)
	const b, j = 16, 0
	p := len(w[j])
	require.Equal(t, 784*256, p)
	x, y := testBatch(rng, net, b, true)
	tests := []struct {
		name string
		l1   float64
		set  graph.Set
	}{
		{"cg", 0, nil},
		{"l1: fista with power iteration", 1e-4, nil},
		{"ball: projected fista", 0, graph.Ball{Radius: 1}},
	}
	sub := &subBatches{}
	d := make([]float64, p)
	var ms runtime.MemStats
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hf := &surrogate.HessianFree{CurvatureBatch: 4, CGMaxIter: 20, MaxInner: 20}
			hf.Reset(net.NumBlocks())
			measure := func(k int) (uint64, surrogate.Info) {
				bp := newTestProblem(t, net, x, y, b, w, j, k, sub, 5)
				bp.l1, bp.blk.Set = tc.l1, tc.set
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.TotalAlloc
				info, err := hf.Direction(context.Background(), bp, d)
				runtime.ReadMemStats(&ms)
				require.NoError(t, err)
				return ms.TotalAlloc - before, info
			}
			for k := 1; k <= 3; k++ {
				bytes, info := measure(k)
				t.Logf("direction %d: %d bytes = %.1f·p·8 (%d products, %d rejected trials, curvature batch %d)", k, bytes, float64(bytes)/float64(8*p), info.Inner, info.Rejected, info.CurvatureBatch)
				if k > 1 || tc.set != nil || tc.l1 > 0 { // k = 1 of the first case compiles the program
					// Each trial direction (one per rejection, plus the
					// accepted one) costs O(p).
					assert.Less(t, bytes, uint64(50*p*8*(1+info.Rejected)))
				}
				assert.Equal(t, 4, info.CurvatureBatch)
				assert.Positive(t, info.Inner)
			}
		})
	}
}

package solvers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// hist builds a Progress from (F, GradNorm, Stationarity, MaxGamma) rows,
// one block per record, every record a full evaluation.
func hist(blocks int, rows ...[4]float64) *solvers.Progress {
	p := &solvers.Progress{Blocks: blocks}
	for i, r := range rows {
		p.History = append(p.History, solvers.Record{K: i + 1, Blocks: []int{i % blocks}, Full: true, F: r[0], GradNorm: r[1], Stationarity: r[2], MaxGamma: r[3]})
	}
	return p
}

// Each stopping rule on hand-made histories: it fires exactly when its
// condition holds on the newest record.
func TestConvergerRules(t *testing.T) {
	batchLast := hist(1, [4]float64{1, 0, 0, 0}, [4]float64{0.1, 0, 0, 0})
	batchLast.History[1].Full = false
	cases := []struct {
		name string
		c    solvers.Converger
		p    *solvers.Progress
		want solvers.Status
	}{
		{"goal above", solvers.Goal{F: 0.5}, hist(1, [4]float64{1, 0, 0, 0}, [4]float64{0.6, 0, 0, 0}), solvers.NotStopped},
		{"goal equal", solvers.Goal{F: 0.5}, hist(1, [4]float64{1, 0, 0, 0}, [4]float64{0.5, 0, 0, 0}), solvers.GoalReached},
		{"goal on a batch value is ignored", solvers.Goal{F: 0.5}, batchLast, solvers.NotStopped},
		// Window 0 = one sweep of J = 2 blocks: compares records 3 and 1.
		{"ftol sweep small change", solvers.RelativeChange{Tol: 1e-3}, hist(2, [4]float64{1, 0, 0, 0}, [4]float64{5, 0, 0, 0}, [4]float64{1.0005, 0, 0, 0}), solvers.FunctionConvergence},
		{"ftol sweep large change", solvers.RelativeChange{Tol: 1e-3}, hist(2, [4]float64{1, 0, 0, 0}, [4]float64{1, 0, 0, 0}, [4]float64{1.01, 0, 0, 0}), solvers.NotStopped},
		{"ftol shorter than a sweep", solvers.RelativeChange{Tol: 1}, hist(3, [4]float64{1, 0, 0, 0}, [4]float64{1, 0, 0, 0}), solvers.NotStopped},
		{"ftol window 1", solvers.RelativeChange{Tol: 1e-3, Window: 1}, hist(2, [4]float64{1, 0, 0, 0}, [4]float64{5, 0, 0, 0}, [4]float64{5.001, 0, 0, 0}), solvers.FunctionConvergence},
		{"ftol looks back to a full record", solvers.RelativeChange{Tol: 1e-3, Window: 1}, func() *solvers.Progress {
			p := hist(1, [4]float64{1, 0, 0, 0}, [4]float64{3, 0, 0, 0}, [4]float64{1.0001, 0, 0, 0})
			p.History[1].Full = false
			return p
		}(), solvers.FunctionConvergence},
		{"ftol increase counts as change", solvers.RelativeChange{Tol: 1e-3, Window: 1}, hist(1, [4]float64{1, 0, 0, 0}, [4]float64{2, 0, 0, 0}), solvers.NotStopped},
		{"gtol every block", solvers.GradientNorm{Tol: 1e-3}, hist(2, [4]float64{1, 1, 0, 0}, [4]float64{1, 1e-3, 0, 0}, [4]float64{1, 1e-4, 0, 0}), solvers.GradientThreshold},
		{"gtol one block above", solvers.GradientNorm{Tol: 1e-3}, hist(2, [4]float64{1, 1e-4, 0, 0}, [4]float64{1, 2e-3, 0, 0}, [4]float64{1, 1e-4, 0, 0}), solvers.NotStopped},
		{"gtol fewer than J updates", solvers.GradientNorm{Tol: 1e-3}, hist(3, [4]float64{1, 1e-4, 0, 0}, [4]float64{1, 1e-4, 0, 0}), solvers.NotStopped},
		{"stationarity", solvers.Stationarity{Tol: 1e-6}, hist(2, [4]float64{1, 0, 1, 0}, [4]float64{1, 0, 1e-7, 0}, [4]float64{1, 0, 1e-6, 0}), solvers.Stationary},
		{"stationarity NaN never", solvers.Stationarity{Tol: 1e-6}, hist(1, [4]float64{1, 0, math.NaN(), 0}), solvers.NotStopped},
		{"damping below", solvers.DampingCeiling{Max: 1e6}, hist(1, [4]float64{1, 0, 0, 1e5}), solvers.NotStopped},
		{"damping reached", solvers.DampingCeiling{Max: 1e6}, hist(1, [4]float64{1, 0, 0, 1e5}, [4]float64{1, 0, 0, 1e6}), solvers.DampingLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, reason := c.c.Converged(c.p)
			assert.Equal(t, c.want, st)
			if c.want == solvers.NotStopped {
				assert.Empty(t, reason)
			} else {
				assert.NotEmpty(t, reason)
			}
		})
	}
	// A Jacobi record updates every block: one record is a sweep.
	p := &solvers.Progress{Blocks: 3, History: []solvers.Record{{K: 1, Blocks: []int{0, 1, 2}, GradNorm: 1e-9}}}
	st, _ := solvers.GradientNorm{Tol: 1e-8}.Converged(p)
	assert.Equal(t, solvers.GradientThreshold, st)
}

func firstIndex(h []solvers.Record, pred func(solvers.Record) bool) int {
	for i, r := range h {
		if pred(r) {
			return i
		}
	}
	return -1
}

// A run with a stopping rule stops at the first record of a run without
// it that meets the rule, with the rule's status; the records before are
// the same.
func TestConvergersStopRunsAtTheRightIteration(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(21, 21)))
	const iters = 60
	type tc struct {
		name   string
		method func() solvers.BSUM
		every  int
		// rule picks a converger from the free run's history and returns
		// the index of the record at which it must fire.
		rule func(h []solvers.Record) (solvers.Converger, int)
		want solvers.Status
	}
	goal := func(at int) func(h []solvers.Record) (solvers.Converger, int) {
		return func(h []solvers.Record) (solvers.Converger, int) {
			g := h[at].F
			return solvers.Goal{F: g}, firstIndex(h, func(r solvers.Record) bool { return r.Full && r.F <= g })
		}
	}
	cases := []tc{
		{"goal GD", func() solvers.BSUM { return solvers.GD(1) }, 1, goal(40), solvers.GoalReached},
		{"goal LM", solvers.LM, 1, goal(30), solvers.GoalReached},
		{"goal LM full eval every 4", solvers.LM, 4, goal(31), solvers.GoalReached},
		{"damping ceiling LM", func() solvers.BSUM {
			// γ never decreases (Decrease 1) and starts tiny, so the
			// damping climbs while LM rejects or mistrusts its steps.
			m := solvers.LM()
			m.Surrogate = &surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Adaptive: &surrogate.Damping{Init: 1e-6, Decrease: 1}}
			return m
		}, 1, func(h []solvers.Record) (solvers.Converger, int) {
			// The largest γ of the run: the rule fires where γ first
			// reaches it.
			var m float64
			for _, r := range h {
				m = math.Max(m, r.MaxGamma)
			}
			at := firstIndex(h, func(r solvers.Record) bool { return r.MaxGamma >= m })
			require.Greater(t, at, 4, "γ grows during the run: %g at first, %g at most", h[0].MaxGamma, m)
			return solvers.DampingCeiling{Max: m}, at
		}, solvers.DampingLimit},
		{"ftol GD", func() solvers.BSUM { return solvers.GD(1) }, 1, func(h []solvers.Record) (solvers.Converger, int) {
			// Tolerance: the relative sweep change at record 50.
			rel := func(i int) float64 {
				return math.Abs(h[i-4].F-h[i].F) / math.Max(math.Abs(h[i-4].F), math.Abs(h[i].F))
			}
			tol := rel(50) * (1 + 1e-9) // above rounding: the rule multiplies, rel divides
			return solvers.RelativeChange{Tol: tol}, firstIndex(h, func(r solvers.Record) bool { i := r.K - 1; return i >= 4 && rel(i) <= tol })
		}, solvers.FunctionConvergence},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			free, err := solvers.Minimize(context.Background(), net, data, w0, c.method(), solvers.Settings{MaxIter: iters, FullEvalEvery: c.every})
			require.NoError(t, err)
			conv, at := c.rule(free.History)
			require.GreaterOrEqual(t, at, 0)
			t.Logf("fires at record %d (K=%d) of %d", at, free.History[at].K, len(free.History))
			res, err := solvers.Minimize(context.Background(), net, data, w0, c.method(), solvers.Settings{MaxIter: iters, FullEvalEvery: c.every, Convergers: []solvers.Converger{conv}})
			require.NoError(t, err)
			assert.Equal(t, c.want, res.Status, res.Reason)
			require.Len(t, res.History, at+1)
			assert.NotEmpty(t, res.Reason)
			for i := range res.History {
				assert.Equal(t, free.History[i].F, res.History[i].F, "record %d", i)
			}
		})
	}
}

// Settings.GradTol and the GradientNorm converger are one rule.
func TestGradTolIsGradientNorm(t *testing.T) {
	spec := models.DeepLinear(3, 3, 1)
	spec.Tikhonov = 1e-2
	dl, err := spec.Net()
	require.NoError(t, err)
	dd := randData(rand.New(rand.NewPCG(3, 3)), 3, 1, 30)
	a, err := solvers.Minimize(context.Background(), dl, dd, nil, solvers.ExactBCD(), solvers.Settings{MaxIter: 5000, GradTol: 1e-8})
	require.NoError(t, err)
	b, err := solvers.Minimize(context.Background(), dl, dd, nil, solvers.ExactBCD(), solvers.Settings{MaxIter: 5000, Convergers: []solvers.Converger{solvers.GradientNorm{Tol: 1e-8}}})
	require.NoError(t, err)
	assert.Equal(t, solvers.GradientThreshold, a.Status)
	assert.Equal(t, a.Status, b.Status)
	assert.Len(t, b.History, len(a.History))
	assert.Less(t, len(a.History), 5000)
}

// Validation set = training set: the validation loss is the training
// objective (no regularisers) and the validation nMSE the training one.
func TestValidationRecords(t *testing.T) {
	net, data := bodyFat(t)
	res, err := solvers.Minimize(context.Background(), net, data, nil, solvers.GD(1), solvers.Settings{MaxIter: 9, FullEvalEvery: 3, Seed: 4, Validation: &data})
	require.NoError(t, err)
	for _, r := range res.History {
		if !r.Full {
			assert.True(t, math.IsNaN(r.ValLoss) && math.IsNaN(r.ValMetric), "K=%d not validated", r.K)
			continue
		}
		assert.InDelta(t, r.F, r.ValLoss, 1e-15*r.F, "K=%d", r.K)
		assert.InDelta(t, r.NormMSE, r.ValMetric, 1e-13, "K=%d", r.K)
	}
	assert.InDelta(t, res.F, res.ValLoss, 1e-15*res.F)
	require.NotNil(t, res.Best)
	assert.Equal(t, 4, res.Stats.Validation, "records 3, 6, 9 and the Result")

	// Classification loss: accuracy by default, a multiple of 1/N in [0, 1].
	spec := models.MLP("tanh", 3, 4, 1)
	spec.Loss = "logistic"
	cn, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 5))
	cd := randData(rng, 3, 1, 40)
	for i := range cd.Y {
		cd.Y[i] = math.Copysign(1, cd.X[i]) // label: sign of the first input
	}
	tr, va, err := cd.Split(3, 0.25, 1)
	require.NoError(t, err)
	res, err = solvers.Minimize(context.Background(), cn, tr, nil, solvers.LM(), solvers.Settings{MaxIter: 30, Validation: &va})
	require.NoError(t, err)
	for _, r := range res.History {
		n := r.ValMetric * float64(va.N)
		assert.InDelta(t, math.Round(n), n, 1e-9)
		assert.True(t, r.ValMetric >= 0 && r.ValMetric <= 1)
	}
	assert.Greater(t, res.ValMetric, 0.7, "learns the sign of x₁")
}

// A validation set whose targets are half the training targets: the
// validation loss falls, then rises as the fit approaches the training
// targets. Early stopping returns the best weights, not the last.
func TestEarlyStoppingReturnsBestWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	net, err := models.DeepLinear(4, 1).Net()
	require.NoError(t, err)
	train := randData(rng, 4, 1, 50)
	wt := []float64{1, -2, 0.5, 3}
	for c := 0; c < train.N; c++ {
		var y float64
		for i, w := range wt {
			y += w * train.X[i*train.N+c]
		}
		train.Y[c] = y
	}
	val := solvers.Data{X: train.X, Y: make([]float64, train.N), N: train.N}
	for c := range val.Y {
		val.Y[c] = 0.5 * train.Y[c]
	}
	w0 := graph.Weights{make([]float64, 4)}
	method := solvers.GD(20)
	for _, c := range []struct {
		name     string
		every    int
		patience int
	}{{"every record", 1, 3}, {"every record, patience 1", 1, 1}, {"every 2nd record", 2, 2}} {
		t.Run(c.name, func(t *testing.T) {
			free, err := solvers.Minimize(context.Background(), net, train, w0, method, solvers.Settings{MaxIter: 200, FullEvalEvery: c.every, Validation: &val})
			require.NoError(t, err)
			// The rule replayed on the free run: stop at the first validated
			// record that is the Patience-th without improvement.
			best, since, stop := math.Inf(1), 0, -1
			bestAt := -1
			for i, r := range free.History {
				if !r.Full {
					continue
				}
				if r.ValLoss < best {
					best, since, bestAt = r.ValLoss, 0, i
				} else {
					since++
				}
				if since >= c.patience {
					stop = i
					break
				}
			}
			require.Greater(t, bestAt, 0, "the validation loss first falls")
			require.Greater(t, stop, bestAt, "then rises")
			t.Logf("best at record %d, stop at record %d", bestAt, stop)

			res, err := solvers.Minimize(context.Background(), net, train, w0, method, solvers.Settings{MaxIter: 200, FullEvalEvery: c.every, Validation: &val, Patience: c.patience})
			require.NoError(t, err)
			assert.Equal(t, solvers.EarlyStopped, res.Status, res.Reason)
			require.Len(t, res.History, stop+1)
			require.NotNil(t, res.Best)
			assert.Equal(t, free.History[bestAt].K, res.Best.K)
			assert.Equal(t, best, res.Best.ValLoss)
			assert.Equal(t, best, res.ValLoss, "the Result is evaluated at the best weights")
			assert.Equal(t, res.Best.Weights, res.Weights)
			// The best weights are those after iteration Best.K.
			upTo, err := solvers.Minimize(context.Background(), net, train, w0, method, solvers.Settings{MaxIter: res.Best.K})
			require.NoError(t, err)
			assert.Equal(t, upTo.Weights, res.Weights)
			assert.Greater(t, res.History[len(res.History)-1].ValLoss, best)
		})
	}
}

// Evaluation counts for methods whose work per iteration is known exactly.
func TestStatsCounts(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(23, 23)))
	dl, err := models.DeepLinear(3, 2, 2).Net()
	require.NoError(t, err)
	dd := randData(rand.New(rand.NewPCG(24, 24)), 3, 2, 30)
	gs := solvers.GD(1)
	gs.Blocks = solvers.GaussSouthwell
	jac := solvers.GD(1)
	jac.Blocks = solvers.Jacobi
	cg := solvers.BSUM{Surrogate: &surrogate.SecondOrder{Gamma: 1, Curvature: surrogate.Hessian, Solver: surrogate.Cholesky}, Step: solvers.Unit{}, Lemma2: true}
	cases := []struct {
		name  string
		net   *graph.Net
		data  solvers.Data
		m     solvers.BSUM
		s     solvers.Settings
		stats solvers.Stats
	}{
		{"GD", net, data, solvers.GD(1), solvers.Settings{MaxIter: 7},
			solvers.Stats{Objective: 7, Gradient: 7, FullEvaluations: 8}},
		{"GD full eval every 3", net, data, solvers.GD(1), solvers.Settings{MaxIter: 7, FullEvalEvery: 3},
			solvers.Stats{Objective: 7, Gradient: 7, FullEvaluations: 4}}, // 3, 6, 7, Result
		{"GD with validation", net, data, solvers.GD(1), solvers.Settings{MaxIter: 5, Validation: &data},
			solvers.Stats{Objective: 5, Gradient: 5, FullEvaluations: 6, Validation: 6}},
		{"Gauss-Southwell", net, data, gs, solvers.Settings{MaxIter: 5},
			solvers.Stats{Objective: 5, Gradient: 5 * (4 + 1), FullEvaluations: 6}},
		{"Jacobi", net, data, jac, solvers.Settings{MaxIter: 3},
			solvers.Stats{Objective: 3 * 4, Gradient: 3 * 4, FullEvaluations: 4}},
		// Deep linear, l2: every block problem is quadratic and the
		// Gauss-Newton bound exact, so LM accepts every first trial: one
		// objective at W^(k), one at the trial, one matrix.
		{"LM on quadratic blocks", dl, dd, solvers.LM(), solvers.Settings{MaxIter: 4},
			solvers.Stats{Objective: 4 * 2, Gradient: 4, GaussNewtonMatrix: 4, FullEvaluations: 5}},
		{"second order, Hessian by Cholesky", dl, dd, cg, solvers.Settings{MaxIter: 4},
			solvers.Stats{Objective: 4, Gradient: 4, Hessian: 4, FullEvaluations: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var start graph.Weights
			if c.net == net {
				start = w0
			}
			res, err := solvers.Minimize(context.Background(), c.net, c.data, start, c.m, c.s)
			require.NoError(t, err)
			assert.Equal(t, c.stats, res.Stats)
		})
	}
	// Armijo: one objective per trial step plus one at W^(k) per update.
	var trials int
	step := countingStep{inner: solvers.Armijo{}, n: &trials}
	res, err := solvers.Minimize(context.Background(), net, data, w0, solvers.BP(step), solvers.Settings{MaxIter: 6})
	require.NoError(t, err)
	assert.Equal(t, 6+trials, res.Stats.Objective)
	assert.Greater(t, trials, 0)
	// CG: one product per conjugate-gradient iteration at least.
	mcg := solvers.BSUM{Surrogate: &surrogate.SecondOrder{Gamma: 1, Curvature: surrogate.GaussNewton, Solver: surrogate.CG}, Step: solvers.Unit{}, Lemma2: true}
	res, err = solvers.Minimize(context.Background(), net, data, w0, mcg, solvers.Settings{MaxIter: 4})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Stats.GaussNewton, 4)
	assert.Zero(t, res.Stats.GaussNewtonMatrix+res.Stats.Hessian+res.Stats.HVP)
}

// countingStep counts the Eval calls of a step rule.
type countingStep struct {
	inner solvers.StepRule
	n     *int
}

func (c countingStep) Name() string      { return c.inner.Name() }
func (c countingStep) Condition8() error { return c.inner.Condition8() }
func (c countingStep) Alpha(s solvers.StepContext) (float64, error) {
	eval := s.Eval
	s.Eval = func(a float64) (float64, error) { *c.n++; return eval(a) }
	return c.inner.Alpha(s)
}

// An observer sees each record with the weights after it and stops the
// run with its reason.
func TestObserverSeesWeightsAndStops(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(25, 25)))
	var seen []graph.Weights
	obs := solvers.ObserverFunc(func(r solvers.Record, w graph.Weights) error {
		seen = append(seen, w.Clone())
		if r.K == 4 {
			return errors.New("seen enough")
		}
		return nil
	})
	res, err := solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 50, Observers: []solvers.Observer{obs}})
	require.NoError(t, err)
	assert.Equal(t, solvers.ObserverStop, res.Status)
	assert.Equal(t, "seen enough", res.Reason)
	require.Len(t, res.History, 4)
	require.Len(t, seen, 4)
	assert.Equal(t, seen[3], res.Weights)
	for k := 1; k <= 3; k++ {
		r, err := solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: k})
		require.NoError(t, err)
		assert.Equal(t, r.Weights, seen[k-1], "weights after iteration %d", k)
	}
	// A Starter that fails stops the run before its first iteration.
	res, err = solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 50, Observers: []solvers.Observer{&solvers.Printer{W: failWriter{}}}})
	require.NoError(t, err)
	assert.Equal(t, solvers.ObserverStop, res.Status)
	assert.Empty(t, res.History)
	assert.Contains(t, res.Reason, "disk full")
	assert.Equal(t, w0, res.Weights)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Resuming at StartIter continues the numbering, and for a method without
// state besides the weights the two histories concatenate to the one run.
func TestResumeConcatenatesHistories(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(26, 26)))
	for _, m := range []func() solvers.BSUM{
		func() solvers.BSUM { return solvers.GD(1) },
		func() solvers.BSUM { return solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99}) },
		func() solvers.BSUM { return solvers.BP(solvers.Harmonic{C: 1}) },
	} {
		t.Run(m().String(), func(t *testing.T) {
			one, err := solvers.Minimize(context.Background(), net, data, w0, m(), solvers.Settings{MaxIter: 20})
			require.NoError(t, err)
			a, err := solvers.Minimize(context.Background(), net, data, w0, m(), solvers.Settings{MaxIter: 7})
			require.NoError(t, err)
			b, err := solvers.Minimize(context.Background(), net, data, a.Weights, m(), solvers.Settings{StartIter: 8, MaxIter: 20})
			require.NoError(t, err)
			both := append(append([]solvers.Record(nil), a.History...), b.History...)
			require.Len(t, both, 20)
			for i, r := range both {
				assert.Equal(t, i+1, r.K)
				assert.Equal(t, one.History[i].Blocks, r.Blocks)
				assert.Equal(t, one.History[i].F, r.F, "K=%d", r.K)
				assert.Equal(t, one.History[i].Alpha, r.Alpha, "K=%d", r.K)
			}
			assert.Equal(t, one.Weights, b.Weights)
		})
	}
}

func TestPrinter(t *testing.T) {
	net, data := bodyFat(t)
	var buf bytes.Buffer
	tr, va, err := data.Split(13, 0.2, 3)
	require.NoError(t, err)
	p := &solvers.Printer{W: &buf, Every: 3}
	res, err := solvers.Minimize(context.Background(), net, tr, nil, solvers.LM(), solvers.Settings{MaxIter: 8, Validation: &va, Observers: []solvers.Observer{p}})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2+4+1, buf.String()) // title, heading, records 1, 4, 7, 8, stop line
	assert.Contains(t, lines[0], "LM, 4 blocks, iterations 1..8")
	assert.Contains(t, lines[1], "val nMSE")
	for i, k := range []int{1, 4, 7, 8} {
		fields := strings.Fields(lines[2+i])
		require.Len(t, fields, 6, lines[2+i])
		assert.Equal(t, fmt.Sprint(k), fields[0])
		r := res.History[k-1]
		assert.Equal(t, fmt.Sprintf("%.6e", r.F), fields[1])
		assert.Equal(t, fmt.Sprintf("%.5g", r.ValMetric), fields[2])
		assert.Equal(t, fmt.Sprintf("%.3e", r.MaxGamma), fields[5])
	}
	assert.Equal(t, "stopped: iteration limit: "+res.Reason, lines[len(lines)-1])

	// Batch values are marked, a missing validation metric is "-", and
	// the heading repeats.
	buf.Reset()
	p = &solvers.Printer{W: &buf, HeadingEvery: 2}
	_, err = solvers.Minimize(context.Background(), net, data, nil, solvers.GD(1), solvers.Settings{MaxIter: 4, FullEvalEvery: 2, Observers: []solvers.Observer{p}})
	require.NoError(t, err)
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1+1+4+1+1, buf.String()) // title, heading, 4 records, heading after two, stop line
	assert.True(t, strings.HasSuffix(strings.Fields(lines[2])[1], "*"), lines[2])
	assert.False(t, strings.HasSuffix(strings.Fields(lines[3])[1], "*"), lines[3])
	assert.Equal(t, "-", strings.Fields(lines[2])[2])
	assert.Equal(t, lines[1], lines[4])
}

func TestMetrics(t *testing.T) {
	cases := []struct {
		name       string
		m          solvers.Metric
		h, y       []float64
		rows, n    int
		want       float64
		wantIsNaN  bool
		wantString string
	}{
		// y = (1, 2, 3), mean 2, variance sum 2; squared error 0.25+0+1.
		{"nMSE", solvers.NormMSE{}, []float64{1.5, 2, 2}, []float64{1, 2, 3}, 1, 3, 1.25 / 2, false, "nMSE"},
		// Per-row means: row 0 (0, 2) var 2, row 1 (5, 5) var 0.
		{"nMSE two rows", solvers.NormMSE{}, []float64{0, 2, 4, 5}, []float64{0, 2, 5, 5}, 2, 2, 1.0 / 2, false, "nMSE"},
		{"nMSE constant target", solvers.NormMSE{}, []float64{0, 1}, []float64{1, 1}, 1, 2, 0, true, "nMSE"},
		{"accuracy probabilities", solvers.Accuracy{Threshold: 0.5, Label: 0.5}, []float64{0.9, 0.4, 0.6, 0.1}, []float64{1, 0, 0, 1}, 1, 4, 0.5, false, "accuracy"},
		{"accuracy ±1", solvers.Accuracy{}, []float64{0.2, -3, 0.1}, []float64{1, -1, -1}, 1, 3, 2.0 / 3, false, "accuracy"},
		// Column-wise argmax of 3 classes × 2 samples.
		{"accuracy argmax", solvers.Accuracy{}, []float64{0.1, 5, 2, 1, 0.3, 0}, []float64{0, 1, 1, 0, 0, 0}, 3, 2, 1, false, "accuracy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.m.Score(c.h, c.y, c.rows, c.n)
			if c.wantIsNaN {
				assert.True(t, math.IsNaN(got))
			} else {
				assert.InDelta(t, c.want, got, 1e-15)
			}
			assert.Equal(t, c.wantString, c.m.Name())
		})
	}
	for _, c := range []struct {
		loss string
		want solvers.Metric
	}{
		{"l2", solvers.NormMSE{}}, {"exponential", solvers.NormMSE{}},
		{"cross-entropy", solvers.Accuracy{Threshold: 0.5, Label: 0.5}},
		{"cross-entropy-with-logits", solvers.Accuracy{Threshold: 0, Label: 0.5}},
		{"softmax-cross-entropy", solvers.Accuracy{Threshold: 0, Label: 0.5}},
		{"squared-hinge", solvers.Accuracy{}}, {"logistic", solvers.Accuracy{}},
	} {
		spec := models.MLP("tanh", 2, 1)
		spec.Loss = c.loss
		n, err := spec.Net()
		require.NoError(t, err, c.loss)
		assert.Equal(t, c.want, solvers.MetricFor(n.Loss()), c.loss)
	}
}

func TestSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 27))
	d := randData(rng, 3, 2, 41)
	tr, va, err := d.Split(3, 0.25, 9)
	require.NoError(t, err)
	assert.Equal(t, 10, va.N) // round(0.25·41)
	assert.Equal(t, 31, tr.N)
	cols := func(s solvers.Data) []string {
		var out []string
		for c := 0; c < s.N; c++ {
			out = append(out, fmt.Sprint(s.X[c], s.X[s.N+c], s.X[2*s.N+c], s.Y[c], s.Y[s.N+c]))
		}
		return out
	}
	all := append(cols(tr), cols(va)...)
	want := cols(d)
	sort.Strings(all)
	sort.Strings(want)
	assert.Equal(t, want, all, "a partition of the columns, each column intact")
	tr2, va2, err := d.Split(3, 0.25, 9)
	require.NoError(t, err)
	assert.Equal(t, va, va2, "same seed, same split")
	assert.Equal(t, tr, tr2)
	_, va3, err := d.Split(3, 0.25, 10)
	require.NoError(t, err)
	assert.NotEqual(t, va.X, va3.X, "another seed, another split")
	_, va4, err := d.Split(3, 1e-9, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, va4.N, "at least one validation sample")
	for _, f := range []float64{0, 1, -0.1, math.NaN()} {
		_, _, err = d.Split(3, f, 1)
		assert.ErrorIs(t, err, solvers.ErrSettings, "frac %v", f)
	}
	_, _, err = d.Split(4, 0.5, 1)
	assert.ErrorIs(t, err, graph.ErrShape)
}

func TestControlSettingsErrors(t *testing.T) {
	net, data := bodyFat(t)
	bad := solvers.Data{X: data.X[:13], Y: data.Y[:2], N: 1}
	for _, c := range []struct {
		name string
		s    solvers.Settings
		want error
	}{
		{"patience without validation", solvers.Settings{Patience: 3}, solvers.ErrSettings},
		{"negative patience", solvers.Settings{Patience: -1, Validation: &data}, solvers.ErrSettings},
		{"validation without full evaluation", solvers.Settings{Validation: &data, FullEvalEvery: -1}, solvers.ErrSettings},
		{"validation shape", solvers.Settings{Validation: &bad}, graph.ErrShape},
		{"nil converger", solvers.Settings{Convergers: []solvers.Converger{nil}}, solvers.ErrSettings},
		{"nil observer", solvers.Settings{Observers: []solvers.Observer{nil}}, solvers.ErrSettings},
		{"negative gradient tolerance", solvers.Settings{GradTol: -1}, solvers.ErrSettings},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := solvers.Minimize(context.Background(), net, data, nil, solvers.GD(1), c.s)
			assert.ErrorIs(t, err, c.want)
			assert.Nil(t, res)
		})
	}
}

// Stateless convergers and the bookkeeping add no allocation per
// iteration to a run.
func TestControlAddsNoAllocationsPerIteration(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(28, 28)))
	perIter := func(s solvers.Settings) float64 {
		at := func(n int) float64 {
			s.MaxIter = n
			return testing.AllocsPerRun(2, func() {
				_, err := solvers.Minimize(context.Background(), net, data, w0, solvers.BPCLR(0.1), s)
				require.NoError(t, err)
			})
		}
		return (at(300) - at(100)) / 200
	}
	base := perIter(solvers.Settings{FullEvalEvery: -1})
	ctl := perIter(solvers.Settings{FullEvalEvery: -1, GradTol: 1e-300, Convergers: []solvers.Converger{
		solvers.Goal{F: -1}, solvers.RelativeChange{Tol: 0}, solvers.Stationarity{Tol: 1e-300}, solvers.DampingCeiling{Max: math.Inf(1)},
	}})
	t.Logf("allocations per iteration: %.2f without, %.2f with convergers", base, ctl)
	assert.InDelta(t, base, ctl, 0.05, "allocations per iteration: %.2f without, %.2f with convergers", base, ctl)
}

// One Settings value (stateless convergers, a shared validation set) serves
// concurrent runs; each run owns its validation program and counters. Each
// goroutine has its own net: sharing one net's cached programs between
// runs is a separate matter.
func TestSettingsShareAcrossConcurrentRuns(t *testing.T) {
	_, data := bodyFat(t)
	tr, va, err := data.Split(13, 0.2, 2)
	require.NoError(t, err)
	s := solvers.Settings{MaxIter: 30, Validation: &va, Patience: 5, Convergers: []solvers.Converger{solvers.Goal{F: 1e-9}, solvers.RelativeChange{Tol: 1e-12}}}
	m := jacobiLM()
	results := make([]*solvers.Result, 3)
	errs := make([]error, 3)
	done := make(chan int)
	for i := range results {
		go func(i int) {
			defer func() { done <- i }()
			net, err := models.BodyFat().Net()
			if err != nil {
				errs[i] = err
				return
			}
			w0 := net.Init(rand.New(rand.NewPCG(29, 29)))
			results[i], errs[i] = solvers.Minimize(context.Background(), net, tr, w0, m(), s)
		}(i)
	}
	for range results {
		<-done
	}
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, results[0].History[len(results[0].History)-1].ValLoss, results[i].History[len(results[i].History)-1].ValLoss)
		assert.Equal(t, results[0].Stats, results[i].Stats)
		assert.Equal(t, results[0].Weights, results[i].Weights)
	}
}

func jacobiLM() func() solvers.BSUM {
	return func() solvers.BSUM {
		m := solvers.LM()
		m.Blocks = solvers.Jacobi
		return m
	}
}

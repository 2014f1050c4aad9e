package solvers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// sameRun reports whether two results are bitwise the same run: weights,
// status, final values and every history record except the wall times.
func sameRun(t *testing.T, want, got *solvers.Result, name string) {
	t.Helper()
	require.Equal(t, want.Status, got.Status, name)
	require.Len(t, got.History, len(want.History), name)
	assert.Equal(t, want.Weights, got.Weights, "%s: weights", name)
	assert.Equal(t, want.F, got.F, "%s: f", name)
	assert.Equal(t, want.NormMSE, got.NormMSE, "%s: nMSE", name)
	for i := range want.History {
		a, b := want.History[i], got.History[i]
		a.Elapsed, b.Elapsed = 0, 0
		// %#v prints every float in its shortest round-trip form (and NaN
		// as NaN, which == would not match), so equal strings mean
		// bitwise-equal records.
		if !assert.Equal(t, fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b), "%s: record %d", name, i) {
			return
		}
	}
}

// concurrentMethods is a mix of surrogates, step rules and batch rules,
// several of them with per-run state (LM damping, AdaGrad accumulators, the
// recursive rule's cache).
func concurrentMethods() []solvers.BSUM {
	sgd := solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99})
	sgd.Batches = solvers.FixedBatch(64)
	grow := solvers.GD(1)
	grow.Batches = solvers.GrowingBatch()
	jac := solvers.GD(2)
	jac.Blocks = solvers.Jacobi
	lmv := solvers.BSUM{Name: "LM by value", Surrogate: surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Adaptive: &surrogate.Damping{}}, Step: solvers.Unit{}, Lemma2: true}
	return []solvers.BSUM{
		solvers.LM(),
		solvers.BP(solvers.Harmonic{C: 1}),
		solvers.GD(1),
		solvers.AdaGrad(0.05),
		solvers.ProxL1(1e-4, 1),
		solvers.BP(solvers.Armijo{}),
		sgd,
		grow,
		jac,
		lmv,
	}
}

// Concurrent runs on one Net, one Data and shared method values equal lone
// runs bit for bit (issue 8 §2; run under -race in CI).
func TestConcurrentRunsEqualLoneRuns(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(3, 4)))
	methods := concurrentMethods()
	iters := 12
	if testing.Short() {
		iters = 6
	}
	s := solvers.Settings{MaxIter: iters, Seed: 5}
	lone := make([]*solvers.Result, len(methods))
	for i, m := range methods {
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err, m.String())
		lone[i] = res
	}
	// Every method twice at once, sharing the method value, the Net, the
	// Data and the starting weights.
	got := make([]*solvers.Result, 2*len(methods))
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], errs[i] = solvers.Minimize(context.Background(), net, data, w0, methods[i%len(methods)], s)
		}(i)
	}
	wg.Wait()
	for i := range got {
		m := methods[i%len(methods)]
		require.NoError(t, errs[i], m.String())
		sameRun(t, lone[i%len(methods)], got[i], m.String())
	}
	// A run leaves its method value untouched: a third lone run still agrees.
	for i, m := range methods {
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, s)
		require.NoError(t, err)
		sameRun(t, lone[i], res, m.String()+" again")
	}
}

// Objective and Net.Init are safe beside runs on the same Net.
func TestObjectiveConcurrentWithRuns(t *testing.T) {
	net, data := bodyFat(t)
	w0 := net.Init(rand.New(rand.NewPCG(1, 2)))
	want, err := solvers.Objective(net, data, w0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	fs := make([]float64, 4)
	errs := make([]error, 4)
	for i := range fs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = solvers.Minimize(context.Background(), net, data, w0, solvers.GD(1), solvers.Settings{MaxIter: 3})
				return
			}
			fs[i], errs[i] = solvers.Objective(net, data, w0)
		}(i)
	}
	wg.Wait()
	for i := range fs {
		require.NoError(t, errs[i])
		if i%2 == 1 {
			assert.Equal(t, want, fs[i])
		}
	}
}

// One models.Spec builds Nets in several goroutines at once (each compiles
// its own Gorgonia graphs), and runs on them equal a lone run.
func TestSpecNetsConcurrent(t *testing.T) {
	_, data := bodyFat(t)
	spec := models.BodyFat()
	run := func() (*solvers.Result, error) {
		net, err := spec.Net()
		if err != nil {
			return nil, err
		}
		return solvers.Minimize(context.Background(), net, data, nil, solvers.LM(), solvers.Settings{MaxIter: 4, Seed: 2})
	}
	want, err := run()
	require.NoError(t, err)
	got := make([]*solvers.Result, 4)
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], errs[i] = run()
		}(i)
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		sameRun(t, want, got[i], "spec run")
	}
}

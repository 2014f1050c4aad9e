package graph_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// shardProblem is a network with data and weights for the sharding tests.
type shardProblem struct {
	name string
	net  *graph.Net
	x, y []float64
	n    int
	w    graph.Weights
}

func bodyFatProblem(t *testing.T, tikhonov float64) shardProblem {
	t.Helper()
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	spec := models.BodyFat()
	spec.Tikhonov = tikhonov
	net, err := spec.Net()
	require.NoError(t, err)
	return shardProblem{name: "bodyfat", net: net, x: set.X, y: set.Y, n: set.N, w: net.Init(rand.New(rand.NewPCG(1, 2)))}
}

// softmaxProblem is a 6-9-4 tanh net with biases, softmax cross-entropy
// and Tikhonov, on random inputs and one-hot labels.
func softmaxProblem(t *testing.T, n int) shardProblem {
	t.Helper()
	spec := models.MLP("tanh", 6, 9, 4)
	spec.Output, spec.Loss, spec.Bias, spec.Tikhonov = "identity", losses.NameSoftmaxCrossEntropy, true, 0.01
	net, err := spec.Net()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 6*n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, 4*n)
	for c := 0; c < n; c++ {
		y[rng.IntN(4)*n+c] = 1
	}
	return shardProblem{name: "softmax", net: net, x: x, y: y, n: n, w: net.Init(rng)}
}

// quantities evaluates everything an Evaluator offers, in a fixed order.
func quantities(t *testing.T, e graph.Evaluator, w graph.Weights) map[string][]float64 {
	t.Helper()
	net := e.Net()
	require.NoError(t, e.SetBatch(mustValues(e.BatchValues())))
	require.NoError(t, e.SetWeights(w))
	q := map[string][]float64{}
	f, err := e.Objective()
	require.NoError(t, err)
	l, err := e.DataLoss()
	require.NoError(t, err)
	q["objective"], q["dataloss"] = []float64{f}, []float64{l}
	out := make([]float64, net.Out()*e.Batch())
	require.NoError(t, e.Output(out))
	q["output"] = out
	rng := rand.New(rand.NewPCG(5, 6))
	for j, blk := range net.Blocks() {
		p := blk.Size()
		g := make([]float64, p)
		require.NoError(t, e.Grad(j, g))
		v := make([]float64, p)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		hv, gv := make([]float64, p), make([]float64, p)
		require.NoError(t, e.HVP(j, v, hv))
		require.NoError(t, e.GaussNewton(j, v, gv))
		h, gn := make([]float64, p*p), make([]float64, p*p)
		require.NoError(t, e.Hessian(j, h))
		require.NoError(t, e.GaussNewtonMatrix(j, gn))
		q[blk.Name+" grad"], q[blk.Name+" hvp"], q[blk.Name+" gn"] = g, hv, gv
		q[blk.Name+" hessian"], q[blk.Name+" gnmatrix"] = h, gn
	}
	return q
}

// mustValues passes BatchValues through (the batch was bound before).
func mustValues(x, y []float64, err error) ([]float64, []float64) {
	if err != nil {
		panic(err)
	}
	return append([]float64(nil), x...), append([]float64(nil), y...)
}

func bound(t *testing.T, e graph.Evaluator, pr shardProblem) graph.Evaluator {
	t.Helper()
	require.NoError(t, e.SetBatch(pr.x, pr.y))
	require.NoError(t, e.SetWeights(pr.w))
	return e
}

// shardErr is ‖a − b‖∞ / max(‖a‖∞, tiny).
func shardErr(a, b []float64) float64 {
	var d, m float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		m = math.Max(m, math.Abs(a[i]))
	}
	return d / math.Max(m, 1e-300)
}

// Every quantity of a Sharded evaluator equals the one-Program value to
// rounding, for several shard counts, on BodyFat (with and without
// Tikhonov) and a softmax net.
func TestShardedMatchesOneProgram(t *testing.T) {
	problems := []shardProblem{bodyFatProblem(t, 0), bodyFatProblem(t, 1e-3), softmaxProblem(t, 37)}
	for _, pr := range problems {
		prog, err := pr.net.NewProgram(pr.n)
		require.NoError(t, err)
		want := quantities(t, bound(t, prog, pr), pr.w)
		for _, shards := range []int{1, 2, 3, 7} {
			sh, err := pr.net.NewSharded(pr.n, graph.ShardConfig{Shards: shards})
			require.NoError(t, err)
			assert.Equal(t, shards, sh.Shards())
			got := quantities(t, bound(t, sh, pr), pr.w)
			require.Len(t, got, len(want))
			for k, v := range want {
				assert.LessOrEqual(t, shardErr(v, got[k]), 1e-12, "%s, %d shards, %s", pr.name, shards, k)
			}
			assert.Equal(t, want["output"], got["output"], "%s, %d shards: the output is the shards' columns side by side", pr.name, shards)
		}
	}
}

// A Sharded evaluator's results are bitwise identical from one evaluator
// to another and from one evaluation to the next, also when several run
// at once on one Net.
func TestShardConcurrentBitwiseRepeatable(t *testing.T) {
	pr := softmaxProblem(t, 53)
	ref, err := pr.net.NewSharded(pr.n, graph.ShardConfig{Shards: 4})
	require.NoError(t, err)
	want := quantities(t, bound(t, ref, pr), pr.w)
	again := quantities(t, ref, pr.w)
	got := make([]map[string][]float64, 3)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sh, err := pr.net.NewSharded(pr.n, graph.ShardConfig{Shards: 4})
			if !assert.NoError(t, err) {
				return
			}
			got[i] = quantities(t, bound(t, sh, pr), pr.w)
		}(i)
	}
	wg.Wait()
	for _, g := range append(got, again) {
		require.Len(t, g, len(want))
		for k, v := range want {
			require.Len(t, g[k], len(v))
			for i := range v {
				require.Equal(t, math.Float64bits(v[i]), math.Float64bits(g[k][i]), "%s[%d]", k, i)
			}
		}
	}
}

// pairReducer is a two-participant Reducer for in-process tests: each
// participant sends its x to the other and both add rank 0's first.
type pairReducer struct {
	rank int
	ch   [2]chan []float64
}

func newPair() (*pairReducer, *pairReducer) {
	ch := [2]chan []float64{make(chan []float64, 1), make(chan []float64, 1)}
	return &pairReducer{rank: 0, ch: ch}, &pairReducer{rank: 1, ch: ch}
}

func (p *pairReducer) Rank() int { return p.rank }
func (p *pairReducer) Size() int { return 2 }
func (p *pairReducer) Sum(x []float64) error {
	p.ch[1-p.rank] <- append([]float64(nil), x...)
	o := <-p.ch[p.rank]
	for i := range x {
		if p.rank == 0 {
			x[i] += o[i]
		} else {
			x[i] = o[i] + x[i]
		}
	}
	return nil
}
func (p *pairReducer) Broadcast(x []float64, root int) error { return nil }

// Two participants that each hold only their ShardRange of the columns and
// know the global count reduce to the one-process result, and agree bit
// for bit.
func TestShardReducerAcrossParticipants(t *testing.T) {
	pr := softmaxProblem(t, 41)
	prog, err := pr.net.NewProgram(pr.n)
	require.NoError(t, err)
	want := quantities(t, bound(t, prog, pr), pr.w)
	red := [2]graph.Reducer{}
	red[0], red[1] = newPair()
	got := make([]map[string][]float64, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		lo, hi := graph.ShardRange(pr.n, r, 2)
		n := hi - lo
		local := pr
		local.n = n
		local.x, local.y = columns(pr.x, pr.n, lo, hi), columns(pr.y, pr.n, lo, hi)
		sh, err := pr.net.NewSharded(n, graph.ShardConfig{Shards: 2, Total: pr.n, Reducer: red[r]})
		require.NoError(t, err)
		assert.Equal(t, pr.n, sh.Total())
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			got[r] = quantities(t, bound(t, sh, local), pr.w)
		}(r)
	}
	wg.Wait()
	for k, v := range want {
		if k == "output" {
			continue // each participant has its own columns
		}
		assert.LessOrEqual(t, shardErr(v, got[0][k]), 1e-12, k)
		assert.Equal(t, got[0][k], got[1][k], "%s: both participants hold the same bits", k)
	}
}

// A participant that holds none of the columns (a mini-batch drawn
// elsewhere) adds zeros and joins every reduction: the other one, holding
// all columns, and it both get the one-process values.
func TestShardParticipantWithoutColumns(t *testing.T) {
	pr := softmaxProblem(t, 23)
	prog, err := pr.net.NewProgram(pr.n)
	require.NoError(t, err)
	want := quantities(t, bound(t, prog, pr), pr.w)
	red := [2]graph.Reducer{}
	red[0], red[1] = newPair()
	got := make([]map[string][]float64, 2)
	var wg sync.WaitGroup
	for r, n := range []int{pr.n, 0} {
		local := pr
		local.n = n
		local.x, local.y = columns(pr.x, pr.n, 0, n), columns(pr.y, pr.n, 0, n)
		sh, err := pr.net.NewSharded(n, graph.ShardConfig{Shards: 2, Total: pr.n, Reducer: red[r]})
		require.NoError(t, err)
		assert.Equal(t, min(n, 2), sh.Shards())
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			got[r] = quantities(t, bound(t, sh, local), pr.w)
		}(r)
	}
	wg.Wait()
	for k, v := range want {
		if k == "output" {
			assert.Empty(t, got[1][k], "no local columns, no output")
			continue
		}
		assert.LessOrEqual(t, shardErr(v, got[0][k]), 1e-12, k)
		assert.Equal(t, got[0][k], got[1][k], "%s: both participants hold the same bits", k)
	}
	_, err = pr.net.NewSharded(0, graph.ShardConfig{Shards: 1, Total: pr.n})
	assert.ErrorIs(t, err, graph.ErrArgument, "no columns needs several participants")
}

// columns returns columns [lo, hi) of the row-major matrix x with n
// columns.
func columns(x []float64, n, lo, hi int) []float64 {
	rows := len(x) / n
	out := make([]float64, 0, rows*(hi-lo))
	for r := 0; r < rows; r++ {
		out = append(out, x[r*n+lo:r*n+hi]...)
	}
	return out
}

// A loss that is not a mean of per-sample terms cannot be sharded: the
// constructor refuses it and the cache falls back to one Program.
func TestShardRefusesNonSeparableLoss(t *testing.T) {
	spec := models.MLP("logistic", 3, 2, 1)
	spec.Loss, spec.LossParams = losses.NameExponential, []float64{1}
	net, err := spec.Net()
	require.NoError(t, err)
	_, err = net.NewSharded(8, graph.ShardConfig{Shards: 2})
	require.ErrorIs(t, err, graph.ErrArgument)
	assert.False(t, net.Separable())
	c := net.NewProgramCache()
	defer c.Release()
	e, err := c.Evaluator(8, 2)
	require.NoError(t, err)
	assert.IsType(t, (*graph.Program)(nil), e)
	assert.Equal(t, 1, graph.AutoShards(net, 1<<20))
}

// Arguments are checked: shard counts, totals, buffer sizes, and values
// asked before a batch or weights are bound.
func TestShardArguments(t *testing.T) {
	pr := softmaxProblem(t, 10)
	for _, c := range []struct {
		batch int
		cfg   graph.ShardConfig
	}{
		{10, graph.ShardConfig{Shards: 0}},
		{10, graph.ShardConfig{Shards: 11}},
		{10, graph.ShardConfig{Shards: 2, Total: 9}},
		{10, graph.ShardConfig{Shards: 2, Total: 20}},
		{10, graph.ShardConfig{Shards: 2, Total: 20, Reducer: graph.Local{}}},
		{0, graph.ShardConfig{Shards: 1}},
	} {
		_, err := pr.net.NewSharded(c.batch, c.cfg)
		assert.ErrorIs(t, err, graph.ErrArgument, "%d columns, %+v", c.batch, c.cfg)
	}
	sh, err := pr.net.NewSharded(pr.n, graph.ShardConfig{Shards: 3})
	require.NoError(t, err)
	_, err = sh.Objective()
	assert.ErrorIs(t, err, graph.ErrArgument, "no batch bound")
	_, _, err = sh.BatchValues()
	assert.ErrorIs(t, err, graph.ErrArgument)
	assert.ErrorIs(t, sh.SetBatch(pr.x[1:], pr.y), graph.ErrShape)
	assert.ErrorIs(t, sh.SetBatch(pr.x, pr.y[1:]), graph.ErrShape)
	bad := append([]float64(nil), pr.x...)
	bad[len(bad)-1] = math.NaN()
	assert.ErrorIs(t, sh.SetBatch(bad, pr.y), graph.ErrNotFinite, "a shard's check is reported")
	require.NoError(t, sh.SetBatch(pr.x, pr.y))
	x, y, err := sh.BatchValues()
	require.NoError(t, err)
	assert.Equal(t, pr.x, x, "the batch is joined back from the shards")
	assert.Equal(t, pr.y, y)
	assert.ErrorIs(t, sh.Grad(0, make([]float64, 1)), graph.ErrArgument, "no weights bound")
	require.NoError(t, sh.SetWeights(pr.w))
	p := pr.net.Blocks()[0].Size()
	assert.ErrorIs(t, sh.Grad(0, make([]float64, p+1)), graph.ErrShape)
	assert.ErrorIs(t, sh.Grad(9, make([]float64, p)), graph.ErrArgument)
	assert.ErrorIs(t, sh.HVP(0, make([]float64, p-1), make([]float64, p)), graph.ErrShape)
	assert.ErrorIs(t, sh.Hessian(0, make([]float64, p)), graph.ErrShape)
	assert.ErrorIs(t, sh.Output(make([]float64, 3)), graph.ErrShape)
	assert.ErrorIs(t, sh.SetBlock(0, make([]float64, p+1)), graph.ErrShape)
}

// SetBlock moves one block on every shard; SetInput rebinds X for Output
// alone.
func TestShardSetBlockAndInput(t *testing.T) {
	pr := softmaxProblem(t, 19)
	prog, err := pr.net.NewProgram(pr.n)
	require.NoError(t, err)
	sh, err := pr.net.NewSharded(pr.n, graph.ShardConfig{Shards: 2})
	require.NoError(t, err)
	moved := pr.w.Clone()
	for i := range moved[1] {
		moved[1][i] += 0.1
	}
	for _, e := range []graph.Evaluator{prog, sh} {
		bound(t, e, pr)
		require.NoError(t, e.SetBlock(1, moved[1]))
	}
	f0, err := prog.Objective()
	require.NoError(t, err)
	f1, err := sh.Objective()
	require.NoError(t, err)
	assert.InDelta(t, f0, f1, 1e-12*math.Abs(f0))
	x2 := append([]float64(nil), pr.x...)
	for i := range x2 {
		x2[i] *= 0.5
	}
	o0, o1 := make([]float64, 4*pr.n), make([]float64, 4*pr.n)
	for i, e := range []graph.Evaluator{prog, sh} {
		require.NoError(t, e.SetInput(x2))
		require.NoError(t, e.Output([][]float64{o0, o1}[i]))
	}
	assert.Equal(t, o0, o1)
	_, err = sh.Objective()
	assert.ErrorIs(t, err, graph.ErrArgument, "SetInput unbinds the targets")
}

// The cache keeps one Sharded evaluator per batch and shard count, counts
// it as one entry, and hands its data-only programs back to the Net's pool
// on Release, where a later cache finds them.
func TestShardProgramCacheEvaluator(t *testing.T) {
	pr := softmaxProblem(t, 12)
	c := pr.net.NewProgramCache()
	e1, err := c.Evaluator(pr.n, 3)
	require.NoError(t, err)
	e2, err := c.Evaluator(pr.n, 3)
	require.NoError(t, err)
	assert.Same(t, e1, e2)
	p1, err := c.Evaluator(pr.n, 1)
	require.NoError(t, err)
	assert.IsType(t, (*graph.Program)(nil), p1)
	p2, err := c.Program(pr.n)
	require.NoError(t, err)
	assert.Same(t, p1, p2)
	assert.Equal(t, 2, c.Len())
	want := quantities(t, bound(t, e1, pr), pr.w)
	c.Release()
	_, err = c.Evaluator(pr.n, 3)
	assert.ErrorIs(t, err, graph.ErrArgument, "used after Release")
	c2 := pr.net.NewProgramCache()
	defer c2.Release()
	e3, err := c2.Evaluator(pr.n, 3)
	require.NoError(t, err)
	assert.Equal(t, want, quantities(t, bound(t, e3, pr), pr.w), "pooled programs give the same bits")
	p3, err := c2.Program(pr.n)
	require.NoError(t, err)
	f, err := bound(t, p3, pr).Objective()
	require.NoError(t, err)
	assert.InDelta(t, want["objective"][0], f, 1e-12, "a plain program is never a pooled data-only one")
	e4, err := c2.Evaluator(2, 5)
	require.NoError(t, err)
	assert.Equal(t, 2, e4.(*graph.Sharded).Shards(), "capped at one column per shard")
}

// AutoShards keeps small problems on one program and splits large ones.
func TestShardAuto(t *testing.T) {
	bf := bodyFatProblem(t, 0)
	assert.Equal(t, 1, graph.AutoShards(bf.net, bf.n), "BodyFat stays on one program")
	assert.Equal(t, 1, graph.AutoShards(bf.net, 1))
	big := graph.AutoShards(bf.net, graph.MinShardWork)
	assert.GreaterOrEqual(t, big, 1)
	assert.LessOrEqual(t, big, max(1, runtime.GOMAXPROCS(0)))
}

// The one-shard path of ProgramCache.Evaluator is the plain Program: a
// full gradient step through it allocates nothing.
func TestShardOneProgramPathAllocatesNothing(t *testing.T) {
	pr := bodyFatProblem(t, 1e-3)
	c := pr.net.NewProgramCache()
	defer c.Release()
	g := pr.net.NewWeights()
	w := pr.w.Clone()
	step := func() {
		e, err := c.Evaluator(pr.n, graph.AutoShards(pr.net, pr.n))
		require.NoError(t, err)
		require.NoError(t, e.SetBatch(pr.x, pr.y))
		require.NoError(t, e.SetWeights(w))
		_, err = e.Objective()
		require.NoError(t, err)
		for j := range g {
			require.NoError(t, e.Grad(j, g[j]))
			for k := range w[j] {
				w[j][k] -= 1e-3 * g[j][k]
			}
		}
	}
	step()
	assert.Zero(t, testing.AllocsPerRun(20, step))
}

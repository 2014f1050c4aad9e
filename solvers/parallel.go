package solvers

import (
	"fmt"
	"math"
	"slices"

	"github.com/bsum-go/bsum/graph"
)

// Partition places a run's Data (and Validation) inside a data set split in
// contiguous column ranges across the participants of a Reducer (the ranks
// of an MPI job, see internal/mpi), for data-parallel runs: each participant
// passes only its own columns to Minimize and the same Partition.Reducer,
// and the run behaves as one process on all the data. Every sum over
// samples (f, gradients, curvature products and explicit matrices, the full
// evaluation, the validation loss and metric) is reduced across
// participants, so all of them see the same bits and take the same
// decisions; batches are drawn as global column indices from the shared
// Settings.Seed (the same batches as a one-process run), and each
// participant evaluates the drawn columns inside its range. Wall-clock
// decisions (Settings.TimeBudget, a cancelled context) and stops by a
// Callback or an Observer are rank 0's, broadcast every iteration.
//
// Results equal the one-process run to rounding (sums are added in a
// different order) and are bitwise reproducible for a given participant
// count and Settings.Shards. Not supported in a partitioned run: Jacobi
// blocks and curvature mini-batches smaller than the batch (both return an
// error on every participant), and Metrics other than NormMSE and Accuracy.
// All participants must call Minimize with the same net, method, Settings
// (but their own Observers) and initial weights; an error that only one
// participant meets (a local failure, not a reduced value) leaves the others
// waiting in a reduction, so a launcher should abort the job on any error
// (mpi.Fatal).
//
// A Partition holds no run state; it is safe for concurrent use as far as
// its Reducer is (one run per Reducer at a time: its reductions must come in
// the same sequence on every participant).
type Partition struct {
	// Reducer adds sums across participants. A nil Reducer or one of Size
	// 1 makes the run an ordinary one-process run (Lo must be 0 and N the
	// local count, or 0).
	Reducer graph.Reducer
	// Lo is the global index of this participant's first training column;
	// Data holds global columns [Lo, Lo+Data.N).
	Lo int
	// N is the global number of training samples (Σ over participants of
	// Data.N).
	N int
	// ValLo and ValN place Settings.Validation the same way (ignored
	// without a validation set).
	ValLo, ValN int
}

// MaxPartitionPrograms bounds the evaluators a data-parallel run keeps (one
// per local batch size: a drawn mini-batch falls unevenly on the
// participants, so its local size varies from one iteration to the next;
// the sizes of a batch of B on P participants concentrate within a few
// √(B/P) of B/P, so a few dozen cover nearly all draws). Beyond it the least
// recently used is dropped and compiled again when needed.
const MaxPartitionPrograms = 128

// parallel is a run's data-parallel state.
type parallel struct {
	red         graph.Reducer
	lo, n       int
	valLo, valN int
	evals       map[[2]int]*graph.Sharded // by (local, total) columns
	used        [][2]int                  // least recently used first
	local       []int                     // this iteration's local columns of the batch
	batch       int                       // this iteration's batch size B over all participants
	flag        []float64                 // one value for Broadcast
	compiled    int                       // evaluators compiled (for tests)
}

// globalN is the number of training samples over all participants.
func (r *run) globalN() int {
	if r.par != nil {
		return r.par.n
	}
	return r.data.N
}

// initParallel validates s.Partition and sets up r.par.
func (r *run) initParallel() error {
	p := r.s.Partition
	if p == nil || p.Reducer == nil || p.Reducer.Size() <= 1 {
		if p != nil && (p.Lo != 0 || (p.N != 0 && p.N != r.data.N)) {
			return fmt.Errorf("solvers: Partition of columns [%d, %d) of %d without a Reducer of several participants: %w", p.Lo, p.Lo+r.data.N, p.N, ErrSettings)
		}
		return nil
	}
	if p.Lo < 0 || p.Lo+r.data.N > p.N {
		return fmt.Errorf("solvers: Partition columns [%d, %d) outside the %d samples: %w", p.Lo, p.Lo+r.data.N, p.N, ErrSettings)
	}
	if r.m.Blocks == Jacobi {
		return fmt.Errorf("solvers: Jacobi blocks run their blocks concurrently and cannot share a Reducer's sequence of sums in a data-parallel run: %w", ErrMethod)
	}
	r.par = &parallel{red: p.Reducer, lo: p.Lo, n: p.N, valLo: p.ValLo, valN: p.ValN, evals: map[[2]int]*graph.Sharded{}, flag: make([]float64, 1)}
	// Every participant must hold its part: the local counts add up to N.
	cnt := []float64{float64(r.data.N)}
	if err := r.par.red.Sum(cnt); err != nil {
		return fmt.Errorf("solvers: Partition: reducing the sample counts: %w", err)
	}
	if int(cnt[0]) != p.N {
		return fmt.Errorf("solvers: Partition: the participants hold %d samples in all, N is %d: %w", int(cnt[0]), p.N, ErrSettings)
	}
	return nil
}

// parEvaluator returns the run's evaluator for local of total columns.
func (r *run) parEvaluator(local, total int) (graph.Evaluator, error) {
	par := r.par
	k := [2]int{local, total}
	if e, ok := par.evals[k]; ok {
		par.used = touchKey(par.used, k)
		return e, nil
	}
	shards := r.s.Shards
	if shards == 0 {
		shards = graph.AutoShards(r.net, local)
	}
	shards = max(1, min(shards, local))
	e, err := r.net.NewSharded(local, graph.ShardConfig{Shards: shards, Total: total, Reducer: par.red})
	if err != nil {
		return nil, err
	}
	par.compiled++
	par.evals[k] = e
	par.used = touchKey(par.used, k)
	for len(par.used) > MaxPartitionPrograms {
		delete(par.evals, par.used[0])
		par.used = par.used[1:]
	}
	return e, nil
}

func touchKey(used [][2]int, k [2]int) [][2]int {
	if i := slices.Index(used, k); i >= 0 {
		used = slices.Delete(used, i, i+1)
	}
	return append(used, k)
}

// sum reduces x across participants (a no-op in a one-process run).
func (r *run) sum(x []float64) error {
	if r.par == nil {
		return nil
	}
	if err := r.par.red.Sum(x); err != nil {
		return fmt.Errorf("solvers: reducing across %d participants: %w", r.par.red.Size(), err)
	}
	return nil
}

// agree returns rank 0's value of v (v itself in a one-process run): the
// decisions that depend on wall time or on rank 0's observers.
func (r *run) agree(v float64) (float64, error) {
	if r.par == nil {
		return v, nil
	}
	r.par.flag[0] = v
	if err := r.par.red.Broadcast(r.par.flag, 0); err != nil {
		return 0, fmt.Errorf("solvers: broadcasting rank 0's decision to %d participants: %w", r.par.red.Size(), err)
	}
	return r.par.flag[0], nil
}

// targetVariance returns ‖Y − mean(Y)‖²_F over all participants' columns
// (per-row means), for the normalised MSE.
func (r *run) targetVariance(y []float64, n, total int) (float64, error) {
	out := r.net.Out()
	mu := make([]float64, out)
	for i := range mu {
		for _, v := range y[i*n : (i+1)*n] {
			mu[i] += v
		}
	}
	if err := r.sum(mu); err != nil {
		return 0, err
	}
	ss := []float64{0}
	for i := range mu {
		m := mu[i] / float64(total)
		for _, v := range y[i*n : (i+1)*n] {
			ss[0] += (v - m) * (v - m)
		}
	}
	if err := r.sum(ss); err != nil {
		return 0, err
	}
	return ss[0], nil
}

// parValidator evaluates a partitioned validation set: the data loss
// through a reducing evaluator, the metric from reduced counts.
type parValidator struct {
	r      *run
	eval   graph.Evaluator
	y      []float64
	n      int
	out    int
	h      []float64
	metric Metric
	yVar   float64 // NormMSE's global denominator
}

func (r *run) newParValidator(v Data, m Metric) (*parValidator, error) {
	par := r.par
	if v.N < 0 || len(v.X) != r.net.In()*v.N || len(v.Y) != r.net.Out()*v.N {
		return nil, fmt.Errorf("solvers: validation data has N=%d, %d X values (want %d×N), %d Y values (want %d×N): %w", v.N, len(v.X), r.net.In(), len(v.Y), r.net.Out(), graph.ErrShape)
	}
	if par.valLo < 0 || par.valLo+v.N > par.valN {
		return nil, fmt.Errorf("solvers: Partition validation columns [%d, %d) outside the %d samples: %w", par.valLo, par.valLo+v.N, par.valN, ErrSettings)
	}
	if m == nil {
		m = MetricFor(r.net.Loss())
	}
	switch m.(type) {
	case NormMSE, Accuracy:
	default:
		return nil, fmt.Errorf("solvers: validation metric %s cannot be reduced across participants (NormMSE and Accuracy can): %w", m.Name(), ErrSettings)
	}
	shards := r.s.Shards
	if shards == 0 {
		shards = graph.AutoShards(r.net, v.N)
	}
	e, err := r.net.NewSharded(v.N, graph.ShardConfig{Shards: max(1, min(shards, v.N)), Total: par.valN, Reducer: par.red})
	if err != nil {
		return nil, fmt.Errorf("solvers: validation evaluator: %w", err)
	}
	if err := e.SetBatch(v.X, v.Y); err != nil {
		return nil, fmt.Errorf("solvers: validation data: %w", err)
	}
	pv := &parValidator{r: r, eval: e, y: v.Y, n: v.N, out: r.net.Out(), h: make([]float64, r.net.Out()*v.N), metric: m}
	if _, ok := m.(NormMSE); ok {
		if pv.yVar, err = r.targetVariance(v.Y, v.N, par.valN); err != nil {
			return nil, err
		}
	}
	return pv, nil
}

// evalPar returns the validation loss and metric at w over all participants.
func (v *parValidator) evalPar(w graph.Weights) (float64, float64, error) {
	if err := v.eval.SetWeights(w); err != nil {
		return 0, 0, err
	}
	loss, err := v.eval.DataLoss()
	if err != nil {
		return 0, 0, err
	}
	if err := v.eval.Output(v.h); err != nil {
		return 0, 0, err
	}
	acc := []float64{0}
	switch m := v.metric.(type) {
	case Accuracy:
		acc[0] = float64(m.correct(v.h, v.y, v.out, v.n))
	case NormMSE:
		for i, t := range v.y {
			d := t - v.h[i]
			acc[0] += d * d
		}
	}
	if err := v.r.sum(acc); err != nil {
		return 0, 0, err
	}
	switch v.metric.(type) {
	case Accuracy:
		return loss, acc[0] / float64(v.r.par.valN), nil
	}
	if v.yVar == 0 {
		return loss, math.NaN(), nil
	}
	return loss, acc[0] / v.yVar, nil
}

// batchColumns is the iteration's batch size B over all participants.
func (r *run) batchColumns(prog graph.Evaluator) int {
	if r.par != nil {
		return r.par.batch
	}
	return prog.Batch()
}

// parBatch is batch for a data-parallel run: the same global draw as a
// one-process run (the same stream, over all N columns), of which this
// participant binds the columns in its range, in the order drawn.
func (r *run) parBatch(k int) (graph.Evaluator, error) {
	par := r.par
	n := par.n
	b := r.m.Batches.size(k, n)
	par.batch = b
	hold := r.m.Batches.hold()
	fresh := hold == 1 || (k-r.s.StartIter)%hold == 0
	if fresh {
		r.drawn += b
	}
	if b == n && !r.m.Batches.Epochs {
		p, err := r.parEvaluator(r.data.N, n)
		if err != nil {
			return nil, err
		}
		return p, p.SetBatch(r.data.X, r.data.Y)
	}
	in, out, nl := r.net.In(), r.net.Out(), r.data.N
	if fresh {
		if r.epochs != nil {
			r.epochs.next(r.perm[:b])
		} else {
			for i := 0; i < b; i++ {
				k := i + r.rng.IntN(n-i)
				r.perm[i], r.perm[k] = r.perm[k], r.perm[i]
			}
		}
		par.local = par.local[:0]
		for _, g := range r.perm[:b] {
			if g >= par.lo && g < par.lo+nl {
				par.local = append(par.local, g-par.lo)
			}
		}
	}
	m := len(par.local)
	p, err := r.parEvaluator(m, b)
	if err != nil {
		return nil, err
	}
	if cap(r.xb) < in*m {
		r.xb = make([]float64, in*m, in*max(m, 2*b/par.red.Size()+1))
		r.yb = make([]float64, out*m, out*max(m, 2*b/par.red.Size()+1))
	}
	xb, yb := r.xb[:in*m], r.yb[:out*m]
	if fresh {
		if r.xs == nil {
			r.xs, r.ys = newColumnSource(r.data.X, in, nl), newColumnSource(r.data.Y, out, nl)
		}
		r.xs.gather(xb, par.local)
		r.ys.gather(yb, par.local)
	}
	return p, p.SetBatch(xb, yb)
}

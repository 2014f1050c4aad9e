// Package solvers runs the seed paper's Algorithm 1 (Block Successive
// Upper-bound Minimization) with pluggable parts: a surrogate upper bound
// (package surrogate), a step-size rule, a block rule and a batch rule. The
// named methods (BP, GD, LM, ProxL1, ExactBCD and the baselines BP-CLR and
// AdaGrad) are presets of one type, BSUM, not separate code paths.
//
// A run splits as in gonum/optimize: the problem (a graph.Net and its Data),
// the method (a BSUM value) and the Settings (when to stop), with a Result
// whose Status says why it stopped.
//
// Run control follows gonum/optimize's Converger and Recorder: stopping
// rules are small Converger values (Goal, RelativeChange, GradientNorm,
// Stationarity, DampingCeiling), each with its own Status, listed in
// Settings.Convergers; an Observer sees every Record with the current
// weights and may stop the run with a reason (Printer, a trainlm-like log,
// is one). Settings.Validation adds a held-out set: every validated Record
// carries its loss and metric (Metric: normalised MSE or accuracy),
// Result.Best the best weights seen, and Settings.Patience early stopping
// that returns them. Result.Stats counts the objective, gradient,
// curvature-product and explicit-matrix evaluations the run made.
package solvers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/surrogate"
)

// Data is a training set: X is d0×N and Y dJ×N, row-major, one column per
// sample (the seed's layout).
type Data struct {
	X, Y []float64
	N    int
}

// Settings say when a run stops, what it reports and who watches it. Zero
// values take the defaults given. Settings hold no run state: one value may
// serve several runs, concurrent ones included, as long as its Convergers
// and Observers allow it (the Convergers of this package do; an Observer
// says so in its own documentation); its Callback is then called from each
// run concurrently.
type Settings struct {
	// MaxIter is the last iteration k of Algorithm 1 that may run (one
	// block update each, or one sweep of all blocks for Jacobi). If 0, it
	// defaults to 1000. It counts from 1, not from StartIter: a run resumed
	// at StartIter s for n more iterations sets MaxIter to s + n − 1.
	MaxIter int
	// StartIter is the k of the first iteration (default 1): a run resumed
	// from saved weights keeps its step-size schedule and cyclic block
	// order by starting where the last one stopped, and its Records number
	// on from there, so the two histories concatenate. A method with no
	// state besides the weights (BP, GD, ProxL1, ExactBCD with cyclic
	// blocks and full batches) then continues exactly as one long run
	// would; LM restarts its damping γ_j from Damping.Init, and random
	// blocks and batches restart their seeded stream.
	StartIter int
	// StationarityTol stops the run with status Stationary once
	// ‖D_j − W_j‖_F ≤ StationarityTol for J consecutive block updates
	// (every block). 0 disables it. It is shorthand for the Converger
	// Stationarity{Tol: StationarityTol}, asked before Convergers.
	StationarityTol float64
	// GradTol stops the run with status GradientThreshold once
	// ‖∇_j f‖_F ≤ GradTol for J consecutive block updates. 0 disables it.
	// It is shorthand for the Converger GradientNorm{Tol: GradTol}, asked
	// before Convergers.
	GradTol float64
	// Convergers are further stopping rules (Goal, RelativeChange,
	// GradientNorm, Stationarity, DampingCeiling or your own), asked in
	// order after every record; the first to answer stops the run.
	Convergers []Converger
	// TimeBudget stops the run after this wall time. 0 means none.
	TimeBudget time.Duration
	// Seed seeds batch sampling and random block selection.
	Seed uint64
	// FullEvalEvery evaluates the objective and normalised MSE on the whole
	// data set every this many iterations (and at the last). If 0, it
	// defaults to 1. Negative disables it (history then holds batch values).
	FullEvalEvery int
	// Validation, if not nil, is a held-out set evaluated on the same
	// iterations as the full evaluation (FullEvalEvery must then be ≥ 0):
	// each such Record carries ValLoss and ValMetric, and Result.Best the
	// weights of lowest validation loss. Its shapes are those of the
	// training Data.
	Validation *Data
	// Metric scores predictions on the validation set (Record.ValMetric).
	// If nil, it defaults to MetricFor(net.Loss()): normalised MSE for
	// regression losses, accuracy for classification losses.
	Metric Metric
	// Patience, if > 0, stops the run with status EarlyStopped once
	// Patience consecutive validated records have not lowered the best
	// validation loss; the Result then holds the best weights seen, not
	// the last. It needs Validation. 0 disables early stopping.
	Patience int
	// Callback, if not nil, sees every record; a non-nil error stops the
	// run with status CallbackStop.
	Callback func(Record) error
	// Observers see every record together with the current weights, after
	// Callback and in order; a non-nil error from one stops the run with
	// status ObserverStop and the error's text in Result.Reason. Printer
	// is an Observer.
	Observers []Observer
	// Shards splits every batch evaluation into this many column shards,
	// run on up to GOMAXPROCS goroutines and added in a fixed order
	// (graph.Sharded): 1 evaluates each batch on one program, n > 1 on n
	// shards (at most one per column), and 0 chooses automatically
	// (graph.AutoShards: one program below graph.MinShardWork batch
	// columns × weights, so small problems such as BodyFat stay
	// single-threaded). A loss that is not a mean of per-sample terms
	// (graph.SampleSeparable, e.g. the exponential loss) always runs on
	// one program. A run is bitwise reproducible for a given shard count;
	// results for different counts agree to rounding. The automatic count
	// depends on GOMAXPROCS: fix Shards to reproduce bits across machines.
	// Negative is an error.
	Shards int
	// Partition, if not nil with a Reducer of several participants, makes
	// the run one participant of a data-parallel run: Data (and
	// Validation) hold this participant's columns of a larger data set,
	// every sum over samples is reduced across participants, and the run
	// behaves as one process on all the data (see Partition).
	Partition *Partition
}

// Status says why a run stopped.
type Status int

const (
	// NotStopped: the run has not stopped (never in a Result). A Converger
	// returns it to let the run go on.
	NotStopped Status = iota
	// IterationLimit: Settings.MaxIter reached.
	IterationLimit
	// Stationary: every block's ‖D_j − W_j‖ fell below StationarityTol
	// (Converger Stationarity).
	Stationary
	// GradientThreshold: every block's ‖∇_j f‖ fell below GradTol
	// (Converger GradientNorm).
	GradientThreshold
	// TimeLimit: Settings.TimeBudget spent.
	TimeLimit
	// Canceled: the context was cancelled.
	Canceled
	// CallbackStop: the callback returned an error.
	CallbackStop
	// Failed: a NaN or Inf, or an error from the model or the surrogate.
	Failed
	// GoalReached: f on the whole data set fell to the goal (Converger
	// Goal).
	GoalReached
	// FunctionConvergence: the relative change of f over a window fell
	// below the tolerance (Converger RelativeChange).
	FunctionConvergence
	// DampingLimit: the damping γ_j of an updated block reached the ceiling
	// (Converger DampingCeiling).
	DampingLimit
	// EarlyStopped: the validation loss did not improve for
	// Settings.Patience validated records; Result.Weights are the best
	// weights seen.
	EarlyStopped
	// ObserverStop: an Observer returned an error (its text is in
	// Result.Reason).
	ObserverStop
	// EvaluationLimit: the method's evaluations reached the budget
	// (Converger EvaluationBudget; see Progress.Evaluations).
	EvaluationLimit
)

var statusNames = [...]string{"not stopped", "iteration limit", "stationary", "gradient threshold", "time limit", "canceled", "callback stop", "failed",
	"goal reached", "function convergence", "damping limit", "early stopped", "observer stop",
	"evaluation limit"}

// String names the status.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// Record is one iteration of the history.
type Record struct {
	// K is the iteration, from Settings.StartIter (default 1).
	K int
	// Blocks are the blocks updated.
	Blocks []int
	// F is the objective (smooth part plus L1 terms) after the update: on
	// the whole data set when a full evaluation ran this iteration (Full),
	// otherwise on the batch before the update.
	F float64
	// NormMSE is ‖Y − H‖²_F/‖Y − mean(Y)‖²_F on the whole data set after
	// the update (NaN when no full evaluation ran).
	NormMSE float64
	// Full reports that F and NormMSE are on the whole data set after the
	// update.
	Full bool
	// ValLoss is the data loss ℓ(H(X), Y) on the validation set after the
	// update, without regularisers; ValMetric is Settings.Metric there. Both
	// are NaN when no validation ran this iteration.
	ValLoss, ValMetric float64
	// Stationarity is max over the updated blocks of ‖D_j − W_j‖_F.
	Stationarity float64
	// GradNorm is max over the updated blocks of ‖∇_j f‖_F at W^(k), on
	// the batch.
	GradNorm float64
	// Alpha and Gamma are the step size and proximal weight γ_j
	// (surrogate.Info.Gamma, the damping LM finally used) of the last
	// updated block.
	Alpha, Gamma float64
	// MaxGamma is max over the updated blocks of γ_j (Gamma unless the
	// iteration updated several blocks, as Jacobi does).
	MaxGamma float64
	// Batch is B_k.
	Batch int
	// Epoch is the number of samples drawn since the run started, divided
	// by N: the fractional epoch at the end of this iteration (k·B/N for
	// fixed batches, k for the full batch; a batch held for several
	// iterations, Batches.Hold, counts once). Plots use it as the x axis
	// of mini-batch runs.
	Epoch float64
	// Elapsed is the wall time since the run started.
	Elapsed time.Duration
}

// Result is what a run returns.
type Result struct {
	// Weights are the final weights: on failure, the last finite ones;
	// after early stopping, the best ones (Best.Weights).
	Weights graph.Weights
	Status  Status
	// Reason says in words why the run stopped, with the numbers that
	// decided it (for ObserverStop, the observer's error text).
	Reason string
	// Certified is false when the run used a step rule outside condition
	// (8) without a Lemma 2 justification (see BSUM.Uncertified).
	Certified bool
	History   []Record
	// F and NormMSE at Weights on the whole data set.
	F, NormMSE float64
	// ValLoss and ValMetric at Weights on the validation set (NaN without
	// one).
	ValLoss, ValMetric float64
	// Best is the validated record of lowest validation loss and its
	// weights (nil without a validation set or before the first one).
	Best *Best
	// Stats counts the evaluations the run made.
	Stats   Stats
	Elapsed time.Duration
}

// Best is the point of lowest validation loss seen by a run.
type Best struct {
	// K is the iteration of the record.
	K int
	// ValLoss and ValMetric are that record's validation values.
	ValLoss, ValMetric float64
	// Weights are the weights after iteration K (a copy owned by the
	// Result).
	Weights graph.Weights
}

// Last returns the last record (the zero Record for an empty history).
func (r *Result) Last() Record {
	if len(r.History) == 0 {
		return Record{}
	}
	return r.History[len(r.History)-1]
}

// ErrNotFinite is wrapped by errors that report a NaN or Inf.
var ErrNotFinite = errors.New("not finite")

// Minimize runs method m on net and data from weights w0 (nil draws seeded
// Glorot-normal weights with Settings.Seed). It returns a Result even on
// error; then Result.Status is Failed and Result.Weights the last finite
// weights. Cancelling ctx is not an error: the run stops with Status
// Canceled, a nil error and the weights reached so far (check ctx.Err() or
// the status to tell an interrupted run from a finished one). Neither is a
// stop by a Converger, an Observer or early stopping: Result.Status and
// Result.Reason say which rule stopped the run, and after early stopping
// Result.Weights are the best validated weights rather than the last.
func Minimize(ctx context.Context, net *graph.Net, data Data, w0 graph.Weights, m BSUM, s Settings) (*Result, error) {
	r, err := newRun(net, data, w0, m, s)
	if err != nil {
		return nil, err
	}
	return r.run(ctx)
}

type run struct {
	net     *graph.Net
	blocks  []graph.Block // net.Blocks(), read once: it copies
	data    Data
	m       BSUM
	s       Settings
	rng     *rand.Rand
	w       graph.Weights
	start   time.Time
	yVar    float64
	full    graph.Evaluator
	xb, yb  []float64
	perm    []int
	xs, ys  *columnSource            // the data's columns for mini-batches (gather.go), made on first use
	scratch []blockScratch           // per block, reused by direction
	bound   graph.Evaluator          // the program still holding the current batch (bind), or nil
	progs   *graph.ProgramCache      // this run's programs: never shared with another run
	workers map[int][]*graph.Program // private programs for Jacobi, by batch size
	sub     subBatches               // private programs for curvature mini-batches (problem.go)
	hOut    []float64
	ctl     control // stopping rules, observers, validation, counters
	// epochs is the run's permutation stream (Batches.Epochs); drawn counts
	// the samples drawn so far (Record.Epoch).
	epochs *epochStream
	drawn  int
	par    *parallel // data-parallel state (Settings.Partition), nil for one process
}

func newRun(net *graph.Net, data Data, w0 graph.Weights, m BSUM, s Settings) (*run, error) {
	if net == nil {
		return nil, fmt.Errorf("solvers: nil network")
	}
	if data.N <= 0 || len(data.X) != net.In()*data.N || len(data.Y) != net.Out()*data.N {
		return nil, fmt.Errorf("solvers: data has N=%d, %d X values (want %d×N), %d Y values (want %d×N): %w", data.N, len(data.X), net.In(), len(data.Y), net.Out(), graph.ErrShape)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if s.MaxIter == 0 {
		s.MaxIter = 1000
	}
	if s.StartIter == 0 {
		s.StartIter = 1
	}
	if s.StartIter < 0 || s.MaxIter < s.StartIter {
		return nil, fmt.Errorf("solvers: StartIter %d and MaxIter %d: no iteration to run: %w", s.StartIter, s.MaxIter, ErrMethod)
	}
	if s.FullEvalEvery == 0 {
		s.FullEvalEvery = 1
	}
	if s.Shards < 0 {
		return nil, fmt.Errorf("solvers: Shards %d must be ≥ 0 (0 chooses automatically): %w", s.Shards, ErrMethod)
	}
	r := &run{net: net, blocks: net.Blocks(), data: data, m: m, s: s, rng: rand.New(rand.NewPCG(s.Seed, 0x62737566)), workers: map[int][]*graph.Program{}, progs: net.NewProgramCache(), scratch: make([]blockScratch, net.NumBlocks())}
	if w0 == nil {
		r.w = net.Init(r.rng)
	} else {
		if err := net.CheckWeights(w0); err != nil {
			return nil, fmt.Errorf("solvers: initial weights: %w", err)
		}
		r.w = w0.Clone()
	}
	r.m = m.forRun(net.NumBlocks()) // per-run state: m may be shared by concurrent runs
	if err := r.initParallel(); err != nil {
		return nil, err
	}
	// Per-output mean, so ‖Y − mean(Y)‖² is the total variance of each row.
	out := net.Out()
	if r.par != nil {
		v, err := r.targetVariance(data.Y, data.N, r.par.n)
		if err != nil {
			return nil, err
		}
		r.yVar = v
	}
	for i := 0; i < out && r.par == nil; i++ {
		row := data.Y[i*data.N : (i+1)*data.N]
		var mu float64
		for _, v := range row {
			mu += v
		}
		mu /= float64(data.N)
		for _, v := range row {
			r.yVar += (v - mu) * (v - mu)
		}
	}
	r.perm = make([]int, r.globalN()) // batches are drawn as global indices
	for i := range r.perm {
		r.perm[i] = i
	}
	if m.Batches.Epochs {
		r.epochs = newEpochStream(r.globalN(), s.Seed)
	}
	r.hOut = make([]float64, out*data.N)
	if err := r.initControl(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) l1(j int) float64 {
	if r.m.L1 > 0 {
		return r.m.L1
	}
	return r.blocks[j].L1
}

func (r *run) l1Penalty(w graph.Weights) float64 {
	var s float64
	for j := range w {
		if lam := r.l1(j); lam > 0 {
			for _, v := range w[j] {
				s += lam * math.Abs(v)
			}
		}
	}
	return s
}

// evaluator returns the run's evaluator for batch columns: one program or
// column shards, as Settings.Shards says.
func (r *run) evaluator(batch int) (graph.Evaluator, error) {
	if r.par != nil {
		return nil, fmt.Errorf("solvers: internal error: one-process evaluator in a data-parallel run: %w", ErrMethod)
	}
	shards := r.s.Shards
	if shards == 0 {
		shards = graph.AutoShards(r.net, batch)
	}
	return r.progs.Evaluator(batch, shards)
}

// evalFull returns f (with L1) and the normalised MSE on the whole data set.
func (r *run) evalFull(w graph.Weights) (float64, float64, error) {
	var p graph.Evaluator
	var err error
	if r.par != nil {
		p, err = r.parEvaluator(r.data.N, r.par.n)
	} else {
		p, err = r.evaluator(r.data.N) // every time: a mini-batch run's cache may drop it
	}
	if err != nil {
		return 0, 0, err
	}
	r.full = p
	r.bound = nil // p may be the batch program (batch size N)
	if err := r.full.SetBatch(r.data.X, r.data.Y); err != nil {
		return 0, 0, err
	}
	if err := r.full.SetWeights(w); err != nil {
		return 0, 0, err
	}
	f, err := r.full.Objective()
	if err != nil {
		return 0, 0, err
	}
	if err := r.full.Output(r.hOut); err != nil {
		return 0, 0, err
	}
	var se float64
	for i, h := range r.hOut {
		d := r.data.Y[i] - h
		se += d * d
	}
	if r.par != nil {
		v := []float64{se}
		if err := r.sum(v); err != nil {
			return 0, 0, err
		}
		se = v[0]
	}
	nmse := math.NaN()
	if r.yVar > 0 {
		nmse = se / r.yVar
	}
	return f + r.l1Penalty(w), nmse, nil
}

// batch binds iteration k's batch to prog (a program for its size): the
// whole data set, a uniform sample without replacement (FixedBatch,
// GrowingBatch) or the next Size samples of the run's epoch stream
// (Shuffled). With Batches.Hold, iterations that do not start a new hold
// period rebind the previous batch.
func (r *run) batch(k int) (graph.Evaluator, error) {
	if r.par != nil {
		return r.parBatch(k)
	}
	b := r.m.Batches.size(k, r.data.N)
	p, err := r.evaluator(b)
	if err != nil {
		return nil, err
	}
	hold := r.m.Batches.hold()
	fresh := hold == 1 || (k-r.s.StartIter)%hold == 0
	if fresh {
		r.drawn += b
	}
	if b == r.data.N && !r.m.Batches.Epochs {
		return p, r.bind(p, r.data.X, r.data.Y)
	}
	in, out, n := r.net.In(), r.net.Out(), r.data.N
	if cap(r.xb) < in*b {
		size := b
		if r.m.Batches.Growing {
			size = n // B_k grows by one per iteration: allocate once
		}
		r.xb = make([]float64, in*size)
		r.yb = make([]float64, out*size)
	}
	xb, yb := r.xb[:in*b], r.yb[:out*b]
	if !fresh {
		return p, r.bind(p, xb, yb)
	}
	if r.epochs != nil {
		r.epochs.next(r.perm[:b])
	} else {
		// Partial Fisher-Yates: the first b entries of perm are a uniform
		// sample without replacement.
		for i := 0; i < b; i++ {
			k := i + r.rng.IntN(r.data.N-i)
			r.perm[i], r.perm[k] = r.perm[k], r.perm[i]
		}
	}
	if r.xs == nil {
		r.xs, r.ys = newColumnSource(r.data.X, in, n), newColumnSource(r.data.Y, out, n)
	}
	r.xs.gather(xb, r.perm[:b])
	r.ys.gather(yb, r.perm[:b])
	r.bound = nil // new values in xb, yb
	return p, r.bind(p, xb, yb)
}

// bind binds the batch (x, y) to p, unless p still holds it from the
// previous iteration (r.bound): a held batch, or the full data set, is then
// not checked and compared again on every iteration (for a batch of 128
// Fashion-MNIST images, 100,480 values twice per block update). Anything
// else in the run that binds another batch to one of its programs resets
// r.bound (evalFull).
func (r *run) bind(p graph.Evaluator, x, y []float64) error {
	if p == r.bound {
		return nil
	}
	r.bound = nil
	if err := p.SetBatch(x, y); err != nil {
		return err
	}
	r.bound = p
	return nil
}

func (r *run) run(ctx context.Context) (*Result, error) {
	r.start = time.Now()
	res := &Result{Certified: r.m.Certified()}
	last := r.w.Clone() // last finite weights
	fail := func(err error) (*Result, error) {
		res.Status = Failed
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			res.Status = Canceled
		}
		res.Reason = err.Error()
		r.w.CopyFrom(last)
		return r.finish(res, err)
	}
	stop := func(st Status, reason string) (*Result, error) {
		res.Status, res.Reason = st, reason
		return r.finish(res, nil)
	}
	if err := r.startObservers(); err != nil {
		return stop(ObserverStop, err.Error())
	}
	inner := ctx
	if r.par != nil {
		// Rank 0 decides cancellation at the top of each iteration; a
		// participant must not leave a reduction the others are in.
		inner = context.WithoutCancel(ctx)
	}
	for k := r.s.StartIter; ; k++ {
		if k > r.s.MaxIter {
			return stop(IterationLimit, fmt.Sprintf("iteration %d of %d done", k-1, r.s.MaxIter))
		}
		var wall Status
		var why string
		if err := ctx.Err(); err != nil {
			wall, why = Canceled, err.Error()
		} else if r.s.TimeBudget > 0 && time.Since(r.start) >= r.s.TimeBudget {
			wall, why = TimeLimit, fmt.Sprintf("time budget %v spent", r.s.TimeBudget)
		}
		if r.par != nil && r.par.red.Size() > 1 {
			v, err := r.agree(float64(wall))
			if err != nil {
				return fail(err)
			}
			if st := Status(v); st != wall {
				wall, why = st, fmt.Sprintf("rank 0 stopped: %v", st)
			}
		}
		if wall != NotStopped {
			return stop(wall, why)
		}
		prog, err := r.batch(k)
		if err != nil {
			return fail(fmt.Errorf("solvers: iteration %d: %w", k, err))
		}
		if err := prog.SetWeights(r.w); err != nil {
			return fail(fmt.Errorf("solvers: iteration %d: %w", k, err))
		}
		blocks, err := r.selectBlocks(k, prog)
		if err != nil {
			return fail(err)
		}
		rec := Record{K: k, Blocks: blocks, Batch: r.batchColumns(prog), Epoch: float64(r.drawn) / float64(r.globalN()), NormMSE: math.NaN(), ValLoss: math.NaN(), ValMetric: math.NaN()}
		var ups []update
		if r.m.Blocks == Jacobi {
			ups, err = r.jacobi(inner, k, prog)
		} else {
			var u update
			u, err = r.direction(inner, k, prog, blocks[0])
			ups = []update{u}
		}
		if err != nil {
			return fail(err)
		}
		for _, u := range ups {
			rec.F = u.f
			rec.Stationarity = math.Max(rec.Stationarity, u.stat)
			rec.GradNorm = math.Max(rec.GradNorm, u.gnorm)
			rec.Alpha, rec.Gamma = u.alpha, u.info.Gamma
			rec.MaxGamma = math.Max(rec.MaxGamma, u.info.Gamma)
			r.ctl.stats.add(&u.stats)
		}
		// Apply: W_j ← (1 − α)W_j + αD_j (7), then check finiteness.
		for _, u := range ups {
			wj := r.w[u.j]
			var z float64 // Σ w·0: 0 exactly when every new weight is finite
			for i := range wj {
				v := (1-u.alpha)*wj[i] + u.alpha*u.d[i] // exactly D_j when α = 1
				wj[i] = v
				z += v * 0
			}
			if z != 0 {
				return fail(fmt.Errorf("solvers: iteration %d, block %q: update produced a non-finite weight (α=%g): %w", k, r.blocks[u.j].Name, u.alpha, ErrNotFinite))
			}
		}
		if r.s.FullEvalEvery > 0 && (k%r.s.FullEvalEvery == 0 || k == r.s.MaxIter) {
			f, nmse, err := r.evalFull(r.w)
			r.ctl.stats.FullEvaluations++
			if err != nil {
				return fail(fmt.Errorf("solvers: iteration %d: full evaluation: %w", k, err))
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fail(fmt.Errorf("solvers: iteration %d: objective is %v after updating block %q: %w", k, f, r.blocks[ups[len(ups)-1].j].Name, ErrNotFinite))
			}
			rec.F, rec.NormMSE, rec.Full = f, nmse, true
			if r.ctl.val != nil {
				if rec.ValLoss, rec.ValMetric, err = r.evalValidation(r.w); err != nil {
					return fail(fmt.Errorf("solvers: iteration %d: validation: %w", k, err))
				}
				r.trackBest(&rec)
			}
		}
		for _, u := range ups { // only the updated blocks changed
			copy(last[u.j], r.w[u.j])
		}
		rec.Elapsed = time.Since(r.start)
		res.History = append(res.History, rec)
		st, reason := NotStopped, ""
		if r.s.Callback != nil {
			if err := r.s.Callback(rec); err != nil {
				st, reason = CallbackStop, err.Error()
			}
		}
		if st == NotStopped {
			st, reason = r.control(rec, res.History)
		}
		if r.par != nil {
			// The convergers agree (they see reduced values); callbacks
			// and observers are rank 0's.
			v, err := r.agree(float64(st))
			if err != nil {
				return fail(err)
			}
			if Status(v) != st {
				st, reason = Status(v), fmt.Sprintf("rank 0 stopped: %v", Status(v))
			}
		}
		if st != NotStopped {
			return stop(st, reason)
		}
	}
}

func (r *run) finish(res *Result, err error) (*Result, error) {
	if res.Status == EarlyStopped && r.ctl.bestK > 0 {
		r.w.CopyFrom(r.ctl.best)
	}
	res.Weights = r.w.Clone()
	res.Elapsed = time.Since(r.start)
	f, nmse, ferr := r.evalFull(res.Weights)
	r.ctl.stats.FullEvaluations++
	r.progs.Release() // the programs go back to the Net's pool for later runs
	if ferr == nil {
		res.F, res.NormMSE = f, nmse
	} else if err == nil {
		err = ferr
		res.Status = Failed
		res.Reason = ferr.Error()
	}
	res.ValLoss, res.ValMetric = math.NaN(), math.NaN()
	if r.ctl.val != nil {
		vl, vm, verr := r.evalValidation(res.Weights)
		if verr == nil {
			res.ValLoss, res.ValMetric = vl, vm
		} else if err == nil {
			err = fmt.Errorf("solvers: validation of the final weights: %w", verr)
			res.Status = Failed
			res.Reason = err.Error()
		}
		if r.ctl.bestK > 0 {
			res.Best = &Best{K: r.ctl.bestK, ValLoss: r.ctl.bestLoss, ValMetric: r.ctl.bestMetric, Weights: r.ctl.best.Clone()}
		}
	}
	res.Stats = r.ctl.stats
	r.finishObservers(res)
	return res, err
}

func (r *run) selectBlocks(k int, prog graph.Evaluator) ([]int, error) {
	J := r.net.NumBlocks()
	switch r.m.Blocks {
	case Cyclic:
		return []int{(k - 1) % J}, nil
	case ReverseCyclic:
		return []int{J - 1 - (k-1)%J}, nil
	case Random:
		return []int{r.rng.IntN(J)}, nil
	case Jacobi:
		all := make([]int, J)
		for j := range all {
			all[j] = j
		}
		return all, nil
	case GaussSouthwell:
		best, bestN := 0, -1.0
		for j, b := range r.blocks {
			g := make([]float64, b.Size())
			if err := prog.Grad(j, g); err != nil {
				return nil, fmt.Errorf("solvers: iteration %d, block %q gradient: %w", k, b.Name, err)
			}
			r.ctl.stats.Gradient++
			if n := norm(g); n > bestN {
				best, bestN = j, n
			}
		}
		return []int{best}, nil
	}
	return nil, fmt.Errorf("solvers: unknown block rule %v", r.m.Blocks)
}

// blockScratch holds one block's per-update vectors, reused from update to
// update: for a 784×256 block the four would otherwise be 6 MB allocated
// and cleared by the runtime on every block update. Jacobi's goroutines
// each use their own block's.
type blockScratch struct{ grad, d, diff, trial []float64 }

func (s *blockScratch) size(p int) {
	if len(s.grad) != p {
		s.grad, s.d, s.diff, s.trial = make([]float64, p), make([]float64, p), make([]float64, p), make([]float64, p)
	}
}

// update is one block's computed step.
type update struct {
	j           int
	d           []float64
	alpha       float64
	f           float64
	stat, gnorm float64
	info        surrogate.Info
	stats       Stats // evaluations made for this update
}

// direction computes block j's direction and step size at the weights bound
// to prog (which it leaves bound to W^(k)).
func (r *run) direction(ctx context.Context, k int, prog graph.Evaluator, j int) (update, error) {
	blk := r.blocks[j]
	where := func() string { return fmt.Sprintf("iteration %d, block %q", k, blk.Name) }
	f, err := prog.Objective()
	if err != nil {
		return update{}, fmt.Errorf("solvers: %s: %w", where(), err)
	}
	sc := &r.scratch[j]
	sc.size(blk.Size())
	grad := sc.grad
	if err := prog.Grad(j, grad); err != nil {
		return update{}, fmt.Errorf("solvers: %s: gradient: %w", where(), err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return update{}, fmt.Errorf("solvers: %s: objective is %v: %w", where(), f, ErrNotFinite)
	}
	gnorm := norm(grad)
	if !finiteGivenNorm(grad, gnorm) {
		return update{}, fmt.Errorf("solvers: %s: gradient: %w", where(), ErrNotFinite)
	}
	point := r.w[j]
	lam := r.l1(j)
	bp := &blockProblem{prog: prog, j: j, blk: blk, point: point, f: f, grad: grad, l1: lam, columns: r.batchColumns(prog), parallel: r.par != nil}
	bp.stats.Objective, bp.stats.Gradient = 1, 1 // f and ∇_j f at W^(k) above
	r.subsample(bp, k)
	var once sync.Once
	var cert surrogate.Certificate
	bp.cert = func() surrogate.Certificate {
		once.Do(func() { cert = Certify(r.net, r.w, j) })
		return cert
	}
	if needs := r.m.Surrogate.Needs(); needs.Convex || needs.Concave {
		c := bp.Certificate()
		if needs.Convex && !c.Convex || needs.Concave && !c.Concave {
			return update{}, fmt.Errorf("solvers: %s: surrogate %s: %s: %w", where(), r.m.Surrogate.Name(), c.Reason, surrogate.ErrNotCertified)
		}
	}
	d := sc.d
	clear(d)
	info, err := r.m.Surrogate.Direction(ctx, bp, d)
	if err != nil {
		return update{}, fmt.Errorf("solvers: %s: surrogate %s: %w", where(), r.m.Surrogate.Name(), err)
	}
	if err := bp.restore(); err != nil {
		return update{}, err
	}
	// D_j − W_j, the slope ⟨∇_j f, D_j − W_j⟩ and ‖D_j − W_j‖² in one pass;
	// D_j is finite when D_j − W_j is (W_j is).
	diff := sc.diff
	var slope, ss float64
	for i := range d {
		e := d[i] - point[i]
		diff[i] = e
		slope += grad[i] * e
		ss += e * e
	}
	stat := math.Sqrt(ss)
	if !finiteGivenNorm(d, stat) {
		return update{}, fmt.Errorf("solvers: %s: direction: %w", where(), ErrNotFinite)
	}
	f0 := f
	if lam > 0 {
		// Directional derivative of λ‖·‖₁ bounded by its convexity:
		// ‖W + α(D−W)‖₁ ≤ (1−α)‖W‖₁ + α‖D‖₁.
		var a, b float64
		for i := range d {
			a += math.Abs(point[i])
			b += math.Abs(d[i])
		}
		f0 += lam * a
		slope += lam * (b - a)
	}
	trial := sc.trial
	stepCtx := StepContext{K: k, Block: j, F0: f0, Slope: slope, Eval: func(alpha float64) (float64, error) {
		for i := range trial {
			trial[i] = point[i] + alpha*diff[i]
		}
		fv, err := bp.Eval(trial, nil)
		if err != nil {
			return 0, err
		}
		if lam > 0 {
			for _, v := range trial {
				fv += lam * math.Abs(v)
			}
		}
		return fv, nil
	}}
	alpha, err := r.m.Step.Alpha(stepCtx)
	if err != nil {
		return update{}, fmt.Errorf("solvers: %s: step rule %s: %w", where(), r.m.Step.Name(), err)
	}
	if err := bp.restore(); err != nil {
		return update{}, err
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) || alpha < 0 {
		return update{}, fmt.Errorf("solvers: %s: step rule %s gave α=%v: %w", where(), r.m.Step.Name(), alpha, ErrNotFinite)
	}
	return update{j: j, d: d, alpha: alpha, f: f0, stat: stat, gnorm: gnorm, info: info, stats: bp.stats}, nil
}

// jacobi computes every block's update from the same W^(k) concurrently,
// each on a private program, then scales them together by the joint Armijo
// rule (jacobiStep), so that the iteration decreases f.
func (r *run) jacobi(ctx context.Context, k int, prog graph.Evaluator) ([]update, error) {
	J := r.net.NumBlocks()
	ws, ok := r.workers[prog.Batch()]
	if !ok {
		clear(r.workers) // keep one batch size: growing batches would pile up J programs per size
		for j := 0; j < J; j++ {
			p, err := r.net.NewProgram(prog.Batch())
			if err != nil {
				return nil, err
			}
			ws = append(ws, p)
		}
		r.workers[prog.Batch()] = ws
	}
	xb, yb, err := prog.BatchValues()
	if err != nil {
		return nil, err
	}
	ups := make([]update, J)
	errs := make([]error, J)
	var wg sync.WaitGroup
	for j := 0; j < J; j++ {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			p := ws[j]
			if errs[j] = p.SetBatch(xb, yb); errs[j] != nil {
				return
			}
			if errs[j] = p.SetWeights(r.w); errs[j] != nil {
				return
			}
			ups[j], errs[j] = r.direction(ctx, k, p, j)
		}(j)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := r.jacobiStep(k, prog, ups); err != nil {
		return nil, err
	}
	return ups, nil
}

// Joint Armijo rule of a Jacobi iteration (the line search of Facchinei,
// Scutari and Sagratella's FLEXA, 2015): the blocks' steps α_j(D_j − W_j),
// all computed from W^(k), are scaled together by t = 1, β, β², … until
//
//	F(W + tΔ) ≤ F(W) + σ·t·Σ_j s_j,   Δ_j = α_j(D_j − W_j),
//
// with F = f + λ‖·‖₁ on the iteration's batch and s_j block j's slope
// α_j(⟨∇_j f, D_j − W_j⟩ + λ(‖D_j‖₁ − ‖W_j‖₁)) (an upper bound of the
// directional derivative, by convexity of ‖·‖₁). Each D_j minimises a bound
// of f in block j alone, so every block's step descends but their sum need
// not (α = 1 for all blocks from one point can overshoot, raising f); the
// search makes every Jacobi iteration a descent step. If no t ≤ β^maxTries
// passes, or the joint slope is not negative, the iteration is a null step.
const (
	jacobiSigma    = 1e-4
	jacobiBeta     = 0.5
	jacobiMaxTries = 30
)

// jacobiStep scales the α of every update in ups by the joint Armijo factor
// t, evaluating trial points on prog (bound to W^(k) and the batch, and left
// so).
func (r *run) jacobiStep(k int, prog graph.Evaluator, ups []update) error {
	f0, err := prog.Objective()
	if err != nil {
		return fmt.Errorf("solvers: iteration %d: Jacobi line search: %w", k, err)
	}
	f0 += r.l1Penalty(r.w)
	var slope float64
	for _, u := range ups {
		g := make([]float64, len(u.d))
		if err := prog.Grad(u.j, g); err != nil {
			return fmt.Errorf("solvers: iteration %d: Jacobi line search: %w", k, err)
		}
		wj := r.w[u.j]
		var s, a, b float64
		for i := range g {
			s += g[i] * (u.d[i] - wj[i])
			a += math.Abs(wj[i])
			b += math.Abs(u.d[i])
		}
		slope += u.alpha * (s + r.l1(u.j)*(b-a))
	}
	t := 0.0
	if slope < 0 {
		trial := r.w.Clone()
		for try, tt := 0, 1.0; try <= jacobiMaxTries; try, tt = try+1, tt*jacobiBeta {
			for _, u := range ups {
				wj, dst := r.w[u.j], trial[u.j]
				for i := range dst {
					dst[i] = wj[i] + tt*u.alpha*(u.d[i]-wj[i])
				}
			}
			if !trial.AllFinite() {
				continue
			}
			if err := prog.SetWeights(trial); err != nil {
				return fmt.Errorf("solvers: iteration %d: Jacobi line search: %w", k, err)
			}
			ft, err := prog.Objective()
			if err != nil {
				return fmt.Errorf("solvers: iteration %d: Jacobi line search: %w", k, err)
			}
			if ft+r.l1Penalty(trial) <= f0+jacobiSigma*tt*slope {
				t = tt
				break
			}
		}
		if err := prog.SetWeights(r.w); err != nil {
			return fmt.Errorf("solvers: iteration %d: Jacobi line search: %w", k, err)
		}
	}
	for i := range ups {
		ups[i].alpha *= t
	}
	return nil
}

// finiteGivenNorm reports whether every entry of x is finite, given a norm
// already computed whose finiteness implies it (‖x‖₂, or ‖x − w‖₂ for a
// finite w): a finite norm says so without another pass; an infinite or NaN
// one may come from overflow of the sum of squares, so then each entry of x
// is checked.
func finiteGivenNorm(x []float64, nrm float64) bool {
	if !math.IsInf(nrm, 0) && !math.IsNaN(nrm) {
		return true
	}
	return graph.Weights([][]float64{x}).AllFinite()
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

package graph

import (
	"fmt"
	"runtime"
	"sync"
)

// ShardConfig says how a Sharded evaluator splits and sums.
type ShardConfig struct {
	// Shards is the number of column shards in this process (≥ 1), each
	// evaluated by its own Program on up to GOMAXPROCS goroutines.
	Shards int
	// Total is the number of columns over all participants of the
	// Reducer (N_global); 0 means the local batch (one process). Every
	// local sum is weighted by n_s/Total, so that the Reducer's sum of the
	// participants' weighted sums is the mean over all Total columns.
	Total int
	// Reducer adds the per-process sums across participants; nil means
	// Local.
	Reducer Reducer
}

// Sharded evaluates one batch as Shards contiguous column shards
// (ShardRange), each on its own data-only Program (f = ℓ), concurrently on up
// to GOMAXPROCS goroutines. Every quantity is a mean over columns, so the
// combined value is Σ_s (n_s/N)·value_s, added in shard order 0, 1, … (a
// fixed order, independent of timing), then summed across processes by the
// Reducer; the Tikhonov terms λ_j‖W_j‖²_F (and their derivatives 2λ_jW_j,
// 2λ_jV, 2λ_jI) are added once, after the reduction, rather than weighted
// into every shard. Results are bitwise identical run to run for a given
// shard count and participant count, and equal the one-Program result to
// rounding. Output concatenates the shards' columns (no reduction: with a
// Reducer it is this participant's columns).
//
// Only losses that are means of per-sample terms can be split this way:
// NewSharded refuses a loss that does not report SampleSeparable, and
// ProgramCache.Evaluator falls back to one Program for it.
//
// A Sharded is not safe for concurrent use: use it from one goroutine at a
// time (it starts and waits for its own goroutines inside every call).
type Sharded struct {
	net    *Net
	batch  int
	total  int
	red    Reducer
	shards []*Program
	lo     []int     // shard s holds local columns [lo[s], lo[s+1])
	wt     []float64 // n_s/total
	x, y   []float64 // the bound batch, joined from the shards on demand
	joined bool      // x and y hold the bound batch
	w      Weights   // the bound weights, for the Tikhonov terms
	xSet   bool
	ySet   bool
	wSet   bool
	bufs   [][]float64 // per-shard results
	errs   []error
	scalar []float64 // one value for Reducer.Sum
}

// NewSharded compiles a Sharded evaluator for batch local columns with
// private programs (not cached). It fails for a loss that is not
// SampleSeparable, for fewer columns than shards, Total < batch, or a
// Total other than batch with a one-participant Reducer. With a Reducer of
// several participants, batch may be 0 (Shards is then ignored): such a
// participant holds none of the Total columns, contributes zeros and
// still joins every reduction, as the others need.
// NewSharded is safe for concurrent use.
func (n *Net) NewSharded(batch int, c ShardConfig) (*Sharded, error) {
	return n.newSharded(batch, c, func(b int) (*Program, error) { return n.newProgram(b, true) })
}

// Separable reports whether the Net's loss is a mean of per-sample terms
// (SampleSeparable), which column sharding needs.
func (n *Net) Separable() bool {
	sep, ok := n.loss.(SampleSeparable)
	return ok && sep.SampleSeparable()
}

func (n *Net) newSharded(batch int, c ShardConfig, get func(int) (*Program, error)) (*Sharded, error) {
	if !n.Separable() {
		return nil, fmt.Errorf("graph: loss %s is not a mean of per-sample terms (SampleSeparable): its batch cannot be sharded: %w", n.loss.Name(), ErrArgument)
	}
	S, total := c.Shards, c.Total
	if total == 0 {
		total = batch
	}
	red := c.Reducer
	if red == nil {
		red = Local{}
	}
	if batch == 0 && total > 0 && red.Size() > 1 {
		// A participant that holds none of the columns (a mini-batch
		// drawn elsewhere) adds zeros but joins every reduction.
		S = 0
	} else if batch <= 0 || S < 1 || S > batch || total < batch {
		return nil, fmt.Errorf("graph: %d shards of %d columns (of %d in all): %w", S, batch, total, ErrArgument)
	}
	if red.Size() == 1 && total != batch {
		return nil, fmt.Errorf("graph: %d columns of %d in all, but one participant holds them all: %w", batch, total, ErrArgument)
	}
	s := &Sharded{net: n, batch: batch, total: total, red: red,
		lo: make([]int, S+1), wt: make([]float64, S),
		bufs: make([][]float64, S), errs: make([]error, S), scalar: make([]float64, 1), w: n.NewWeights()}
	for i := 0; i < S; i++ {
		lo, hi := ShardRange(batch, i, S)
		s.lo[i], s.lo[i+1] = lo, hi
		p, err := get(hi - lo)
		if err != nil {
			return nil, fmt.Errorf("graph: shard %d of %d: %w", i, S, err)
		}
		s.shards = append(s.shards, p)
		s.wt[i] = float64(hi-lo) / float64(total)
	}
	return s, nil
}

// Batch is the number of local columns.
func (s *Sharded) Batch() int { return s.batch }

// Net is the network evaluated.
func (s *Sharded) Net() *Net { return s.net }

// Shards is the number of column shards.
func (s *Sharded) Shards() int { return len(s.shards) }

// Total is the number of columns over all participants (N in the weights
// n_s/N).
func (s *Sharded) Total() int { return s.total }

// each runs f on every shard, on up to GOMAXPROCS goroutines (shard i on
// goroutine i mod P), and returns the error of the lowest failing shard.
func (s *Sharded) each(f func(i int, p *Program) error) error {
	S := len(s.shards)
	P := min(S, runtime.GOMAXPROCS(0))
	if P <= 1 {
		for i, p := range s.shards {
			s.errs[i] = f(i, p)
		}
	} else {
		var wg sync.WaitGroup
		wg.Add(P)
		for g := 0; g < P; g++ {
			go func(g int) {
				defer wg.Done()
				for i := g; i < S; i += P {
					s.errs[i] = f(i, s.shards[i])
				}
			}(g)
		}
		wg.Wait()
	}
	for i, err := range s.errs {
		if err != nil {
			clear(s.errs)
			return fmt.Errorf("graph: shard %d of %d (columns %d to %d): %w", i, S, s.lo[i], s.lo[i+1]-1, err)
		}
	}
	return nil
}

// checkX validates X whole, as Program.SetInput does.
func (s *Sharded) checkX(x []float64) error {
	if len(x) != s.net.in*s.batch {
		return fmt.Errorf("graph: X has %d values, want %d×%d: %w", len(x), s.net.in, s.batch, ErrShape)
	}
	if i := firstNonFinite(x); i >= 0 {
		return fmt.Errorf("graph: X row %d column %d is %v: %w", i/s.batch, i%s.batch, x[i], ErrNotFinite)
	}
	return nil
}

// SetBatch binds X (d0×B) and Y (dJ×B), checked whole; each shard's
// program receives its columns (no copy of the whole batch is kept).
func (s *Sharded) SetBatch(x, y []float64) error {
	if err := s.checkX(x); err != nil {
		return err
	}
	B, out := s.batch, s.net.out
	if len(y) != out*B {
		return fmt.Errorf("graph: Y has %d values, want %d×%d: %w", len(y), out, B, ErrShape)
	}
	if i := firstNonFinite(y); i >= 0 {
		return fmt.Errorf("graph: Y row %d column %d is %v: %w", i/B, i%B, y[i], ErrNotFinite)
	}
	if lc, ok := s.net.loss.(LabelChecker); ok && B > 0 {
		if err := lc.CheckLabels(y, out, B); err != nil {
			return fmt.Errorf("graph: targets for loss %s: %w", s.net.loss.Name(), err)
		}
	}
	_ = s.each(func(i int, p *Program) error {
		p.bindColumns(x, y, B, s.lo[i])
		return nil
	})
	s.xSet, s.ySet, s.joined = true, true, false
	return nil
}

// SetInput binds X alone, for Output (the targets are unbound).
func (s *Sharded) SetInput(x []float64) error {
	if err := s.checkX(x); err != nil {
		return err
	}
	_ = s.each(func(i int, p *Program) error {
		p.bindColumns(x, nil, s.batch, s.lo[i])
		return nil
	})
	s.xSet, s.ySet, s.joined = true, false, false
	return nil
}

// BatchValues returns the bound X and Y (read-only views), joined from the
// shards' columns on the first call after SetBatch.
func (s *Sharded) BatchValues() (x, y []float64, err error) {
	if !s.ySet {
		return nil, nil, fmt.Errorf("graph: no batch bound (call SetBatch): %w", ErrArgument)
	}
	if !s.joined {
		if s.x == nil {
			s.x, s.y = make([]float64, s.net.in*s.batch), make([]float64, s.net.out*s.batch)
		}
		for i, p := range s.shards {
			s.join(s.x, p.x.buf, s.net.in, s.lo[i], s.lo[i+1])
			s.join(s.y, p.y.buf, s.net.out, s.lo[i], s.lo[i+1])
		}
		s.joined = true
	}
	return s.x, s.y, nil
}

// join copies the rows×(hi−lo) matrix src into columns [lo, hi) of the
// rows×batch matrix dst.
func (s *Sharded) join(dst, src []float64, rows, lo, hi int) {
	n := hi - lo
	for r := 0; r < rows; r++ {
		copy(dst[r*s.batch+lo:r*s.batch+hi], src[r*n:(r+1)*n])
	}
}

// SetWeights binds all blocks on every shard.
func (s *Sharded) SetWeights(w Weights) error {
	if err := s.net.CheckWeights(w); err != nil {
		return err
	}
	for _, p := range s.shards {
		if err := p.SetWeights(w); err != nil {
			return err
		}
	}
	s.w.CopyFrom(w)
	s.wSet = true
	return nil
}

// SetBlock binds block j alone on every shard.
func (s *Sharded) SetBlock(j int, w []float64) error {
	for _, p := range s.shards {
		if err := p.SetBlock(j, w); err != nil {
			return err
		}
	}
	copy(s.w[j], w)
	return nil
}

func (s *Sharded) ready() error {
	if !s.ySet {
		return fmt.Errorf("graph: no batch bound (call SetBatch): %w", ErrArgument)
	}
	if !s.wSet {
		return fmt.Errorf("graph: no weights bound (call SetWeights): %w", ErrArgument)
	}
	return nil
}

// buf returns shard i's result buffer of n values.
func (s *Sharded) buf(i, n int) []float64 {
	if cap(s.bufs[i]) < n {
		s.bufs[i] = make([]float64, n)
	}
	return s.bufs[i][:n]
}

// combine sets dst = Σ_s (n_s/N)·bufs[s] in shard order, then sums dst
// across participants.
func (s *Sharded) combine(dst []float64) error {
	n := len(dst)
	if len(s.shards) == 0 {
		clear(dst) // no local columns: this participant adds zeros
		return s.reduce(dst)
	}
	w0, b0 := s.wt[0], s.bufs[0][:n]
	for k, v := range b0 {
		dst[k] = w0 * v
	}
	for i := 1; i < len(s.shards); i++ {
		wi, bi := s.wt[i], s.bufs[i][:n]
		for k, v := range bi {
			dst[k] += wi * v
		}
	}
	return s.reduce(dst)
}

// reduce sums dst across participants.
func (s *Sharded) reduce(dst []float64) error {
	if err := s.red.Sum(dst); err != nil {
		return fmt.Errorf("graph: reducing across %d participants: %w", s.red.Size(), err)
	}
	return nil
}

// DataLoss returns ℓ = Σ_s (n_s/N)·ℓ_s, reduced across participants.
func (s *Sharded) DataLoss() (float64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	err := s.each(func(i int, p *Program) error {
		v, err := p.DataLoss()
		s.buf(i, 1)[0] = v
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := s.combine(s.scalar); err != nil {
		return 0, err
	}
	return s.scalar[0], nil
}

// Objective returns f = ℓ + Σ_j λ_j‖W_j‖²_F (the non-smooth L1 terms are
// not included).
func (s *Sharded) Objective() (float64, error) {
	f, err := s.DataLoss()
	if err != nil {
		return 0, err
	}
	for j, blk := range s.net.blocks {
		if blk.Tikhonov > 0 {
			var sq float64
			for _, v := range s.w[j] {
				sq += v * v
			}
			f += blk.Tikhonov * sq
		}
	}
	return f, nil
}

// Output copies H(X) (dJ×B, row-major) into dst, the shards' columns side
// by side.
func (s *Sharded) Output(dst []float64) error {
	if !s.xSet || !s.wSet {
		return fmt.Errorf("graph: Output needs X and weights bound (SetInput or SetBatch, SetWeights): %w", ErrArgument)
	}
	out, B := s.net.out, s.batch
	if len(dst) != out*B {
		return fmt.Errorf("graph: output buffer has %d values, want %d×%d: %w", len(dst), out, B, ErrShape)
	}
	if err := s.each(func(i int, p *Program) error {
		return p.Output(s.buf(i, out*(s.lo[i+1]-s.lo[i])))
	}); err != nil {
		return err
	}
	for i := range s.shards {
		lo, hi := s.lo[i], s.lo[i+1]
		n := hi - lo
		for r := 0; r < out; r++ {
			copy(dst[r*B+lo:r*B+hi], s.bufs[i][r*n:(r+1)*n])
		}
	}
	return nil
}

func (s *Sharded) checkBlock(j int, buf []float64, what string, square bool) error {
	if err := s.ready(); err != nil {
		return err
	}
	if j < 0 || j >= len(s.net.blocks) {
		return fmt.Errorf("graph: block index %d out of range [0,%d): %w", j, len(s.net.blocks), ErrArgument)
	}
	b := s.net.blocks[j]
	want := b.Size()
	if square {
		want *= want
	}
	if len(buf) != want {
		return fmt.Errorf("graph: block %q %s has %d values, want %d: %w", b.Name, what, len(buf), want, ErrShape)
	}
	return nil
}

// Grad copies ∇_{W_j} f = Σ_s (n_s/N)∇_{W_j} ℓ_s + 2λ_jW_j into dst.
func (s *Sharded) Grad(j int, dst []float64) error {
	if err := s.checkBlock(j, dst, "gradient buffer", false); err != nil {
		return err
	}
	if err := s.each(func(i int, p *Program) error { return p.Grad(j, s.buf(i, len(dst))) }); err != nil {
		return err
	}
	if err := s.combine(dst); err != nil {
		return err
	}
	if lam := s.net.blocks[j].Tikhonov; lam > 0 {
		for k, v := range s.w[j] {
			dst[k] += 2 * lam * v
		}
	}
	return nil
}

// product computes a shard-summed curvature product plus 2λ_j v.
func (s *Sharded) product(j int, v, dst []float64, prod func(*Program, int, []float64, []float64) error) error {
	if err := s.checkBlock(j, v, "direction", false); err != nil {
		return err
	}
	if err := s.checkBlock(j, dst, "product buffer", false); err != nil {
		return err
	}
	if err := s.each(func(i int, p *Program) error { return prod(p, j, v, s.buf(i, len(dst))) }); err != nil {
		return err
	}
	if err := s.combine(dst); err != nil {
		return err
	}
	if lam := s.net.blocks[j].Tikhonov; lam > 0 {
		for k, x := range v {
			dst[k] += 2 * lam * x
		}
	}
	return nil
}

// HVP copies the exact block Hessian-vector product ∇²_{W_j} f · v into
// dst.
func (s *Sharded) HVP(j int, v, dst []float64) error {
	return s.product(j, v, dst, (*Program).HVP)
}

// GaussNewton copies J_jᵀ ∇²_H ℓ J_j v + 2λ_j v into dst.
func (s *Sharded) GaussNewton(j int, v, dst []float64) error {
	return s.product(j, v, dst, (*Program).GaussNewton)
}

// matrix computes a shard-summed explicit p×p block matrix plus 2λ_j I.
func (s *Sharded) matrix(j int, dst []float64, what string, mat func(*Program, int, []float64) error) error {
	if err := s.checkBlock(j, dst, what+" buffer", true); err != nil {
		return err
	}
	if err := s.each(func(i int, p *Program) error { return mat(p, j, s.buf(i, len(dst))) }); err != nil {
		return err
	}
	if err := s.combine(dst); err != nil {
		return err
	}
	if lam := s.net.blocks[j].Tikhonov; lam > 0 {
		np := s.net.blocks[j].Size()
		for k := 0; k < np; k++ {
			dst[k*np+k] += 2 * lam
		}
	}
	return nil
}

// Hessian fills dst (p×p) with the explicit block Hessian ∇²_{W_j} f.
func (s *Sharded) Hessian(j int, dst []float64) error {
	return s.matrix(j, dst, "Hessian", (*Program).Hessian)
}

// GaussNewtonMatrix fills dst (p×p) with J_jᵀ ∇²_H ℓ J_j + 2λ_j I.
func (s *Sharded) GaussNewtonMatrix(j int, dst []float64) error {
	return s.matrix(j, dst, "Gauss-Newton", (*Program).GaussNewtonMatrix)
}

// PrepareCurvature builds every shard's second-order nodes now.
func (s *Sharded) PrepareCurvature() error {
	return s.each(func(i int, p *Program) error { return p.PrepareCurvature() })
}

// MinShardWork is the work, in batch columns × weights (B·p), from which
// AutoShards splits a batch. Below it one Program is as fast or faster:
// goroutine start-up, the per-shard O(p) work (binding weights, adding
// gradients) and the matrix products that gonum already runs on every core
// cost more than the split saves. BenchmarkShardThreshold (a full gradient
// step on 1 and 2 shards, 2 cores shared with other jobs, load average
// 5.3–6.5) measured 2 shards against 1 at 0.9–1.1× the speed for BodyFat up
// to B·p = 5.6·10⁶, 0.5–0.8× for p = 203,264 at B·p ≤ 2.6·10⁷, and
// 0.7–1.9× (noisy) at B·p = 2.1·10⁸; the threshold is set conservatively
// above every measured loss. BodyFat's full batch (252·340 = 8.6·10⁴)
// stays on one Program; a full batch of Fashion-MNIST on 784-256-10
// (6·10⁴·2·10⁵) is sharded.
const MinShardWork = 100_000_000

// AutoShards is the automatic shard count for batch columns of n: 1 below
// MinShardWork (batch × weights) or for a loss that is not SampleSeparable,
// otherwise min(GOMAXPROCS, batch). Results are bitwise reproducible for a
// given shard count, so a run that must reproduce across machines with
// different core counts should fix the count instead.
func AutoShards(n *Net, batch int) int {
	if !n.Separable() || batch < 2 {
		return 1
	}
	var p int
	for _, b := range n.blocks {
		p += b.Size()
	}
	if batch*p < MinShardWork {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), batch)
}

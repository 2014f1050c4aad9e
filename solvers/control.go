package solvers

import (
	"errors"
	"fmt"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// Stats counts the evaluations a run made, at the boundary between the
// driver (and the surrogate and step rule it calls) and the compiled
// program. A gradient computed together with an objective counts once in
// each field.
type Stats struct {
	// Objective counts evaluations of f on a batch for the method: f(W^(k))
	// at every block update, and every trial point of the surrogate (LM's
	// gain ratio, inner methods) and of the step rule (Armijo).
	Objective int
	// Gradient counts block gradients ∇_j f: one per block update, every
	// block's per iteration for GaussSouthwell, and those of trial points
	// that ask for one.
	Gradient int
	// HVP counts Hessian-vector products ∇²_j f·v.
	HVP int
	// GaussNewton counts Gauss-Newton-vector products G_j v.
	GaussNewton int
	// Hessian counts explicit block Hessians, GaussNewtonMatrix explicit
	// block Gauss-Newton matrices (each one evaluation, however the
	// program assembles it).
	Hessian, GaussNewtonMatrix int
	// FullEvaluations counts evaluations of f and H on the whole training
	// set for the records and the Result (not the method's own work).
	FullEvaluations int
	// Validation counts evaluations on the validation set.
	Validation int
}

func (s *Stats) add(o *Stats) {
	s.Objective += o.Objective
	s.Gradient += o.Gradient
	s.HVP += o.HVP
	s.GaussNewton += o.GaussNewton
	s.Hessian += o.Hessian
	s.GaussNewtonMatrix += o.GaussNewtonMatrix
	s.FullEvaluations += o.FullEvaluations
	s.Validation += o.Validation
}

// Progress is what a Converger sees of a run after each record.
type Progress struct {
	// History holds the run's records so far, the newest last. It is the
	// run's own slice: read it, do not modify or retain it.
	History []Record
	// Blocks is J, the number of weight blocks.
	Blocks int
	// Stats are the run's evaluation counts so far, as Result.Stats.
	Stats Stats
	// Evaluations is the method's work so far in network passes (see
	// EvaluationBudget for the weights): what an evaluation budget counts.
	Evaluations int
}

// Converger is a stopping rule, in the manner of gonum/optimize's
// Converger. After every record the run asks its convergers in order
// (Settings.StationarityTol and GradTol first, then Settings.Convergers);
// the first to return a Status other than NotStopped stops the run with
// that status, and the reason it gives becomes Result.Reason (format it
// only when stopping: the question is asked every iteration).
//
// A Converger should keep no state between calls (the Progress carries the
// whole history), so one value can serve several runs at once; the ones in
// this package are stateless and safe for concurrent use.
type Converger interface {
	Converged(p *Progress) (Status, string)
}

// Goal stops the run with status GoalReached once f ≤ F on the whole data
// set (trainlm's goal). Only records with a full evaluation (Record.Full)
// count: batch values of f are not the objective.
type Goal struct{ F float64 }

// Converged implements Converger.
func (g Goal) Converged(p *Progress) (Status, string) {
	r := &p.History[len(p.History)-1]
	if r.Full && r.F <= g.F {
		return GoalReached, fmt.Sprintf("f = %.6g ≤ goal %g at iteration %d", r.F, g.F, r.K)
	}
	return NotStopped, ""
}

// RelativeChange stops the run with status FunctionConvergence once f has
// changed by at most Tol relative to its size over a window:
//
//	|f_old − f_new| ≤ Tol · max(|f_old|, |f_new|),
//
// with f_new the newest record's f and f_old that of the newest record at
// least Window records back, both full evaluations (Record.Full): the rule
// is asked only on full records, and with FullEvalEvery > 1 looks back to
// the last full record at or before the window's start. If Window is 0,
// the window is one sweep: J block updates back, so every block has moved
// since. A run shorter than the window does not stop.
type RelativeChange struct {
	Tol    float64
	Window int
}

// Converged implements Converger.
func (c RelativeChange) Converged(p *Progress) (Status, string) {
	h := p.History
	n := len(h) - 1
	if n < 1 || !h[n].Full {
		return NotStopped, ""
	}
	old := -1
	if c.Window > 0 {
		old = n - c.Window
	} else {
		updates := 0
		for i := n; i > 0; i-- {
			updates += len(h[i].Blocks)
			if updates >= p.Blocks {
				old = i - 1
				break
			}
		}
	}
	for old >= 0 && !h[old].Full {
		old--
	}
	if old < 0 {
		return NotStopped, ""
	}
	fo, fn := h[old].F, h[n].F
	if d := math.Abs(fo - fn); d <= c.Tol*math.Max(math.Abs(fo), math.Abs(fn)) {
		return FunctionConvergence, fmt.Sprintf("|Δf| = %.3g between iterations %d and %d is ≤ %g·|f| (f = %.6g)", d, h[old].K, h[n].K, c.Tol, fn)
	}
	return NotStopped, ""
}

// lastUpdates reports whether the newest records hold at least J block
// updates and value(record) ≤ tol on every record among them, as needed
// for "every block below tol".
func lastUpdates(p *Progress, tol float64, value func(*Record) float64) bool {
	updates := 0
	for i := len(p.History) - 1; i >= 0; i-- {
		r := &p.History[i]
		if !(value(r) <= tol) {
			return false
		}
		updates += len(r.Blocks)
		if updates >= p.Blocks {
			return true
		}
	}
	return false
}

// GradientNorm stops the run with status GradientThreshold once
// ‖∇_j f‖_F ≤ Tol (Record.GradNorm, on the batch at W^(k)) for J
// consecutive block updates, i.e. for every block (gonum's
// GradientThreshold, trainlm's min_grad). Settings.GradTol is this rule.
type GradientNorm struct{ Tol float64 }

// Converged implements Converger.
func (g GradientNorm) Converged(p *Progress) (Status, string) {
	if lastUpdates(p, g.Tol, func(r *Record) float64 { return r.GradNorm }) {
		r := p.History[len(p.History)-1]
		return GradientThreshold, fmt.Sprintf("‖∇_j f‖ ≤ %g for every block (last %.3g at iteration %d)", g.Tol, r.GradNorm, r.K)
	}
	return NotStopped, ""
}

// Stationarity stops the run with status Stationary once ‖D_j − W_j‖_F ≤
// Tol for J consecutive block updates. Settings.StationarityTol is this
// rule.
type Stationarity struct{ Tol float64 }

// Converged implements Converger.
func (s Stationarity) Converged(p *Progress) (Status, string) {
	if lastUpdates(p, s.Tol, func(r *Record) float64 { return r.Stationarity }) {
		r := p.History[len(p.History)-1]
		return Stationary, fmt.Sprintf("‖D_j − W_j‖ ≤ %g for every block (last %.3g at iteration %d)", s.Tol, r.Stationarity, r.K)
	}
	return NotStopped, ""
}

// DampingCeiling stops the run with status DampingLimit once an updated
// block's damping γ_j (Record.MaxGamma) reaches Max: Levenberg-Marquardt
// has rejected so many trial steps that it is crawling (trainlm's mu_max).
// It is meant for adaptive damping (LM, LMHessian); a fixed γ ≥ Max stops
// at the first record.
type DampingCeiling struct{ Max float64 }

// Converged implements Converger.
func (d DampingCeiling) Converged(p *Progress) (Status, string) {
	r := &p.History[len(p.History)-1]
	if r.MaxGamma >= d.Max {
		return DampingLimit, fmt.Sprintf("γ = %.3g reached the ceiling %g at iteration %d", r.MaxGamma, d.Max, r.K)
	}
	return NotStopped, ""
}

// Observer watches a run, in the manner of gonum/optimize's Recorder. Its
// Observe method is called after every record with that record and the
// current weights W^(k+1).
//
// The weights are the run's own, read-only and valid only during the call:
// an observer must neither modify nor retain them (call w.Clone() for a
// copy to keep). A non-nil error stops the run with status ObserverStop
// and the error's text as Result.Reason; Minimize then returns a nil error
// and the weights reached, as for any other stop.
//
// An observer may also implement Starter and Finisher to hear of the start
// and the end of the run.
type Observer interface {
	Observe(rec Record, w graph.Weights) error
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(rec Record, w graph.Weights) error

// Observe implements Observer.
func (f ObserverFunc) Observe(rec Record, w graph.Weights) error { return f(rec, w) }

// RunInfo describes a run to a Starter.
type RunInfo struct {
	// Method is the method's name (BSUM.String).
	Method string
	// Blocks is J.
	Blocks int
	// StartIter and MaxIter are the first and last iterations that may run.
	StartIter, MaxIter int
	// Metric names the validation metric ("" without a validation set).
	Metric string
}

// Starter is implemented by observers that want to know a run is
// starting; an error stops the run before its first iteration with status
// ObserverStop.
type Starter interface {
	Start(info RunInfo) error
}

// Finisher is implemented by observers that want the Result at the end of
// the run (all fields set except Elapsed's last nanoseconds).
type Finisher interface {
	Finish(res *Result)
}

// control is the per-run state of the stopping rules, observers and
// validation.
type control struct {
	conv     []Converger
	progress Progress
	stats    Stats
	counted  Stats // stats already weighed into progress.Evaluations
	val      *validator

	best                 graph.Weights // lowest validation loss so far (nil without validation)
	bestK                int
	bestLoss, bestMetric float64
	sinceBest            int // validated records since the best one
}

func (r *run) initControl() error {
	s := &r.s
	c := &r.ctl
	if s.StationarityTol < 0 || s.GradTol < 0 || math.IsNaN(s.StationarityTol) || math.IsNaN(s.GradTol) {
		return fmt.Errorf("solvers: StationarityTol %v and GradTol %v must be ≥ 0: %w", s.StationarityTol, s.GradTol, ErrSettings)
	}
	if s.StationarityTol > 0 {
		c.conv = append(c.conv, Stationarity{Tol: s.StationarityTol})
	}
	if s.GradTol > 0 {
		c.conv = append(c.conv, GradientNorm{Tol: s.GradTol})
	}
	for i, cv := range s.Convergers {
		if cv == nil {
			return fmt.Errorf("solvers: Convergers[%d] is nil: %w", i, ErrSettings)
		}
		c.conv = append(c.conv, cv)
	}
	for i, o := range s.Observers {
		if o == nil {
			return fmt.Errorf("solvers: Observers[%d] is nil: %w", i, ErrSettings)
		}
	}
	c.progress.Blocks = r.net.NumBlocks()
	if s.Patience < 0 {
		return fmt.Errorf("solvers: Patience %d must be ≥ 0: %w", s.Patience, ErrSettings)
	}
	if s.Validation == nil {
		if s.Patience > 0 {
			return fmt.Errorf("solvers: Patience %d needs a validation set (Settings.Validation): %w", s.Patience, ErrSettings)
		}
		return nil
	}
	if s.FullEvalEvery < 0 {
		return fmt.Errorf("solvers: a validation set is evaluated with the full evaluation, which FullEvalEvery %d disables: %w", s.FullEvalEvery, ErrSettings)
	}
	var v *validator
	if r.par != nil {
		pv, err := r.newParValidator(*s.Validation, s.Metric)
		if err != nil {
			return err
		}
		v = &validator{metric: pv.metric, par: pv}
	} else {
		var err error
		if v, err = newValidator(r.net, *s.Validation, s.Metric); err != nil {
			return err
		}
	}
	c.val = v
	c.best = r.w.Clone()
	c.bestLoss, c.bestMetric = math.Inf(1), math.NaN()
	return nil
}

// ErrSettings is wrapped by errors about ill-formed Settings.
var ErrSettings = errors.New("invalid settings")

// evalValidation returns the validation loss and metric at w.
func (r *run) evalValidation(w graph.Weights) (float64, float64, error) {
	r.ctl.stats.Validation++
	return r.ctl.val.eval(w)
}

// trackBest updates the best validated point with rec (after the update
// that produced r.w).
func (r *run) trackBest(rec *Record) {
	c := &r.ctl
	if rec.ValLoss < c.bestLoss { // NaN never improves
		c.bestLoss, c.bestMetric, c.bestK = rec.ValLoss, rec.ValMetric, rec.K
		c.best.CopyFrom(r.w)
		c.sinceBest = 0
		return
	}
	c.sinceBest++
}

func (r *run) startObservers() error {
	info := RunInfo{Method: r.m.String(), Blocks: r.net.NumBlocks(), StartIter: r.s.StartIter, MaxIter: r.s.MaxIter}
	if r.ctl.val != nil {
		info.Metric = r.ctl.val.metric.Name()
	}
	for _, o := range r.s.Observers {
		if st, ok := o.(Starter); ok {
			if err := st.Start(info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) finishObservers(res *Result) {
	for _, o := range r.s.Observers {
		if f, ok := o.(Finisher); ok {
			f.Finish(res)
		}
	}
}

// control runs the observers, early stopping and the convergers on the
// newest record.
func (r *run) control(rec Record, hist []Record) (Status, string) {
	c := &r.ctl
	c.progress.Evaluations += r.passes(&rec)
	c.counted = c.stats
	c.progress.Stats = c.stats
	for _, o := range r.s.Observers {
		if err := o.Observe(rec, r.w); err != nil {
			return ObserverStop, err.Error()
		}
	}
	if r.s.Patience > 0 && rec.Full && c.sinceBest >= r.s.Patience {
		return EarlyStopped, fmt.Sprintf("validation loss did not improve for %d validated records; best %.6g at iteration %d", c.sinceBest, c.bestLoss, c.bestK)
	}
	if len(c.conv) == 0 {
		return NotStopped, ""
	}
	c.progress.History = hist
	for _, cv := range c.conv {
		if st, reason := cv.Converged(&c.progress); st != NotStopped {
			return st, reason
		}
	}
	return NotStopped, ""
}

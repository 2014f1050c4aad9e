package solvers

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/bsum-go/bsum/graph"
)

// Budget is what every method of a Race may spend. Set Time, Updates,
// Evaluations or several; a run stops at whichever comes first.
type Budget struct {
	// Time is the wall time each method may run. With Time the ranking
	// depends on the machine and its load; use Updates for reproducible
	// races.
	Time time.Duration
	// Updates is the number of block updates each method may make: that
	// many iterations of a one-block rule, Updates/J (at least one) sweeps of
	// Jacobi, which updates all J blocks per iteration.
	Updates int
	// Evaluations is the number of network passes each method may make,
	// counted as EvaluationBudget says (f and a block gradient 2, a
	// curvature-vector product 2, an explicit P_j×P_j block matrix 2·P_j):
	// the budget that compares first- and second-order methods at equal
	// derivative work. A run stops after the iteration that reaches it.
	Evaluations int
}

// RaceOptions are a race's optional settings; the zero value is a race from
// Glorot-normal weights drawn with seed 0, as many at once as GOMAXPROCS
// allows, where only certified methods can win.
type RaceOptions struct {
	// Start is the common starting point; nil draws it with net.Init and
	// Seed.
	Start graph.Weights
	// Seed seeds the start (when Start is nil) and every run's batch
	// sampling and random block choice: every method gets the same seed.
	Seed uint64
	// Parallel is how many methods run at once. If Parallel is 0, it
	// defaults to min(GOMAXPROCS, len(methods)). With an Updates or
	// Evaluations budget (and no Time) results do not depend on it; with a Time budget more runs than cores
	// share the cores and each gets less done.
	Parallel int
	// Target, if > 0, is an objective value: each entry reports when its run
	// first reached F ≤ Target (the run is not stopped there).
	Target float64
	// AllowUncertified lets methods outside the seed's guarantees (baselines,
	// steps violating condition (8)) win. They are run and ranked either way.
	AllowUncertified bool
}

// RaceEntry is one method's line of the ranking.
type RaceEntry struct {
	// Rank is 1 for the lowest final f; runs that failed rank last.
	Rank int
	// Method is the method as given.
	Method BSUM
	// Result is the run's result (nil when the method was refused before
	// it ran, then Err says why).
	Result *Result
	// Err is the run's error, if any.
	Err error
	// Certified is whether the method is covered by the seed's guarantees
	// (Result.Certified, or BSUM.Certified when it did not run).
	Certified bool
	// Updates is the number of block updates the run made.
	Updates int
	// Evaluations is the method's work in network passes through its last
	// record (Progress.Evaluations; what Budget.Evaluations counts). The
	// run's evaluations by kind are in Result.Stats.
	Evaluations int
	// Reached is whether the run reached F ≤ Target (RaceOptions.Target);
	// then TimeToTarget and UpdatesToTarget say when.
	Reached         bool
	TimeToTarget    time.Duration
	UpdatesToTarget int
}

// Failed reports whether the run has no usable result.
func (e *RaceEntry) Failed() bool {
	return e.Result == nil || e.Err != nil || e.Result.Status == Failed || math.IsNaN(e.Result.F)
}

// RaceResult is a race's outcome.
type RaceResult struct {
	// Entries are ranked, best first.
	Entries []RaceEntry
	// Best is the best-ranked entry that finished and may win (certified,
	// unless RaceOptions.AllowUncertified); nil if none.
	Best *RaceEntry
	// Start is the common starting point.
	Start graph.Weights
}

// Race runs every method on net and data from the same start, with the same
// budget and seed, and ranks them by their final objective f on the whole
// data set (ties keep the given order). This is the seed's Section 6 advice:
// implement several methods and pick the best, all of which have
// convergence guarantees.
//
// Methods run concurrently, RaceOptions.Parallel at a time; each run owns its
// programs and the per-run state of its method (see Minimize), so with an
// Updates or Evaluations budget (and no Time) the results are bitwise those
// of lone runs, independent of Parallel. A method that fails or is refused gets an entry with Err set and
// ranks last; Race returns an error only when nothing can run (no methods, no
// budget, bad data or start). Cancelling ctx stops every run (Status
// Canceled) and they are ranked as they stand. Race is safe for concurrent
// use.
func Race(ctx context.Context, net *graph.Net, data Data, methods []BSUM, budget Budget, opts RaceOptions) (*RaceResult, error) {
	if net == nil {
		return nil, fmt.Errorf("solvers: race: nil network")
	}
	if len(methods) == 0 {
		return nil, fmt.Errorf("solvers: race: no methods: %w", ErrMethod)
	}
	if budget.Time < 0 || budget.Updates < 0 || budget.Evaluations < 0 || budget.Time == 0 && budget.Updates == 0 && budget.Evaluations == 0 {
		return nil, fmt.Errorf("solvers: race: budget %+v: give a positive Time, Updates or Evaluations: %w", budget, ErrMethod)
	}
	if opts.Parallel < 0 {
		return nil, fmt.Errorf("solvers: race: Parallel = %d: %w", opts.Parallel, ErrMethod)
	}
	start := opts.Start
	if start == nil {
		start = net.Init(rand.New(rand.NewPCG(opts.Seed, 0x72616365)))
	} else {
		if err := net.CheckWeights(start); err != nil {
			return nil, fmt.Errorf("solvers: race: start: %w", err)
		}
		start = start.Clone()
	}
	par := opts.Parallel
	if par == 0 {
		par = min(runtime.GOMAXPROCS(0), len(methods))
	}
	J := net.NumBlocks()
	entries := make([]RaceEntry, len(methods))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, m := range methods {
		e := &entries[i]
		e.Method, e.Certified = m, m.Certified()
		s := Settings{Seed: opts.Seed, TimeBudget: budget.Time, MaxIter: math.MaxInt32}
		if budget.Updates > 0 {
			s.MaxIter = budget.Updates
			if m.Blocks == Jacobi {
				s.MaxIter = max(1, budget.Updates/J)
			}
		}
		// The recorder comes first so that it sees the record on which the
		// budget stops the run; each run has its own.
		s.Convergers = []Converger{evalRecorder{&e.Evaluations}}
		if budget.Evaluations > 0 {
			s.Convergers = append(s.Convergers, EvaluationBudget{Max: budget.Evaluations})
		}
		// A run's own check (newRun) also runs inside Minimize; doing it here
		// refuses a bad method without taking a slot.
		if err := m.Validate(); err != nil {
			e.Err = fmt.Errorf("solvers: race: %v: %w", m, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := Minimize(ctx, net, data, start, m, s)
			if err != nil {
				err = fmt.Errorf("solvers: race: %v: %w", m, err)
			}
			e.Result, e.Err = res, err
		}()
	}
	wg.Wait()
	for i := range entries {
		e := &entries[i]
		if e.Result == nil {
			continue
		}
		e.Certified = e.Result.Certified
		per := 1
		if e.Method.Blocks == Jacobi {
			per = J
		}
		e.Updates = per * len(e.Result.History)
		if opts.Target > 0 {
			for k, rec := range e.Result.History {
				if !math.IsNaN(rec.NormMSE) && rec.F <= opts.Target { // a full evaluation
					e.Reached, e.TimeToTarget, e.UpdatesToTarget = true, rec.Elapsed, per*(k+1)
					break
				}
			}
		}
	}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ea, eb := &entries[a], &entries[b]
		if fa, fb := ea.Failed(), eb.Failed(); fa != fb {
			if fa {
				return 1
			}
			return -1
		} else if fa {
			return 0
		}
		return cmp.Compare(ea.Result.F, eb.Result.F)
	})
	out := &RaceResult{Start: start, Entries: make([]RaceEntry, len(entries))}
	for r, i := range order {
		out.Entries[r] = entries[i]
		out.Entries[r].Rank = r + 1
	}
	for i := range out.Entries {
		e := &out.Entries[i]
		if !e.Failed() && (e.Certified || opts.AllowUncertified) {
			out.Best = e
			break
		}
	}
	return out, nil
}

// evalRecorder is a Converger that never stops a run: it keeps the run's
// Progress.Evaluations in *n. It belongs to one run (not safe for
// concurrent use).
type evalRecorder struct{ n *int }

func (c evalRecorder) Converged(p *Progress) (Status, string) {
	*c.n = p.Evaluations
	return NotStopped, ""
}

// WriteTable writes the ranking as an aligned text table: rank, method, final
// f and normalised MSE, block updates, evaluations (network passes, the
// unit of Budget.Evaluations) and their breakdown by kind (objectives,
// gradients, curvature-vector products, explicit matrices; Result.Stats),
// status, certified, wall time, and the
// time and updates to the target when one was set (target > 0). A "*" marks
// the winner.
func (r *RaceResult) WriteTable(w io.Writer, target float64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "rank\tmethod\tfinal f\tnMSE\tupdates\tevals\tf/∇f/Hv·Gv/mat\tstatus\tcertified\ttime"
	if target > 0 {
		head += fmt.Sprintf("\tto f≤%g", target)
	}
	fmt.Fprintln(tw, head)
	for i := range r.Entries {
		e := &r.Entries[i]
		mark := ""
		if e == r.Best {
			mark = " *"
		}
		cert := "no"
		if e.Certified {
			cert = "yes"
		}
		if e.Result == nil {
			fmt.Fprintf(tw, "%d\t%v\t-\t-\t0\t0\t-\trefused: %v\t%s\t-", e.Rank, e.Method, e.Err, cert)
		} else {
			status := e.Result.Status.String()
			if e.Err != nil {
				status += ": " + e.Err.Error()
			}
			st := &e.Result.Stats
			kinds := fmt.Sprintf("%d/%d/%d/%d", st.Objective, st.Gradient, st.HVP+st.GaussNewton, st.Hessian+st.GaussNewtonMatrix)
			fmt.Fprintf(tw, "%d%s\t%v\t%.6g\t%.6g\t%d\t%d\t%s\t%s\t%s\t%s", e.Rank, mark, e.Method, e.Result.F, e.Result.NormMSE, e.Updates, e.Evaluations, kinds, status, cert, e.Result.Elapsed.Round(time.Millisecond))
		}
		if target > 0 {
			if e.Reached {
				fmt.Fprintf(tw, "\t%s (%d updates)", e.TimeToTarget.Round(time.Millisecond), e.UpdatesToTarget)
			} else {
				fmt.Fprint(tw, "\tnot reached")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("solvers: race table: %w", err)
	}
	return nil
}

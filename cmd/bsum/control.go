package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/solvers"
)

// controlFlags are the run-control flags of bsum train: validation, early
// stopping, the trainlm-like stop rules and the log.
type controlFlags struct {
	valFrac   float64
	patience  int
	goal      float64
	ftol      float64
	gtol      float64
	gammaMax  float64
	logEvery  int
	evalEvery int
}

// addControlFlags declares the run-control flags on fl.
func addControlFlags(cmd *cobra.Command, c *controlFlags) {
	fl := cmd.Flags()
	fl.Float64Var(&c.valFrac, "val-frac", 0, "hold out this `share` of the training rows (0 < share < 1, drawn with --seed) as a validation set, evaluated at every record (0: none)")
	fl.IntVar(&c.patience, "patience", 0, "stop once the validation loss has not improved for `N` records and keep the best weights seen (needs --val-frac; 0: never)")
	fl.Float64Var(&c.goal, "goal", 0, "stop once f ≤ `F` on the whole training set (trainlm's goal; default: no goal)")
	fl.Float64Var(&c.ftol, "ftol", 0, "stop once f changed by at most `T`·|f| over one sweep of the blocks (0 ≤ T < 1; 0: never)")
	fl.Float64Var(&c.gtol, "gtol", 0, "stop once every block's gradient norm ‖∇_j f‖ ≤ `T` (0: never)")
	fl.Float64Var(&c.gammaMax, "gamma-max", 0, "stop once LM's damping γ reaches `G` (trainlm's mu_max; lm and lm-hessian only; 0: never)")
	fl.IntVar(&c.evalEvery, "eval-every", 1, "evaluate f and the normalised MSE on the whole training set (and the validation set) every `N` iterations and at the last; the other records hold batch values (for mini-batch runs on large data)")
	fl.IntVar(&c.logEvery, "log-every", 0, "write a log line (iteration, f, validation metric, ‖∇f‖, α, γ) to standard error every `N` records, instead of the progress bar (0: no log)")
}

// validateControl checks the run-control flags (usage errors, exit 2);
// solver is the --solver name in lower case.
func validateControl(cmd *cobra.Command, c *controlFlags, w io.Writer, solver string) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	changed := cmd.Flags().Changed
	if changed("val-frac") && !(c.valFrac > 0 && c.valFrac < 1) {
		return usageErrorf("--val-frac must lie strictly between 0 and 1 (e.g. 0.2), got %v", c.valFrac)
	}
	if c.patience < 0 {
		return usageErrorf("--patience must be ≥ 0, got %d", c.patience)
	}
	if c.patience > 0 && !changed("val-frac") {
		return usageErrorf("--patience %d needs a validation set to watch: add --val-frac, e.g. --val-frac 0.2", c.patience)
	}
	if changed("goal") && (!finite(c.goal) || c.goal < 0) {
		return usageErrorf("--goal must be a finite number ≥ 0 (the objective f is not negative), got %v", c.goal)
	}
	if !finite(c.ftol) || c.ftol < 0 || c.ftol >= 1 {
		return usageErrorf("--ftol must be a number with 0 ≤ T < 1 (a relative change; T ≥ 1 would stop at once), got %v", c.ftol)
	}
	if !finite(c.gtol) || c.gtol < 0 {
		return usageErrorf("--gtol must be a finite number ≥ 0, got %v", c.gtol)
	}
	if !finite(c.gammaMax) || c.gammaMax < 0 {
		return usageErrorf("--gamma-max must be a finite number > 0, got %v", c.gammaMax)
	}
	if changed("gamma-max") && c.gammaMax == 0 {
		return usageErrorf("--gamma-max must be > 0, got 0 (leave it out for no ceiling)")
	}
	if changed("eval-every") && c.evalEvery < 1 { // 0 from a command without the flag means the default, 1
		return usageErrorf("--eval-every must be at least 1, got %d", c.evalEvery)
	}
	if c.logEvery < 0 {
		return usageErrorf("--log-every must be ≥ 0, got %d", c.logEvery)
	}
	if c.gammaMax > 0 && solver != "lm" && solver != "lm-hessian" {
		fmt.Fprintf(w, "bsum: note: --gamma-max is ignored by solver %s (it bounds the adaptive damping of lm and lm-hessian)\n", solver)
		c.gammaMax = 0
	}
	return nil
}

// convergers returns the stop rules the flags ask for, in a fixed order.
func (c *controlFlags) convergers(goalSet bool) []solvers.Converger {
	var cv []solvers.Converger
	if goalSet {
		cv = append(cv, solvers.Goal{F: c.goal})
	}
	if c.ftol > 0 {
		cv = append(cv, solvers.RelativeChange{Tol: c.ftol})
	}
	if c.gtol > 0 {
		cv = append(cv, solvers.GradientNorm{Tol: c.gtol})
	}
	if c.gammaMax > 0 {
		cv = append(cv, solvers.DampingCeiling{Max: c.gammaMax})
	}
	return cv
}

// showProgressBar decides whether the progress bar is drawn: on a terminal,
// unless --quiet, and not when --log-every writes log lines to the same
// stream (the bar's carriage returns would garble them).
func showProgressBar(quiet bool, logEvery int, terminal bool) bool {
	return terminal && !quiet && logEvery == 0
}

// weightsLine says which iteration's weights a Result holds.
func weightsLine(res *solvers.Result) string {
	last := res.Last().K
	switch {
	case res.Status == solvers.EarlyStopped && res.Best != nil:
		return fmt.Sprintf("iteration %d (best validation loss %.6g; early stopping after iteration %d)", res.Best.K, res.Best.ValLoss, last)
	case res.Status == solvers.Failed:
		return fmt.Sprintf("the last finite ones (iteration %d)", last)
	case res.Best != nil && res.Best.K != last:
		return fmt.Sprintf("iteration %d (the last; the best validation loss %.6g was at iteration %d)", last, res.Best.ValLoss, res.Best.K)
	}
	return fmt.Sprintf("iteration %d (the last)", last)
}

// statsLine formats the evaluation counts of a run.
func statsLine(s solvers.Stats) string {
	parts := []string{
		fmt.Sprintf("objective %d", s.Objective),
		fmt.Sprintf("gradient %d", s.Gradient),
	}
	for _, p := range []struct {
		name string
		n    int
	}{{"HVP", s.HVP}, {"Gauss-Newton products", s.GaussNewton}, {"Hessians", s.Hessian}, {"Gauss-Newton matrices", s.GaussNewtonMatrix}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.name, p.n))
		}
	}
	parts = append(parts, fmt.Sprintf("full data set %d", s.FullEvaluations))
	if s.Validation > 0 {
		parts = append(parts, fmt.Sprintf("validation %d", s.Validation))
	}
	return strings.Join(parts, ", ")
}

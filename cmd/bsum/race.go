package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

// raceFlags are the flags of bsum race: the data and network flags of train
// (reused through trainFlags) plus the race's own.
type raceFlags struct {
	train    trainFlags
	solvers  string
	iters    int
	evals    int
	targetF  float64
	parallel int
}

// defaultRaceUpdates is the block-update budget when none of --iters,
// --evals and --time is given.
const defaultRaceUpdates = 200

func newRaceCmd() *cobra.Command {
	var f raceFlags
	cmd := &cobra.Command{
		Use:   "race --data FILE.csv|bodyfat --solvers LIST [--iters N | --evals N | --time D] [flags]",
		Short: "Run several solvers from one start under one budget and rank them",
		Long: fmt.Sprintf(`Run every solver of --solvers on the same data, from the same starting weights
(drawn with --seed), under the same budget per solver: --iters block updates
(Jacobi counts all J blocks of an iteration), --evals evaluations, --time of
wall time, or several (a run stops at the first one reached; without any,
--iters %d). Solvers run concurrently, as many at once as there are cores
(--parallel).

--evals counts the derivative work of a solver in network passes over the
batch: an objective f 1, a block gradient 1, a Hessian- or
Gauss-Newton-vector product 2, an explicit P×P block matrix 2·P (the P
products that would build it; P is the block's number of weights). Full-set
evaluations for the ranking are not counted. This charges first- and
second-order solvers alike for what they compute; a run stops after the
iteration that reaches the budget.

The ranking is by final objective f on the whole data set; its columns give
the block updates, the evaluations (evals) and their counts by kind
(objectives/gradients/curvature products/explicit matrices), the status,
whether the solver is certified, the wall time and, with --target-f, when f
first reached it. With --iters or --evals (and no --time) the ranking and
every number but the times are reproducible for a given --seed, however
many run at once. Only solvers covered by the paper's convergence
theory ("certified") can win, unless --uncertified is given; the others are
still run and ranked. --save writes the winner's model.

--solvers lists solvers as name or name:step, e.g. lm,gd,bp:harmonic:1,adagrad
or bp:recursive:1,0.99 (numbers after a comma continue the step's
parameters). The data, network and solver-parameter flags are those of
'bsum train'.`, defaultRaceUpdates),
		Example: `  bsum race --data bodyfat --solvers lm,gd,bp:harmonic:1,adagrad --time 10s
  bsum race --data bodyfat --solvers lm,gd,bp:armijo --iters 300 --target-f 0.01 --save best.json
  bsum race --data bodyfat --solvers lm,hf,gd,bp:armijo --evals 20000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return race(cmd.Context(), cmd, &f)
		},
	}
	t := &f.train
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&t.data, "data", "", "training data: a CSV file with a header row, - for standard input, or bodyfat for the embedded data set (required)")
	fl.StringVar(&t.target, "target", "", "target column (required, except for --data bodyfat)")
	fl.StringSliceVar(&t.features, "features", nil, "feature columns, comma-separated (default: every column but the target)")
	fl.StringVar(&t.kind, "kind", models.KindMLP, "network kind: mlp, deep-linear or conv")
	fl.StringVar(&t.arch, "arch", "", "layer sizes d0-d1-…-dJ (default for bodyfat: 13-10-10-10-1)")
	fl.StringVar(&t.activation, "activation", "logistic", "hidden activation, with optional parameters as name:a")
	fl.StringVar(&t.output, "output-activation", "", "output activation (default: --activation)")
	fl.BoolVar(&t.bias, "bias", false, "add a bias to every layer")
	fl.StringVar(&t.loss, "loss", losses.NameL2, "loss: "+strings.Join(losses.Names(), ", "))
	fl.Float64SliceVar(&t.lossParams, "loss-param", nil, "loss parameter c (exponential, squared-hinge)")
	fl.StringVar(&f.solvers, "solvers", "", "solvers to race, comma-separated, each name or name:step (required), e.g. lm,gd,bp:harmonic:1,adagrad")
	fl.BoolVar(&t.uncertified, "uncertified", false, "accept step rules that violate condition (8) and let uncertified solvers win")
	fl.Float64Var(&t.gamma, "gamma", 0, "γ of gd and proxl1 (0: default 1)")
	fl.Float64Var(&t.lambda, "lambda", 0, "λ of proxl1 (0: default 1e-3)")
	fl.Float64Var(&t.eta, "eta", 0, "rate of adagrad (0: default 0.1)")
	fl.StringVar(&t.blocks, "blocks", "cyclic", "block rule of every solver: "+strings.Join(catalogNames("blocks"), ", "))
	fl.StringVar(&t.batch, "batch", "0", "batch size of every solver: 0 for the full data set, B, or growing")
	fl.IntVar(&f.iters, "iters", 0, fmt.Sprintf("block updates per solver (default %d when --time is not given)", defaultRaceUpdates))
	fl.IntVar(&f.evals, "evals", 0, "evaluations per solver, in network passes (f 1, gradient 1, curvature product 2, P×P block matrix 2·P)")
	fl.DurationVar(&t.budget, "time", 0, "wall time per solver, e.g. 10s")
	fl.Float64Var(&f.targetF, "target-f", 0, "report when each solver first reaches f ≤ this value (0: not reported)")
	fl.IntVar(&f.parallel, "parallel", 0, "solvers run at once (0: the number of cores)")
	fl.Uint64Var(&t.seed, "seed", 1, "seed of the common start, batches and random blocks")
	fl.Float64Var(&t.tikhonov, "tikhonov", 0, "λ of a Tikhonov term λ‖W_j‖² on every block")
	fl.Float64Var(&t.l1, "l1", 0, "λ of an L1 term λ‖W_j‖₁ on every block")
	fl.StringVar(&t.save, "save", "", "write the winner's model as JSON")
	// train's helpers read --solver and --step; in a race they are set per
	// item of --solvers.
	fl.StringVar(&t.solver, "solver", "", "")
	fl.StringVar(&t.step, "step", "", "")
	_ = fl.MarkHidden("solver")
	_ = fl.MarkHidden("step")
	return cmd
}

// raceEntry is one item of --solvers.
type raceEntry struct{ spec, solver, step string }

// parseRaceSolvers splits --solvers into name[:step] items; a piece that is
// a number continues the previous item's step parameters (recursive:1,0.99).
func parseRaceSolvers(s string) ([]raceEntry, error) {
	var items []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if _, err := strconv.ParseFloat(p, 64); err == nil && len(items) > 0 && strings.Contains(items[len(items)-1], ":") {
			items[len(items)-1] += "," + p
			continue
		}
		if p == "" {
			return nil, fmt.Errorf("empty item in %s", q(s))
		}
		items = append(items, p)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no solvers")
	}
	out := make([]raceEntry, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		low := strings.ToLower(it)
		if seen[low] {
			return nil, fmt.Errorf("%s is listed twice", q(it))
		}
		seen[low] = true
		name, step, _ := strings.Cut(low, ":")
		out[i] = raceEntry{spec: it, solver: strings.TrimSpace(name), step: strings.TrimSpace(step)}
	}
	return out, nil
}

func race(ctx context.Context, cmd *cobra.Command, f *raceFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if strings.TrimSpace(f.solvers) == "" {
		return usageErrorf("missing --solvers: list the solvers to race, e.g. --solvers lm,gd,bp:harmonic:1,adagrad")
	}
	entries, err := parseRaceSolvers(f.solvers)
	if err != nil {
		return usageErrorf("--solvers: %w", err)
	}
	if f.iters < 0 {
		return usageErrorf("--iters must be ≥ 0, got %d", f.iters)
	}
	if f.evals < 0 {
		return usageErrorf("--evals must be ≥ 0, got %d", f.evals)
	}
	if f.parallel < 0 {
		return usageErrorf("--parallel must be ≥ 0, got %d", f.parallel)
	}
	if !(f.targetF >= 0) {
		return usageErrorf("--target-f must be ≥ 0, got %v", f.targetF)
	}
	budget := solvers.Budget{Time: f.train.budget, Updates: f.iters, Evaluations: f.evals}
	if budget.Updates == 0 && budget.Time == 0 && budget.Evaluations == 0 {
		budget.Updates = defaultRaceUpdates
	}
	t := &f.train
	t.iters = max(1, budget.Updates) // prepareTrain checks it; the race uses budget
	// Every item is parsed before the data are read, so that a bad item is
	// named as an item of --solvers.
	methods := make([]solvers.BSUM, len(entries))
	for i, e := range entries {
		t.solver, t.step = e.solver, e.step
		if methods[i], err = parseMethod(cmd, t); err != nil {
			return fmt.Errorf("--solvers item %s: %w", q(e.spec), err)
		}
	}
	t.solver, t.step = entries[0].solver, entries[0].step
	setup, err := prepareTrain(cmd, t)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if methods[i].Batches.Size > setup.set.N {
			return usageErrorf("--batch %d exceeds the %d rows of the data", methods[i].Batches.Size, setup.set.N)
		}
		methods[i].Name = e.spec + " (" + methods[i].String() + ")"
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bsum: interrupted before the race started")
		return errReported{exitInterrupted}
	}
	data := solvers.Data{X: setup.set.X, Y: setup.set.Y, N: setup.set.N}
	res, err := solvers.Race(ctx, setup.net, data, methods, budget, solvers.RaceOptions{
		Seed: t.seed, Parallel: f.parallel, Target: f.targetF, AllowUncertified: t.uncertified,
	})
	if err != nil {
		return failure(err)
	}
	if err := res.WriteTable(stdout, f.targetF); err != nil {
		return failure(err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bsum: race interrupted; the ranking is of the runs as they stood")
	}
	if res.Best == nil {
		why := "no certified solver finished (add --uncertified to let the others win)"
		if t.uncertified {
			why = "no solver finished"
		}
		fmt.Fprintf(stderr, "bsum: no winner: %s\n", why)
		return errReported{exitFailure}
	}
	best := res.Best
	fmt.Fprintf(stdout, "winner:      %s (f = %.6g, %s)\n", best.Method, best.Result.F, best.Result.Status)
	if t.save != "" {
		t.solver = entries[indexOfMethod(methods, best.Method.Name)].solver
		setup.method = best.Method
		if err := saveModel(t.save, t, setup, best.Result); err != nil {
			fmt.Fprintf(stderr, "bsum: saving the winner: %v\n", err)
			return errReported{exitFailure}
		}
		fmt.Fprintf(stdout, "model:       %s\n", t.save)
	}
	if ctx.Err() != nil {
		return errReported{exitInterrupted}
	}
	return nil
}

func indexOfMethod(ms []solvers.BSUM, name string) int {
	for i, m := range ms {
		if m.Name == name {
			return i
		}
	}
	return 0
}

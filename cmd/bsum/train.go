package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// bodyFatName is the --data value that selects the embedded data set.
const bodyFatName = "bodyfat"

// trainFlags are the flags of bsum train.
type trainFlags struct {
	data, target  string
	features      []string
	kind, arch    string
	activation    string
	output        string
	bias          bool
	loss          string
	lossParams    []float64
	solver, step  string
	gamma, lambda float64
	eta           float64
	blocks, batch string
	uncertified   bool
	iters         int
	tol           float64
	budget        time.Duration
	seed          uint64
	tikhonov, l1  float64
	plot, history string
	save          string
	quiet         bool
}

// testHookRecord, if set, sees every record of a training run (tests use it
// to interrupt a run at a known iteration).
var testHookRecord func(solvers.Record)

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --data FILE.csv|bodyfat --target COLUMN --arch SIZES [flags]",
		Short: "Train a network on a CSV file with a BSUM solver",
		Long: `Train a network on the numeric CSV file --data (or, with --data bodyfat, on the
embedded BodyFat data set) to predict the column --target from the --features
columns (default: every other column; for bodyfat its 13 body measurements).

Features are standardised; the target is min-max scaled into the range of the
output activation ([0,1] for logistic, [-1,1] for tanh, unchanged otherwise).
--arch lists the layer sizes: the first must be the number of features and the
last the number of targets (1). Solvers, step rules and block rules are listed
by 'bsum solvers'.

Ctrl-C stops the run cleanly; the model reached so far is saved with --save
and the exit code is 130.`,
		Example: `  bsum train --data bodyfat --arch 13-10-10-10-1 --solver lm --iters 500 --save model.json
  bsum train --data houses.csv --target price --features area,rooms --arch 2-8-1 \
      --activation tanh --output-activation identity --bias --solver bp --step harmonic:1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return train(cmd.Context(), cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "training data: a CSV file with a header row, - for standard input, or bodyfat for the embedded data set (required)")
	fl.StringVar(&f.target, "target", "", "target column (required, except for --data bodyfat)")
	fl.StringSliceVar(&f.features, "features", nil, "feature columns, comma-separated (default: every column but the target)")
	fl.StringVar(&f.kind, "kind", models.KindMLP, "network kind: mlp, deep-linear or conv")
	fl.StringVar(&f.arch, "arch", "", "layer sizes d0-d1-…-dJ, e.g. 13-10-10-10-1 (default for bodyfat: 13-10-10-10-1)")
	fl.StringVar(&f.activation, "activation", "logistic", "hidden activation, with optional parameters as name:a (e.g. leakyrelu:0.1)")
	fl.StringVar(&f.output, "output-activation", "", "output activation (default: --activation)")
	fl.BoolVar(&f.bias, "bias", false, "add a bias to every layer")
	fl.StringVar(&f.loss, "loss", losses.NameL2, "loss: "+strings.Join(losses.Names(), ", "))
	fl.Float64SliceVar(&f.lossParams, "loss-param", nil, "loss parameter c (exponential, squared-hinge)")
	fl.StringVar(&f.solver, "solver", "lm", "solver: "+strings.Join(catalogNames("solver"), ", "))
	fl.StringVar(&f.step, "step", "", "step-size rule, e.g. harmonic:1, recursive:1,0.99, armijo (default: the solver's)")
	fl.BoolVar(&f.uncertified, "uncertified", false, "run a step rule that violates the paper's condition (8) anyway")
	fl.Float64Var(&f.gamma, "gamma", 0, "γ of gd and proxl1 (0: default 1)")
	fl.Float64Var(&f.lambda, "lambda", 0, "λ of proxl1 (0: default 1e-3)")
	fl.Float64Var(&f.eta, "eta", 0, "rate of adagrad (0: default 0.1)")
	fl.StringVar(&f.blocks, "blocks", "cyclic", "block rule: "+strings.Join(catalogNames("blocks"), ", "))
	fl.StringVar(&f.batch, "batch", "0", "batch size: 0 for the full data set, B for B random samples, or growing for B=min(k,N)")
	fl.IntVar(&f.iters, "iters", 500, "maximum number of iterations")
	fl.Float64Var(&f.tol, "tol", 0, "stop once every block's ‖D_j − W_j‖ ≤ tol (0: never)")
	fl.DurationVar(&f.budget, "time", 0, "stop after this wall time, e.g. 30s (0: no limit)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights, batches and random blocks")
	fl.Float64Var(&f.tikhonov, "tikhonov", 0, "λ of a Tikhonov term λ‖W_j‖² on every block")
	fl.Float64Var(&f.l1, "l1", 0, "λ of an L1 term λ‖W_j‖₁ on every block")
	fl.StringVar(&f.plot, "plot", "", "write a plot of the normalised MSE per iteration (PNG)")
	fl.StringVar(&f.history, "history", "", "write every iteration as CSV")
	fl.StringVar(&f.save, "save", "", "write the trained model as JSON")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// trainSetup is everything a run needs, resolved from the flags and data.
type trainSetup struct {
	spec    models.Spec
	net     *graph.Net
	set     *dataset.Set
	method  solvers.BSUM
	outName string // canonical output activation name
}

func train(ctx context.Context, cmd *cobra.Command, f *trainFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	setup, err := prepareTrain(cmd, f)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bsum: interrupted before training started")
		return errReported{exitInterrupted}
	}

	bar := newProgress(stderr, f.iters, f.quiet)
	settings := solvers.Settings{
		MaxIter:         f.iters,
		StationarityTol: f.tol,
		TimeBudget:      f.budget,
		Seed:            f.seed,
		Callback: func(r solvers.Record) error {
			bar.update(r)
			if testHookRecord != nil {
				testHookRecord(r)
			}
			return nil
		},
	}
	data := solvers.Data{X: setup.set.X, Y: setup.set.Y, N: setup.set.N}
	res, runErr := solvers.Minimize(ctx, setup.net, data, nil, setup.method, settings)
	bar.done()
	if res == nil { // the run did not start
		return failure(fmt.Errorf("training could not start: %w", runErr))
	}

	interrupted := res.Status == solvers.Canceled
	failed := !interrupted && (runErr != nil || res.Status == solvers.Failed)
	if failed {
		if runErr == nil {
			runErr = errors.New("training failed")
		}
		fmt.Fprintf(stderr, "bsum: training failed: %v\n", runErr)
	}
	if interrupted {
		fmt.Fprintf(stderr, "bsum: interrupted after %d iterations\n", res.Last().K)
	}

	written, writeErr := writeTrainOutputs(f, setup, res)
	printSummary(stdout, f, setup, res, written)
	if writeErr != nil {
		fmt.Fprintf(stderr, "bsum: %v\n", writeErr)
	}
	if f.save != "" && slices.Contains(written, f.save) {
		switch {
		case failed:
			fmt.Fprintf(stderr, "bsum: saved the last finite weights to %s\n", f.save)
		case interrupted:
			fmt.Fprintf(stderr, "bsum: saved the weights reached so far to %s\n", f.save)
		}
	}
	switch {
	case failed || writeErr != nil:
		return errReported{exitFailure}
	case interrupted:
		return errReported{exitInterrupted}
	}
	return nil
}

// prepareTrain checks the flags, loads the data and builds the network and
// the solver. Flag problems are usage errors; data problems failures.
func prepareTrain(cmd *cobra.Command, f *trainFlags) (*trainSetup, error) {
	stderr := cmd.ErrOrStderr()
	// Flags that need no data first, so that typos fail fast.
	if f.data == "" {
		return nil, usageErrorf("missing --data: give a CSV file with a header row, or bodyfat for the embedded data set")
	}
	bodyfat := f.data == bodyFatName
	if f.target == "" {
		if !bodyfat {
			return nil, usageErrorf("missing --target: name the column of %s to predict", f.data)
		}
		f.target = dataset.BodyFatTarget
	}
	if len(f.features) == 0 && bodyfat && f.target == dataset.BodyFatTarget {
		f.features = dataset.BodyFatFeatures()
	}
	for i, name := range f.features {
		f.features[i] = strings.TrimSpace(name)
	}
	if f.arch == "" && bodyfat {
		f.arch = "13-10-10-10-1"
	}
	var sizes []int
	if f.arch != "" {
		var err error
		if sizes, err = models.ParseSizes(f.arch); err != nil {
			return nil, usageErrorf("--arch: %w", err)
		}
	}
	kind := strings.ToLower(f.kind)
	if kind != models.KindMLP && kind != models.KindDeepLinear && kind != models.KindConv {
		return nil, usageErrorf("unknown --kind %q (want %s, %s or %s)", f.kind, models.KindMLP, models.KindDeepLinear, models.KindConv)
	}
	hidden, err := parseActivation("--activation", f.activation)
	if err != nil {
		return nil, err
	}
	out := hidden
	if f.output != "" {
		if out, err = parseActivation("--output-activation", f.output); err != nil {
			return nil, err
		}
	}
	if kind == models.KindDeepLinear {
		out = layers.Identity()
	}
	lossName := strings.ToLower(strings.TrimSpace(f.loss))
	if _, err := losses.ByName(lossName, f.lossParams...); err != nil {
		return nil, usageErrorf("--loss: %w", err)
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"--tikhonov", f.tikhonov}, {"--l1", f.l1}, {"--tol", f.tol}, {"--gamma", f.gamma}, {"--lambda", f.lambda}, {"--eta", f.eta}} {
		if !(c.v >= 0) || math.IsInf(c.v, 0) {
			return nil, usageErrorf("%s must be a finite number ≥ 0, got %v", c.name, c.v)
		}
	}
	if f.iters < 1 {
		return nil, usageErrorf("--iters must be at least 1, got %d", f.iters)
	}
	if f.budget < 0 {
		return nil, usageErrorf("--time must be ≥ 0, got %v", f.budget)
	}
	method, err := parseMethod(cmd, f)
	if err != nil {
		return nil, err
	}
	if err := checkOutputs(f); err != nil {
		return nil, err
	}

	// The data.
	var columns []string // with --features, other columns need not be numeric
	if len(f.features) > 0 {
		columns = append(append(columns, f.features...), f.target)
	}
	tab, err := loadTable(f.data, cmd.InOrStdin(), columns)
	if err != nil {
		return nil, failure(dataError(f.data, err))
	}
	cfg := dataset.Config{Features: f.features, Targets: []string{f.target}}
	switch out.Name() {
	case "logistic":
		cfg.Target, cfg.Range = dataset.TargetMinMax, dataset.RangeLogistic
	case "tanh":
		cfg.Target, cfg.Range = dataset.TargetMinMax, dataset.RangeTanh
	default:
		cfg.Target = dataset.TargetIdentity
	}
	set, err := tab.Build(cfg)
	if err != nil {
		if errors.Is(err, dataset.ErrUnknownColumn) || errors.Is(err, dataset.ErrDuplicateColumn) || errors.Is(err, dataset.ErrNoColumns) {
			return nil, usageErrorf("%w (columns of %s: %s)", err, tab.Name, strings.Join(tab.Columns, ", "))
		}
		return nil, failure(err)
	}
	if sizes == nil {
		return nil, usageErrorf("missing --arch: give layer sizes from %d (features) to %d (targets), e.g. %d-10-%d", set.In, set.Out, set.In, set.Out)
	}
	if first, last := sizes[0], sizes[len(sizes)-1]; first != set.In || last != set.Out {
		var why []string
		if first != set.In {
			why = append(why, fmt.Sprintf("its first size is %d but there are %d features (%s)", first, set.In, strings.Join(set.FeatureNames, ", ")))
		}
		if last != set.Out {
			why = append(why, fmt.Sprintf("its last size is %d but there are %d targets (%s)", last, set.Out, strings.Join(set.TargetNames, ", ")))
		}
		return nil, usageErrorf("--arch %s does not fit the data: %s; use e.g. --arch %d-10-%d", f.arch, strings.Join(why, " and "), set.In, set.Out)
	}
	if method.Batches.Size > set.N {
		return nil, usageErrorf("--batch %d exceeds the %d rows of %s", method.Batches.Size, set.N, tab.Name)
	}

	spec := models.Spec{
		Kind: kind, Sizes: sizes,
		Bias: f.bias,
		Loss: lossName, LossParams: f.lossParams,
		Tikhonov: f.tikhonov, L1: f.l1,
	}
	if kind != models.KindDeepLinear {
		spec.Activation, spec.ActivationParams = hidden.Name(), activationParams(hidden)
		if f.output != "" {
			spec.Output, spec.OutputParams = out.Name(), activationParams(out)
		}
	}
	net, err := spec.Net()
	if err != nil {
		return nil, usage(err)
	}
	warnIgnored(cmd, stderr, method)
	return &trainSetup{spec: spec, net: net, set: set, method: method, outName: out.Name()}, nil
}

// parseMethod resolves --solver, --step, --blocks, --batch and the solver
// parameters.
func parseMethod(cmd *cobra.Command, f *trainFlags) (solvers.BSUM, error) {
	var o solvers.Options
	if f.step != "" {
		step, err := solvers.ParseStep(f.step)
		if err != nil {
			return solvers.BSUM{}, usageErrorf("--step: %w", err)
		}
		o.Step = step
	}
	blocks, err := solvers.ParseBlocks(strings.TrimSpace(f.blocks))
	if err != nil {
		return solvers.BSUM{}, usageErrorf("--blocks: %w", err)
	}
	o.Blocks = blocks
	switch b := strings.ToLower(strings.TrimSpace(f.batch)); b {
	case "0", "full", "":
		o.Batches = solvers.FullBatch()
	case "growing":
		o.Batches = solvers.GrowingBatch()
	default:
		n, err := strconv.Atoi(b)
		if err != nil || n < 0 {
			return solvers.BSUM{}, usageErrorf("--batch %q: want 0 (full data set), a positive batch size, or growing", f.batch)
		}
		o.Batches = solvers.FixedBatch(n)
	}
	o.Gamma, o.Lambda, o.Eta = f.gamma, f.lambda, f.eta
	o.Uncertified = f.uncertified
	name := strings.ToLower(strings.TrimSpace(f.solver))
	m, err := solvers.ByName(name, o)
	if err != nil {
		if errors.Is(err, solvers.ErrCondition8) {
			return solvers.BSUM{}, usageErrorf("--solver %s --step %s: %w; choose a step rule that satisfies (8), e.g. harmonic:1, or add --uncertified", name, f.step, err)
		}
		return solvers.BSUM{}, usageErrorf("--solver: %w", err)
	}
	return m, nil
}

// warnIgnored notes solver parameters that the chosen solver does not read.
func warnIgnored(cmd *cobra.Command, w io.Writer, m solvers.BSUM) {
	solver := strings.ToLower(strings.TrimSpace(cmd.Flag("solver").Value.String()))
	reads := map[string][]string{
		"gamma":  {"gd", "proxl1"},
		"lambda": {"proxl1"},
		"eta":    {"adagrad"},
	}
	for flag, users := range reads {
		if cmd.Flags().Changed(flag) && !slices.Contains(users, solver) {
			fmt.Fprintf(w, "bsum: note: --%s is ignored by solver %s (it is read by %s)\n", flag, solver, strings.Join(users, ", "))
		}
	}
	if cmd.Flags().Changed("step") && solver == "bp-clr" {
		if _, ok := m.Step.(solvers.Constant); !ok {
			fmt.Fprintf(w, "bsum: note: bp-clr reads only --step const:C; --step %s is ignored\n", cmd.Flag("step").Value)
		}
	}
}

// parseActivation reads "name", "name:a,b" or "name(a,b)".
func parseActivation(flag, s string) (layers.Activation, error) {
	name, params, err := parseNameParams(s)
	if err != nil {
		return nil, usageErrorf("%s %q: %w", flag, s, err)
	}
	act, err := layers.ActivationByName(name, params...)
	if err != nil {
		return nil, usageErrorf("%s: %w", flag, err)
	}
	return act, nil
}

func parseNameParams(s string) (string, []float64, error) {
	s = strings.TrimSpace(s)
	name, arg, ok := strings.Cut(s, ":")
	if !ok {
		if i := strings.IndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
			name, arg = s[:i], s[i+1:len(s)-1]
		}
	}
	var params []float64
	if strings.TrimSpace(arg) != "" {
		for _, p := range strings.Split(arg, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return "", nil, fmt.Errorf("parameter %q is not a number", p)
			}
			params = append(params, v)
		}
	}
	return strings.TrimSpace(name), params, nil
}

// activationParams returns the parameters of an activation, if it has any.
func activationParams(a layers.Activation) []float64 {
	if p, ok := a.(interface{ Params() []float64 }); ok {
		return p.Params()
	}
	return nil
}

// loadTable reads --data: the embedded BodyFat set, standard input or a file.
// loadTable reads the --data table. With columns, only those are parsed
// and the file's other columns may hold anything (ids, dates, notes).
func loadTable(path string, stdin io.Reader, columns []string) (*dataset.Table, error) {
	switch {
	case path == bodyFatName:
		return dataset.BodyFat()
	case path == "-" && columns != nil:
		return dataset.ReadCSVColumns(stdin, "<stdin>", columns)
	case path == "-":
		return dataset.ReadCSV(stdin, "<stdin>")
	case columns != nil:
		return dataset.LoadCSVColumns(path, columns)
	}
	return dataset.LoadCSV(path)
}

// dataError adds a hint to an error opening the --data file; errors about
// its contents already name the file, line and column.
func dataError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--data %s: file not found (%w); give the path of a CSV file, or bodyfat for the embedded data set", path, err)
	}
	return err
}

// checkOutputs checks that the output files can be written where asked,
// before a long run.
func checkOutputs(f *trainFlags) error {
	if f.plot != "" {
		switch strings.ToLower(filepath.Ext(f.plot)) {
		case ".png", ".svg", ".pdf", ".eps", ".jpg", ".jpeg", ".tif", ".tiff":
		default:
			return usageErrorf("--plot %s: the file name must end in .png (or .svg, .pdf, .eps, .jpg, .tif)", f.plot)
		}
	}
	seen := map[string]string{}
	for _, o := range []struct{ flag, path string }{{"--save", f.save}, {"--history", f.history}, {"--plot", f.plot}} {
		if o.path == "" {
			continue
		}
		if prev, dup := seen[filepath.Clean(o.path)]; dup {
			return usageErrorf("%s and %s both write %s; give them different files", prev, o.flag, o.path)
		}
		seen[filepath.Clean(o.path)] = o.flag
		dir := filepath.Dir(o.path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageErrorf("%s %s: folder %s does not exist; create it first", o.flag, o.path, dir)
		}
		if st, err := os.Stat(o.path); err == nil && st.IsDir() {
			return usageErrorf("%s %s is a folder; give a file name", o.flag, o.path)
		}
	}
	return nil
}

// writeTrainOutputs writes --save, --history and --plot, returning the paths
// written and the first error.
func writeTrainOutputs(f *trainFlags, s *trainSetup, res *solvers.Result) ([]string, error) {
	var written []string
	var errs []error
	if f.save != "" {
		if err := saveModel(f, s, res); err != nil {
			errs = append(errs, fmt.Errorf("saving the model: %w", err))
		} else {
			written = append(written, f.save)
		}
	}
	if f.history != "" {
		if err := atomicWrite(f.history, func(w io.Writer) error { return writeHistory(w, res.History) }); err != nil {
			errs = append(errs, fmt.Errorf("writing the history: %w", err))
		} else {
			written = append(written, f.history)
		}
	}
	if f.plot != "" {
		if err := savePlot(f.plot, f, s, res.History); err != nil {
			errs = append(errs, fmt.Errorf("writing the plot: %w", err))
		} else {
			written = append(written, f.plot)
		}
	}
	return written, errors.Join(errs...)
}

func saveModel(f *trainFlags, s *trainSetup, res *solvers.Result) error {
	m, err := models.NewModel(s.spec, res.Weights, s.set.Scaler)
	if err != nil {
		return err
	}
	step := ""
	if s.method.Step != nil {
		step = s.method.Step.Name()
	}
	m.Meta = map[string]string{
		"solver":     strings.ToLower(f.solver),
		"method":     s.method.String(),
		"step":       step,
		"blocks":     s.method.Blocks.String(),
		"batches":    s.method.Batches.String(),
		"iterations": strconv.Itoa(res.Last().K),
		"status":     res.Status.String(),
		"certified":  strconv.FormatBool(res.Certified),
		"f":          strconv.FormatFloat(res.F, 'g', -1, 64),
		"nmse":       strconv.FormatFloat(res.NormMSE, 'g', -1, 64),
		"seed":       strconv.FormatUint(f.seed, 10),
		"data":       f.data,
		"date":       time.Now().UTC().Format(time.RFC3339),
	}
	return m.Save(f.save)
}

func printSummary(w io.Writer, f *trainFlags, s *trainSetup, res *solvers.Result, written []string) {
	cert := "no (the step rule violates the paper's condition (8))"
	if res.Certified {
		cert = "yes (covered by the paper's convergence theory)"
	}
	fmt.Fprintf(w, "solver:      %s\n", s.method)
	fmt.Fprintf(w, "status:      %s\n", res.Status)
	fmt.Fprintf(w, "iterations:  %d\n", res.Last().K)
	fmt.Fprintf(w, "final f:     %.6g\n", res.F)
	fmt.Fprintf(w, "final NMSE:  %.6g\n", res.NormMSE)
	fmt.Fprintf(w, "wall time:   %s\n", res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "certified:   %s\n", cert)
	for _, o := range []struct{ label, path string }{{"model:", f.save}, {"history:", f.history}, {"plot:", f.plot}} {
		if o.path != "" && slices.Contains(written, o.path) {
			fmt.Fprintf(w, "%-12s %s\n", o.label, o.path)
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/gemm"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// bodyFatName is the --data value that selects the embedded data set.
const bodyFatName = "bodyfat"

// trainFlags are the flags of bsum train.
type trainFlags struct {
	dist          *distRun // this rank of an MPI job (dist.go), nil for one process
	data, target  string
	features      []string
	featuresFlag  string
	kind, arch    string
	activation    string
	output        string
	bias          bool
	loss          string
	lossParams    []float64
	lossParamFlag string
	solver, step  string
	gamma, lambda float64
	eta           float64
	blocks, batch string
	uncertified   bool
	iters, sweeps int
	tol           float64
	budget        time.Duration
	shards        int
	seed          uint64
	tikhonov, l1  float64
	plot, history string
	save          string
	init          string
	quiet         bool
	ctl           controlFlags
	dataDir       string
	trainN, testN int
}

// testHookRecord, if set, sees every record of a training run (tests use it
// to interrupt a run at a known iteration).
var testHookRecord func(solvers.Record)

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --data FILE.csv|bodyfat|fashion-mnist --target COLUMN --arch SIZES [flags]",
		Short: "Train a network on a CSV file or Fashion-MNIST with a BSUM solver",
		Long: `Train a network on the CSV file --data (or, with --data bodyfat, on the
embedded BodyFat data set) to predict the column --target from the --features
columns. Without --features every column but the target is a feature and must
be numeric; a text column (an id, a name) is refused with the list of numeric
columns and the --features that selects them. With --features the other
columns may hold anything.

Features are standardised. The target is min-max scaled into the range of the
output activation ([0,1] for logistic, [-1,1] for tanh), standardised for an
identity output (and deep-linear networks), and left unchanged otherwise;
predict maps predictions back to the target's units. A constant target is
refused.

--arch lists the layer sizes: the first must be the number of features and the
last the number of targets (1). The run is refused before any allocation if
its estimated memory exceeds what the machine has available. --iters counts
block updates (one per iteration of Algorithm 1, or J per iteration with
--blocks jacobi); --sweeps N runs N×J block updates, J being the number of
blocks. Solvers, step rules and block rules are listed by 'bsum solvers'.

Output folders are checked for writability before training. Ctrl-C stops the
run cleanly; the model reached so far is saved with --save and the exit code
is 130. If --save cannot be written at the end, the model goes to a
bsum-model-*.json file in the working directory, whose name is printed.
"certified: yes" means the run ended normally with a method the paper's
convergence theory covers; a failed or interrupted run is never certified.

Run control: --val-frac holds out a validation set (drawn with --seed),
--patience stops when its loss stops improving and keeps the best weights;
--goal, --ftol, --gtol and --gamma-max are stop rules like trainlm's. The
summary names the status, the reason, which iteration's weights were kept and
the evaluation counts. --log-every N writes log lines to standard error
instead of the progress bar.

--data fashion-mnist trains on Fashion-MNIST (from --data-dir, else
$BSUM_FASHION_MNIST, else /usr/share/datasets/fashion-mnist; apt-get install -y
dataset-fashion-mnist) with softmax-cross-entropy on logits and an --arch from
784 to 10; the summary gives the test accuracy and the confusion matrix.`,
		Example: `  bsum train --data bodyfat --arch 13-10-10-10-1 --solver lm --iters 500 --save model.json
  bsum train --data examples/houses/houses.csv --target price --features area,rooms --arch 2-8-1 \
      --activation tanh --output-activation identity --bias --solver bp --step harmonic:1 --sweeps 250
  bsum train --data bodyfat --val-frac 0.2 --patience 5 --log-every 10 --iters 500
  bsum train --data fashion-mnist --train-n 2000 --test-n 1000 --arch 784-64-10 \
      --solver adagrad --batch 128 --iters 600 --val-frac 0.1 --log-every 100 --save fashion.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return trainCommand(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "training data: a CSV `FILE` with a header row, - for standard input, bodyfat for the embedded data set, or fashion-mnist (required)")
	fl.StringVar(&f.target, "target", "", "target `COLUMN` (required, except for --data bodyfat)")
	fl.StringVar(&f.featuresFlag, "features", "", "feature columns, comma-separated `LIST` (default: every column but the target; all must then be numeric)")
	fl.StringVar(&f.kind, "kind", models.KindMLP, "network `KIND`: mlp, deep-linear or conv")
	fl.StringVar(&f.arch, "arch", "", "layer `SIZES` d0-d1-…-dJ, e.g. 13-10-10-10-1 (default for bodyfat: 13-10-10-10-1)")
	fl.StringVar(&f.activation, "activation", "logistic", "hidden activation `NAME`, with optional parameters as name:a (e.g. leakyrelu:0.1)")
	fl.StringVar(&f.output, "output-activation", "", "output activation `NAME` (default: --activation)")
	fl.BoolVar(&f.bias, "bias", false, "add a bias to every layer")
	fl.StringVar(&f.loss, "loss", losses.NameL2, "loss `NAME`: "+strings.Join(losses.Names(), ", "))
	fl.StringVar(&f.lossParamFlag, "loss-param", "", "loss parameter `C` (exponential, squared-hinge)")
	fl.StringVar(&f.solver, "solver", "lm", "solver `NAME`: "+strings.Join(catalogNames("solver"), ", "))
	fl.StringVar(&f.step, "step", "", "step-size `RULE`, e.g. harmonic:1, recursive:1,0.99, armijo (default: the solver's)")
	fl.BoolVar(&f.uncertified, "uncertified", false, "run a step rule that violates the paper's condition (8) anyway")
	fl.Float64Var(&f.gamma, "gamma", 0, "`γ` of gd and proxl1 (0: default 1)")
	fl.Float64Var(&f.lambda, "lambda", 0, "`λ` of proxl1 (0: default 1e-3)")
	fl.Float64Var(&f.eta, "eta", 0, "`rate` of adagrad (0: default 0.1)")
	fl.StringVar(&f.blocks, "blocks", "cyclic", "block `RULE`: "+strings.Join(catalogNames("blocks"), ", "))
	fl.StringVar(&f.batch, "batch", "0", "batch `SIZE`: 0 for the full data set, B for B random samples, or growing for B=min(k,N)")
	fl.IntVar(&f.iters, "iters", 500, "maximum number of block updates `N` (one iteration of Algorithm 1 updates one block; with --blocks jacobi it updates all J blocks, so N/J iterations, rounded down, at least 1)")
	fl.IntVar(&f.sweeps, "sweeps", 0, "maximum number of sweeps `N`: N×J block updates, J = number of blocks (replaces --iters)")
	fl.Float64Var(&f.tol, "tol", 0, "stop once every block's ‖D_j − W_j‖ ≤ `tol` (0: never)")
	fl.DurationVar(&f.budget, "time", 0, "stop after this wall `TIME`, e.g. 30s (0: no limit)")
	fl.IntVar(&f.shards, "shards", 0, "split each batch evaluation into `N` column shards on goroutines, added in a fixed order (0: automatic, one below 1e8 batch×weights; 1: off)")
	fl.Uint64Var(&f.seed, "seed", 1, "`seed` of the initial weights, batches and random blocks")
	fl.Float64Var(&f.tikhonov, "tikhonov", 0, "`λ` of a Tikhonov term λ‖W_j‖² on every block")
	fl.Float64Var(&f.l1, "l1", 0, "`λ` of an L1 term λ‖W_j‖₁ on every block")
	fl.StringVar(&f.plot, "plot", "", "write a plot of the normalised MSE per iteration to `FILE` (PNG)")
	fl.StringVar(&f.history, "history", "", "write every iteration as CSV to `FILE`")
	fl.StringVar(&f.save, "save", "", "write the trained model as JSON to `FILE`")
	fl.StringVar(&f.init, "init", "", "start from the weights of the model `FILE` (saved by train on the same data and network); iterations continue its numbering, so --iters counts the new ones and histories concatenate")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	addControlFlags(cmd, &f.ctl)
	fl.StringVar(&f.dataDir, "data-dir", "", "with --data fashion-mnist: the `FOLDER` of its IDX files (default: $"+dataset.FashionMNISTEnv+", else "+dataset.FashionMNISTDefaultDir+")")
	fl.IntVar(&f.trainN, "train-n", 0, "with --data fashion-mnist: train on the first `N` training images only (0: all 60,000)")
	fl.IntVar(&f.testN, "test-n", 0, "with --data fashion-mnist: test on the first `N` test images only (0: all 10,000)")
	return cmd
}

// trainSetup is everything a run needs, resolved from the flags and data.
type trainSetup struct {
	spec     models.Spec
	net      *graph.Net
	set      *dataset.Set
	method   solvers.BSUM
	outName  string       // canonical output activation name
	maxIter  int          // iterations of Algorithm 1 (Settings.MaxIter)
	updates  int          // block updates those iterations make at most
	nBlocks  int          // J
	solver   string       // the --solver name, lower case
	saveNote string       // set when the model went to a fallback file
	test     *dataset.Set // the Fashion-MNIST test set (nil for other data)
	goalSet  bool         // --goal was given
	trainN   int          // rows trained on (after the validation split)
	valN     int          // validation rows (0 without --val-frac)
	report   *classReport // test-set classification after the run (Fashion-MNIST)
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

	if hint := blasHint(openBLAS || gemm.Accelerated(), setup.set.N, numWeights(setup.net), setup.test != nil); hint != "" {
		fmt.Fprintf(stderr, "bsum: %s\n", hint)
	}
	bar := newProgress(stderr, setup.maxIter, !showProgressBar(f.quiet, f.ctl.logEvery, isTerminal(stderr)))
	settings := solvers.Settings{
		MaxIter:         setup.maxIter,
		StationarityTol: f.tol,
		GradTol:         f.ctl.gtol,
		Convergers:      f.ctl.convergers(setup.goalSet),
		Patience:        f.ctl.patience,
		FullEvalEvery:   f.ctl.evalEvery,
		TimeBudget:      f.budget,
		Shards:          f.shards,
		Seed:            f.seed,
		Partition:       f.partition(),
		Callback: func(r solvers.Record) error {
			bar.update(r)
			if testHookRecord != nil {
				testHookRecord(r)
			}
			return nil
		},
	}
	if f.ctl.logEvery > 0 {
		settings.Observers = append(settings.Observers, &solvers.Printer{W: stderr, Every: f.ctl.logEvery, HeadingEvery: 40})
	}
	data := solvers.Data{X: setup.set.X, Y: setup.set.Y, N: setup.set.N}
	if f.ctl.valFrac > 0 {
		tr, val, err := data.Split(setup.set.In, f.ctl.valFrac, f.seed)
		if err != nil {
			return badData(fmt.Errorf("--val-frac %v: %w", f.ctl.valFrac, err))
		}
		data, settings.Validation = tr, &val
		setup.trainN, setup.valN = tr.N, val.N
	}
	var w0 graph.Weights
	if f.init != "" {
		var start int
		if w0, start, err = initialWeights(f.init, setup); err != nil {
			return err
		}
		settings.StartIter = start
		bar.offset = start - 1
		settings.MaxIter = start - 1 + setup.maxIter
	}
	res, runErr := solvers.Minimize(ctx, setup.net, data, w0, setup.method, settings)
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
		fmt.Fprintf(stderr, "bsum: training failed: %v\n", explainRunError(setup, f, runErr))
	}
	if interrupted {
		fmt.Fprintf(stderr, "bsum: interrupted after %d iterations\n", res.Last().K)
	}

	var report *classReport
	if setup.test != nil {
		var cerr error
		if report, cerr = classify(setup.spec, res.Weights, setup.set.Scaler, setup.test); cerr != nil {
			fmt.Fprintf(stderr, "bsum: classifying the test set: %v\n", cerr)
			failed = true
		}
	}
	setup.report = report
	var written []string
	var writeErr error
	if f.writesOutputs() {
		written, writeErr = writeTrainOutputs(f, setup, res)
	}
	printSummary(stdout, f, setup, res, written, report)
	if writeErr != nil {
		fmt.Fprintf(stderr, "bsum: %v\n", writeErr)
	}
	if setup.saveNote != "" {
		fmt.Fprintf(stderr, "bsum: %s\n", setup.saveNote)
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

// explainRunError rewrites library errors whose fix is a flag of this
// command.
func explainRunError(s *trainSetup, f *trainFlags, err error) error {
	if s.solver == "exact-bcd" && errors.Is(err, surrogate.ErrNotCertified) {
		switch {
		case f.tikhonov == 0 && strings.Contains(err.Error(), "Tikhonov"):
			return fmt.Errorf("exact-bcd minimises each block exactly, which needs a strongly convex block: add a Tikhonov term, e.g. --tikhonov 1e-6 (%s)", runWhere(err))
		case s.spec.Kind != models.KindDeepLinear:
			return fmt.Errorf("%w; exact-bcd needs blocks that the paper certifies convex: use --kind deep-linear with --tikhonov, or another --solver (e.g. lm)", err)
		}
	}
	return err
}

// runWhere extracts "iteration k, block "W"" from a solvers error, or
// returns the whole message.
func runWhere(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "solvers: ")
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "iteration ") {
		return msg[:i]
	}
	return msg
}

// prepareTrain checks the flags, loads the data and builds the network and
// the solver. Bad flags and bad data are usage errors (exit 2), found before
// anything is allocated for training.
func prepareTrain(cmd *cobra.Command, f *trainFlags) (*trainSetup, error) {
	stderr := cmd.ErrOrStderr()
	// Flags that need no data first, so that typos fail fast.
	if f.shards < 0 {
		return nil, usageErrorf("--shards %d: want 0 (automatic), 1 (off) or a shard count", f.shards)
	}
	if f.data == "" {
		return nil, usageErrorf("missing --data: give a CSV file with a header row, or bodyfat for the embedded data set")
	}
	bodyfat := f.data == bodyFatName
	fashion := f.data == fashionName
	if err := fashionFlags(cmd, f, fashion); err != nil {
		return nil, err
	}
	if f.target == "" && !fashion {
		if !bodyfat {
			return nil, usageErrorf("missing --target: name the column of %s to predict", f.data)
		}
		f.target = dataset.BodyFatTarget
	}
	f.target = strings.TrimSpace(f.target)
	features, err := parseList("--features", f.featuresFlag)
	if err != nil {
		return nil, err
	}
	f.features = features
	if len(f.features) == 0 && bodyfat && f.target == dataset.BodyFatTarget {
		f.features = dataset.BodyFatFeatures()
	}
	if slices.Contains(f.features, f.target) {
		return nil, usageErrorf("--features %s names the target %s; list only the input columns", q(f.featuresFlag), q(f.target))
	}
	if f.lossParams, err = parseFloats("--loss-param", f.lossParamFlag); err != nil {
		return nil, err
	}
	if f.arch == "" && bodyfat {
		f.arch = "13-10-10-10-1"
	}
	var sizes []int
	if f.arch != "" {
		if sizes, err = parseArch(f.arch); err != nil {
			return nil, usageErrorf("--arch: %w", err)
		}
	}
	kind := strings.ToLower(f.kind)
	if kind != models.KindMLP && kind != models.KindDeepLinear && kind != models.KindConv {
		return nil, usageErrorf("unknown --kind %s (want %s, %s or %s)", q(f.kind), models.KindMLP, models.KindDeepLinear, models.KindConv)
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
	if cmd.Flags().Changed("iters") && cmd.Flags().Changed("sweeps") {
		return nil, usageErrorf("--iters and --sweeps both set the length of the run; give one")
	}
	if cmd.Flags().Changed("sweeps") && f.sweeps < 1 {
		return nil, usageErrorf("--sweeps must be at least 1, got %d", f.sweeps)
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
	solver := strings.ToLower(strings.TrimSpace(f.solver))
	if err := validateControl(cmd, &f.ctl, stderr, solver); err != nil {
		return nil, err
	}
	if err := checkOutputs(f); err != nil {
		return nil, err
	}

	// The data.
	var set, test *dataset.Set
	var dataName string
	if fashion && f.dist != nil {
		if set, test, err = f.dist.loadFashion(f); err != nil {
			return nil, err
		}
		dataName = fashionName
	} else if fashion {
		if set, test, err = loadFashion(f); err != nil {
			return nil, err
		}
		dataName = fashionName
	} else {
		if set, dataName, err = loadTable(cmd, f, out); err != nil {
			return nil, err
		}
	}
	if sizes == nil {
		return nil, usageErrorf("missing --arch: give layer sizes from %d (features) to %d (targets), e.g. %d-10-%d", set.In, set.Out, set.In, set.Out)
	}
	if first, last := sizes[0], sizes[len(sizes)-1]; first != set.In || last != set.Out {
		var why []string
		if first != set.In {
			why = append(why, fmt.Sprintf("its first size is %d but there are %d features (%s)", first, set.In, namesList(set.FeatureNames)))
		}
		if last != set.Out {
			why = append(why, fmt.Sprintf("its last size is %d but there are %d targets (%s)", last, set.Out, namesList(set.TargetNames)))
		}
		return nil, usageErrorf("--arch %s does not fit the data: %s; use e.g. --arch %d-10-%d", plain(f.arch), strings.Join(why, " and "), set.In, set.Out)
	}
	if method.Batches.Size > f.globalN(set.N) {
		return nil, usageErrorf("--batch %d exceeds the %d rows of %s", method.Batches.Size, f.globalN(set.N), dataName)
	}
	if f.ctl.valFrac > 0 && f.dist != nil {
		return nil, usageErrorf("--val-frac cannot split the data across MPI ranks yet; leave it out under mpirun")
	}
	if f.ctl.valFrac > 0 && set.N < 2 {
		return nil, badData(fmt.Errorf("--val-frac needs at least 2 rows to split, %s has %d", dataName, set.N))
	}
	if err := checkMemory(estimateMemory(sizes, f.bias, set.N, set.N, solver, method.Blocks == solvers.Jacobi)); err != nil {
		return nil, err
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
	if err := checkLabels(net, set, dataName); err != nil {
		return nil, err
	}
	warnIgnored(cmd, stderr, method)
	s := &trainSetup{spec: spec, net: net, set: set, test: test, method: method, outName: out.Name(), solver: solver, nBlocks: len(net.Blocks()),
		goalSet: cmd.Flags().Changed("goal"), trainN: f.globalN(set.N)}
	s.maxIter, s.updates = runLength(cmd.Flags().Changed("sweeps"), f.iters, f.sweeps, s.nBlocks, method.Blocks == solvers.Jacobi)
	return s, nil
}

// loadTable reads --data as a CSV table (or the embedded BodyFat table) and
// builds the scaled training set for an output activation out.
func loadTable(cmd *cobra.Command, f *trainFlags, out layers.Activation) (*dataset.Set, string, error) {
	var columns []string // with --features, other columns need not be numeric
	if len(f.features) > 0 {
		columns = append(append(columns, f.features...), f.target)
	}
	cfg := dataset.Config{Features: f.features, Targets: []string{f.target}}
	switch out.Name() {
	case "logistic":
		cfg.Target, cfg.Range = dataset.TargetMinMax, dataset.RangeLogistic
	case "tanh":
		cfg.Target, cfg.Range = dataset.TargetMinMax, dataset.RangeTanh
	case "identity":
		cfg.Target = dataset.TargetStandard
	default:
		cfg.Target = dataset.TargetIdentity
	}
	if f.dist != nil {
		return f.dist.loadTable(f, columns, cfg)
	}
	src, err := readSource(f.data, cmd.InOrStdin())
	if err != nil {
		return nil, "", err
	}
	tab, err := src.table(columns)
	if err != nil {
		if errors.Is(err, dataset.ErrUnknownColumn) {
			err = fmt.Errorf("%s: %w", columnFlag(err, f.target), err)
		}
		return nil, "", badData(dataProblem(src, f, err))
	}
	set, err := tab.Build(cfg)
	if err != nil {
		if errors.Is(err, dataset.ErrUnknownColumn) || errors.Is(err, dataset.ErrDuplicateColumn) || errors.Is(err, dataset.ErrNoColumns) {
			return nil, "", usageErrorf("%s: %w (columns of %s: %s)", columnFlag(err, f.target), err, tab.Name, plainList(tab.Columns))
		}
		if errors.Is(err, dataset.ErrConstantColumn) && strings.Contains(err.Error(), strconv.Quote(f.target)) {
			return nil, "", badData(fmt.Errorf("%w: the target takes a single value, so there is nothing to learn (and the normalised MSE ‖Y−H‖²/‖Y−mean Y‖² is undefined)", err))
		}
		return nil, "", badData(err)
	}
	return set, tab.Name, nil
}

// columnFlag is the flag that named the unknown column of err: --target
// when it is the target, else --features.
func columnFlag(err error, target string) string {
	if pe := (*dataset.ParseError)(nil); errors.As(err, &pe) && pe.Column == target {
		return "--target"
	}
	return "--features"
}

// namesList joins column names for a message, abbreviating long lists
// (Fashion-MNIST has 784 pixel features).
func namesList(names []string) string {
	if len(names) > 12 {
		return fmt.Sprintf("%s, …, %s", plainList(names[:3]), plain(names[len(names)-1]))
	}
	return plainList(names)
}

// numWeights is the number of weights of net, Σ_j p_j.
func numWeights(net *graph.Net) int {
	p := 0
	for _, b := range net.Blocks() {
		p += b.Size()
	}
	return p
}

// runLength converts --iters (block updates) or --sweeps (N×J block
// updates) into iterations of Algorithm 1: one block update per iteration,
// or J with the Jacobi rule (then the updates are rounded down to whole
// iterations, at least one). It returns the iterations and the block
// updates they make.
func runLength(sweeps bool, iters, nSweeps, blocks int, jacobi bool) (maxIter, updates int) {
	updates = iters
	if sweeps {
		updates = nSweeps * blocks
	}
	if jacobi {
		maxIter = max(1, updates/blocks)
		return maxIter, maxIter * blocks
	}
	return updates, updates
}

// dataProblem explains a --data table that could not be read: a
// non-numeric column without --features gets the list of numeric columns
// and the --features to use.
func dataProblem(src *source, f *trainFlags, err error) error {
	if len(f.features) > 0 || !errors.Is(err, dataset.ErrNotNumeric) {
		return err
	}
	numeric, serr := src.numericColumns()
	if serr != nil {
		return err
	}
	var feats []string
	for _, c := range numeric {
		if c != f.target {
			feats = append(feats, c)
		}
	}
	hint := "no column is numeric"
	switch {
	case len(feats) > 0 && slices.Contains(numeric, f.target):
		hint = fmt.Sprintf("without --features every column but the target must be numeric; the numeric columns are %s: train on them with --features %s",
			plainList(numeric), strings.Join(feats, ","))
	case len(feats) > 0:
		hint = fmt.Sprintf("the numeric columns are %s, and the target %s is not among them", plainList(numeric), q(f.target))
	}
	return fmt.Errorf("%w; %s", err, hint)
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
			return solvers.BSUM{}, usageErrorf("--batch %s: want 0 (full data set), a positive batch size, or growing", q(f.batch))
		}
		o.Batches = solvers.FixedBatch(n)
	}
	o.Gamma, o.Lambda, o.Eta = f.gamma, f.lambda, f.eta
	o.Uncertified = f.uncertified
	name := strings.ToLower(strings.TrimSpace(f.solver))
	m, err := solvers.ByName(name, o)
	if err != nil {
		if errors.Is(err, solvers.ErrCondition8) {
			return solvers.BSUM{}, usageErrorf("--solver %s --step %s: %w; choose a step rule that satisfies (8), e.g. harmonic:1, or add --uncertified", plain(name), plain(f.step), err)
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
			fmt.Fprintf(w, "bsum: note: bp-clr reads only --step const:C; --step %s is ignored\n", plain(cmd.Flag("step").Value.String()))
		}
	}
}

// parseActivation reads "name", "name:a,b" or "name(a,b)".
func parseActivation(flag, s string) (layers.Activation, error) {
	name, params, err := parseNameParams(s)
	if err != nil {
		return nil, usageErrorf("%s %s: %w", flag, q(s), err)
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
				return "", nil, fmt.Errorf("parameter %s is not a number", q(p))
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

// checkOutputs checks that the output files can be written where asked,
// before a long run: each folder must exist and accept a new file.
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
		if err := checkWritable(o.flag, o.path); err != nil {
			return err
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
		if err := saveModel(f.save, f, s, res); err != nil {
			errs = append(errs, fmt.Errorf("saving the model: %w", err))
			// Do not lose the trained weights: try the working directory.
			name := fmt.Sprintf("bsum-model-%s-%d.json", time.Now().UTC().Format("20060102T150405Z"), os.Getpid())
			if ferr := saveModel(name, f, s, res); ferr != nil {
				errs = append(errs, fmt.Errorf("saving the model to the fallback file %s: %w", name, ferr))
			} else {
				s.saveNote = fmt.Sprintf("the model could not be written to %s; it was saved to %s instead", f.save, name)
				written = append(written, name)
			}
		} else {
			written = append(written, f.save)
		}
	}
	if f.history != "" {
		if err := atomicWrite(f.history, func(w io.Writer) error { return writeHistory(w, res.History, blockNames(s.net), s.valN > 0) }); err != nil {
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

// saveModel writes the model to path atomically, mode 0644 (subject to the
// umask).
func saveModel(path string, f *trainFlags, s *trainSetup, res *solvers.Result) error {
	m, err := models.NewModel(s.spec, res.Weights, s.set.Scaler)
	if err != nil {
		return err
	}
	step := ""
	if s.method.Step != nil {
		step = s.method.Step.Name()
	}
	m.Meta = map[string]string{
		"solver":        s.solver,
		"method":        s.method.String(),
		"step":          step,
		"blocks":        s.method.Blocks.String(),
		"batches":       s.method.Batches.String(),
		"iterations":    strconv.Itoa(res.Last().K),
		"block_updates": strconv.Itoa(blockUpdates(res.History)),
		"status":        res.Status.String(),
		"certified":     strconv.FormatBool(certifiedRun(res)),
		"f":             strconv.FormatFloat(res.F, 'g', -1, 64),
		"nmse":          strconv.FormatFloat(res.NormMSE, 'g', -1, 64),
		"seed":          strconv.FormatUint(f.seed, 10),
		"data":          f.data,
		"date":          time.Now().UTC().Format(time.RFC3339),
		"reason":        res.Reason,
		"weights":       weightsLine(res),
		"train_rows":    strconv.Itoa(s.trainN),
	}
	if s.valN > 0 {
		m.Meta["validation_rows"] = strconv.Itoa(s.valN)
		m.Meta["val_frac"] = strconv.FormatFloat(f.ctl.valFrac, 'g', -1, 64)
		m.Meta["val_loss"] = strconv.FormatFloat(res.ValLoss, 'g', -1, 64)
		m.Meta["val_metric"] = strconv.FormatFloat(res.ValMetric, 'g', -1, 64)
	}
	if report := s.report; report != nil {
		m.Meta["test_rows"] = strconv.Itoa(len(report.truth))
		m.Meta["test_accuracy"] = strconv.FormatFloat(report.accuracy(), 'g', -1, 64)
	}
	m.Iter = res.Last().K // a later --init continues the numbering
	// Model.Save writes atomically with mode 0644 and first removes stale
	// temporaries that an earlier, killed save left in the folder.
	return m.Save(path)
}

// blockUpdates counts the block updates of a history.
func blockUpdates(hist []solvers.Record) int {
	n := 0
	for _, r := range hist {
		n += len(r.Blocks)
	}
	return n
}

// endedNormally reports whether a run stopped by one of its stop rules
// (iterations, stationarity, gradient, time, goal, relative change, damping
// ceiling, early stopping) rather than by a failure, an interruption or a
// failed log write.
func endedNormally(res *solvers.Result) bool {
	switch res.Status {
	case solvers.Failed, solvers.Canceled, solvers.CallbackStop, solvers.ObserverStop, solvers.NotStopped:
		return false
	}
	return true
}

// certifiedRun reports whether the run both ended normally and used a
// method covered by the paper's convergence theory.
func certifiedRun(res *solvers.Result) bool { return res.Certified && endedNormally(res) }

func printSummary(w io.Writer, f *trainFlags, s *trainSetup, res *solvers.Result, written []string, report *classReport) {
	var cert string
	switch {
	case res.Status == solvers.Failed:
		cert = "no: the run failed, so no convergence guarantee applies to its result"
	case !endedNormally(res):
		cert = fmt.Sprintf("no: the run did not finish (%s), so no convergence guarantee applies to its result", res.Status)
	case res.Certified:
		cert = "yes (covered by the paper's convergence theory)"
	default:
		cert = "no (" + s.method.WhyUncertified() + ")"
	}
	fmt.Fprintf(w, "solver:      %s\n", s.method)
	fmt.Fprintf(w, "status:      %s\n", res.Status)
	if res.Reason != "" {
		fmt.Fprintf(w, "reason:      %s\n", res.Reason)
	}
	fmt.Fprintf(w, "iterations:  %d (%d block updates, J = %d blocks)\n", res.Last().K, blockUpdates(res.History), s.nBlocks)
	fmt.Fprintf(w, "weights:     %s\n", weightsLine(res))
	fmt.Fprintf(w, "final f:     %.6g\n", res.F)
	if report == nil { // the normalised MSE of class scores against one-hot labels means nothing
		fmt.Fprintf(w, "final NMSE:  %.6g\n", res.NormMSE)
	}
	if s.valN > 0 {
		metric := solvers.MetricFor(s.net.Loss()).Name()
		fmt.Fprintf(w, "validation:  %d of %d rows held out (--val-frac %g); at these weights loss %.6g, %s %.6g\n",
			s.valN, s.valN+s.trainN, f.ctl.valFrac, res.ValLoss, metric, res.ValMetric)
	}
	fmt.Fprintf(w, "evaluations: %s\n", statsLine(res.Stats))
	fmt.Fprintf(w, "wall time:   %s\n", res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "certified:   %s\n", cert)
	if report != nil {
		report.print(w, "test", s.set.TargetNames)
	}
	for _, o := range []struct{ label, path string }{{"model:", f.save}, {"history:", f.history}, {"plot:", f.plot}} {
		if o.path != "" && slices.Contains(written, o.path) {
			fmt.Fprintf(w, "%-12s %s\n", o.label, o.path)
		}
	}
	if f.save != "" && !slices.Contains(written, f.save) && len(written) > 0 && strings.HasPrefix(written[0], "bsum-model-") {
		fmt.Fprintf(w, "%-12s %s (fallback: %s could not be written)\n", "model:", written[0], f.save)
	}
}

// blockNames lists the names of the network's blocks, in index order.
func blockNames(net *graph.Net) []string {
	blocks := net.Blocks()
	names := make([]string, len(blocks))
	for i, b := range blocks {
		names[i] = b.Name
	}
	return names
}

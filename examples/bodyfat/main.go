// Command bodyfat checks the numerical claims of the seed paper (Ghauch et
// al., "A Unified Framework for Training Neural Networks", Section 6 and
// Appendix A.7) on the embedded BodyFat data: a 13-10-10-10-1 network
// trained by BSUM methods and the paper's baselines, under each reading of
// the settings the paper leaves open.
//
//	go run ./examples/bodyfat                    # verdict table: claim × reading
//	go run ./examples/bodyfat -tune              # each method with its best constant from a printed grid
//	go run ./examples/bodyfat -x sweeps          # one x-axis iteration = one sweep of all blocks
//	go run ./examples/bodyfat -figure all        # also write every figure under both readings
//
// The readings: -reading mean (the loss (16) normalised by N, as printed)
// or sum (summed over samples, as the gradient (A.13) implies; see
// readings.go), and -x blocks or sweeps (what one iteration of the
// figures' x axis is; the budget -iters is in those units). Each claim
// (Figure 2(a): each proposed step rule beats BP-CLR and AdaGrad; Figure
// 2(b): larger batches are better, the growing batch converges; Figure
// A.1: the proposed BSUM methods decrease f monotonically with exponential
// loss and softplus) is judged on -seeds random starts by the rules in
// claims.go, which the output repeats: confirmed, refuted, or
// inconclusive when the curves differ by less than the seed range or
// nothing moved more than 1% from its start.
//
// -figure 2a|2b|a1|all writes figure-<id>-<reading>[-sweeps].png with the
// median curves and a .csv beside it (with the seed range), adding the
// curves no claim judges: GD and LM in 2(a); BP-CLR, AdaGrad and LM in A.1.
// The default run writes no files.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
)

// config is the parsed command line.
type config struct {
	Figure   string   // "" (verdicts only), 2a, 2b, a1 or all
	Readings []string // readingMean and/or readingSum
	X        string   // xBlocks or xSweeps
	Iters    int      // budget T in x-axis iterations
	Seeds    int      // K
	Seed     uint64   // first seed; the K seeds are Seed, Seed+1, …
	Tune     bool
	Workers  int
	Out      string
	Quiet    bool
}

func defaultConfig() config {
	return config{Readings: allReadings, X: xBlocks, Iters: 2000, Seeds: 5, Seed: 1, Workers: runtime.GOMAXPROCS(0),
		Out: filepath.Join("out", "bodyfat")}
}

// parseReadings parses -reading: mean, sum or both.
func parseReadings(s string) ([]string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case readingMean:
		return []string{readingMean}, nil
	case readingSum:
		return []string{readingSum}, nil
	case "both", "all":
		return allReadings, nil
	}
	return nil, fmt.Errorf("-reading %q: want mean, sum or both", s)
}

// parseArgs parses the command line (without the program name).
func parseArgs(args []string, stderr io.Writer) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("bodyfat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reading := fs.String("reading", "both", "loss normalisation: mean (loss/N, as (16) prints), sum (summed over samples, as (A.13) implies) or both")
	fs.StringVar(&cfg.X, "x", cfg.X, "one x-axis iteration is: blocks (one block update) or sweeps (one cyclic sweep of all J blocks)")
	fs.StringVar(&cfg.Figure, "figure", "", "also write figures: 2a, 2b, a1 or all (default: verdict table only)")
	fs.IntVar(&cfg.Iters, "iters", cfg.Iters, "budget per method in x-axis iterations (see -x)")
	fs.IntVar(&cfg.Seeds, "seeds", cfg.Seeds, "random starts per method: verdicts use the median and range over them")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "first seed (Glorot-normal start and batch sampling)")
	fs.BoolVar(&cfg.Tune, "tune", false, "give every method its best constant from the printed grid (lowest median final nMSE over the seeds)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "runs in parallel (results do not depend on it)")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "folder for the PNG and CSV files of -figure")
	fs.BoolVar(&cfg.Quiet, "quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	r, err := parseReadings(*reading)
	if err != nil {
		return cfg, err
	}
	cfg.Readings = r
	cfg.X = strings.ToLower(cfg.X)
	cfg.Figure = strings.ToLower(cfg.Figure)
	return cfg, cfg.validate()
}

// validate reports the first invalid setting.
func (c config) validate() error {
	if len(c.Readings) == 0 {
		return fmt.Errorf("no reading selected")
	}
	for _, r := range c.Readings {
		if r != readingMean && r != readingSum {
			return fmt.Errorf("unknown reading %q (want mean or sum)", r)
		}
	}
	if c.X != xBlocks && c.X != xSweeps {
		return fmt.Errorf("-x %q: want blocks or sweeps", c.X)
	}
	if _, err := figureByID(c.Figure, false); err != nil {
		return fmt.Errorf("-figure: %w", err)
	}
	if c.Iters < 1 {
		return fmt.Errorf("-iters %d: want at least 1", c.Iters)
	}
	if c.Seeds < 1 {
		return fmt.Errorf("-seeds %d: want at least 1", c.Seeds)
	}
	if c.Workers < 1 {
		return fmt.Errorf("-workers %d: want at least 1", c.Workers)
	}
	return nil
}

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bodyfat:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var progress io.Writer = os.Stderr
	if cfg.Quiet {
		progress = io.Discard
	}
	if _, err := run(ctx, cfg, os.Stdout, progress); err != nil {
		fmt.Fprintln(os.Stderr, "bodyfat:", err)
		os.Exit(1)
	}
}

// Command fashion trains a 784-256-10 perceptron on Zalando's
// Fashion-MNIST (60,000 training and 10,000 test images of 28×28 pixels, 10
// classes) with mini-batch BSUM methods and a baseline, and reports, for
// every method and seed, the training loss and test accuracy after each
// epoch against wall time.
//
// The network is W2·[act(W1·[x; 1]); 1]: a hidden layer of -width units
// (ReLU, tanh or the paper's logistic, flag -hidden) and a linear output
// layer, both with a bias column folded into the block (W1 is 256×785, W2
// 10×257), trained under the softmax cross-entropy (losses.SoftmaxCrossEntropy)
// with pixels scaled to [0, 1]. Batches walk the training set in epochs
// (solvers.Batches{Epochs: true}, one seeded permutation per epoch, so every
// method with the same seed sees the same samples in the same order); with
// cyclic blocks each batch is held for one sweep (Batches.Hold = J), so
// every layer is updated once per batch, as backpropagation does. Every
// method of a seed starts from the same Glorot-normal weights.
//
// Methods (-methods, comma-separated):
//
//   - bp-armijo: BP, the first-order bound with weight γ (-gamma, 1 is the
//     paper's BP), Armijo backtracking on the batch from α = 1 (certified:
//     Armijo);
//   - bp-harmonic: BP with α = C/(2k) (certified: condition (8));
//   - bp-recursive: BP with α(k+1) = α(k)(1 − Tα(k)) from α(0) (-rec-t,
//     -rec-alpha0; the defaults T = 0.99, α(0) = 1 are the paper's
//     "setting 1"). α(k) ≈ α(0)/(1 + Tα(0)k): a small α(0) and T give a
//     learning rate α(0)/γ that decays like 1/k only after 1/(Tα(0))
//     iterations (certified: (8) for 0 < T < 1, 0 < α(0) ≤ 1);
//   - adagrad: the paper's AdaGrad baseline (uncertified: unit step);
//   - adagrad-armijo: AdaGrad's diagonal metric as the surrogate with
//     Armijo steps (Result.Certified by the Armijo rule; the metric is
//     no upper bound, see surrogate.AdaGrad);
//   - lm-small: Levenberg-Marquardt (Gauss-Newton curvature, adaptive
//     damping, matrix-free conjugate gradients with a budget of -cg-iters)
//     on every block of at most -lm-max weights (W2: 2,570), the
//     first-order bound with weight γ on the larger ones (W1: 200,960),
//     Armijo steps (certified). Any surrogate for the large block plugs
//     into perBlock.Large;
//   - hf: solvers.HessianFree on every block (Gauss-Newton products on a
//     curvature mini-batch of 10% of the batch, CG budget -cg-iters, LM
//     damping, unit step). Lemma 2 covers the unit step on the full batch
//     only, so on mini-batches Result.Certified is false. Not in the
//     default list: it costs several batch passes per update.
//
// With the first-order bound the learning rate is α/γ. The paper's
// certified rules (8) let α decay like 1/k over all iterations (Harmonic
// and the paper's Recursive start at α ≈ 1/2 and fall to ~1/(2k), so
// their learning rate is too large at first and too small after an
// epoch); Armijo chooses α per update on the batch and never decays.
//
// -preset recommended is the configuration measured best (see the
// README's Fashion-MNIST section): bp-recursive with γ = 1, α(0) = 0.2,
// T = 2.5e-3 (learning rate ≈ 0.2/(1 + 5·10⁻⁴k): 0.14 after one epoch,
// 0.02 after 20, 0.013 after 30) on standardised pixels (-standardize),
// blocks last layer first (-blocks reverse-cyclic), Tikhonov λ = 10⁻⁴
// (-tikhonov 1e-4), beside the AdaGrad baseline on the same data, 30
// epochs of batch 128. Measured on 2026-12-03 (seeds 1, 2, 3;
// recommended-epochs.csv, accuracy-seconds.png): bp-recursive ends at test
// accuracy 0.8912, 0.8893, 0.8903 (mean 0.8903), AdaGrad at 0.8909,
// 0.8921, 0.8930 (mean 0.8920). Without the penalty the network overfit
// (training loss 0.08 at epoch 30 against 0.18) and both levelled off at
// ≈ 0.888. The preset also reports the tail average of the weights after
// every batch of epochs 16–30 (-average-from 16; the run's own iterates are
// untouched); with the penalty it does not help bp-recursive (0.8907,
// 0.8881, 0.8894).
//
// After each epoch an observer computes the test accuracy on a program of
// its own; its time is not counted as training time. With -average-from E
// (E ≥ 1) it also keeps the running arithmetic mean (Polyak / tail
// average) of the weights after every batch's sweep from epoch E on (the
// sweeps whose record has Epoch > E−1), sampled in its own buffer, and
// reports the test accuracy of that mean beside the raw weights' at every
// epoch end. The certified iterates, the history and Result.Weights are
// those of the run without it (bitwise); only the reported model differs. Epoch 0 is the test
// accuracy at the starting weights. The run writes epochs.csv (one row per
// method, seed and epoch: method, seed, epoch, iteration, train_loss — the
// mean batch objective over the epoch, NaN at epoch 0 — test_accuracy,
// train_seconds, wall_seconds, avg_test_accuracy — NaN without averaging
// or before it starts) and accuracy-seconds.png and
// accuracy-epochs.png to -out.
//
// Usage:
//
//	go run -tags openblas ./examples/fashion [-preset recommended] [-epochs 10] [-batch 128]
//	    [-methods bp-armijo,adagrad] [-seeds 1,2,3] [-hidden relu|tanh|logistic] [-standardize]
//	    [-gamma 1] [-rec-alpha0 1] [-rec-t 0.99] [-tikhonov 0] [-average-from 0] [-train-n 0] [-test-n 0]
//	    [-blocks cyclic|reverse-cyclic|jacobi] [-out out/fashion] [-quick] [-cpuprofile cpu.prof]
//	mpirun -np 2 go run -tags mpi ./examples/fashion …   (data-parallel: each rank trains on its shard)
//
// Flags given explicitly win over the preset. -quick trains on the first 2,000 training and 1,000 test images for one
// epoch (explicit -epochs, -train-n and -test-n still win). The data come
// from the Debian package dataset-fashion-mnist
// (/usr/share/datasets/fashion-mnist), $BSUM_FASHION_MNIST or -data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"

	"github.com/bsum-go/bsum/internal/mpi"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fashion:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runProfiled(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fashion:", err)
		os.Exit(1)
	}
}

// runProfiled is run, with a CPU profile of the whole run written to
// cfg.CPUProfile when it is set (go tool pprof reads it).
func runProfiled(ctx context.Context, cfg config) error {
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "fashion: -cpuprofile:", err)
			}
		}()
	}
	if n := mpi.LaunchedSize(); n > 1 {
		return runMPI(ctx, cfg, n)
	}
	_, err := run(ctx, cfg, os.Stdout)
	return err
}

// runMPI runs this process as one rank of an mpirun job of n ranks: each
// trains on its shard of the images, rank 0 prints and writes the files.
// A failure on any rank stops every rank with that rank's message
// (mpi.Fatal); a binary built without the tag mpi refuses to start.
func runMPI(ctx context.Context, cfg config, n int) error {
	if !mpi.Available() {
		return fmt.Errorf("launched by mpirun as %d ranks, but built without MPI support: use go run -tags mpi ./examples/fashion (needs apt-get install -y libopenmpi-dev openmpi-bin)", n)
	}
	c, err := mpi.Init()
	if err != nil {
		return fmt.Errorf("starting MPI: %w", err)
	}
	if _, err := runRanks(ctx, cfg, os.Stdout, c); err != nil {
		mpi.Fatal(err)
	}
	// Rank 0 has written its files when every rank gets past this sum.
	if err := c.Sum(make([]float64, 1)); err != nil {
		mpi.Fatal(err)
	}
	return c.Finalize()
}

// presets are named sets of flag values (-preset); flags given explicitly
// win over them.
var presets = map[string][][2]string{
	// recommended: the configuration measured best (see the README): the
	// certified BP with a slowly decaying recursive step on standardised
	// pixels, blocks last layer first, Tikhonov 1e-4, beside the AdaGrad
	// baseline on the same data, also reporting the tail average of the
	// weights over the last 15 epochs.
	"recommended": {
		{"methods", "bp-recursive,adagrad"},
		{"standardize", "true"},
		{"rec-alpha0", "0.2"},
		{"rec-t", "2.5e-3"},
		{"epochs", "30"},
		{"blocks", "reverse-cyclic"},
		{"tikhonov", "1e-4"},
		{"average-from", "16"},
	},
}

func presetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseFlags reads the command line into a config: the defaults, then the
// -preset, then -quick's sizes, each overridden by flags given explicitly.
// Usage and flag errors go to errOut.
func parseFlags(args []string, errOut io.Writer) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("fashion", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var methods, seeds string
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "epochs per run")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "mini-batch size")
	fs.StringVar(&methods, "methods", strings.Join(cfg.Methods, ","), "comma-separated methods: "+strings.Join(methodNames(), ", "))
	fs.StringVar(&seeds, "seeds", "1", "comma-separated seeds (starting weights and batch order)")
	fs.StringVar(&cfg.Hidden, "hidden", cfg.Hidden, "hidden activation: relu, tanh or logistic")
	fs.IntVar(&cfg.Width, "width", cfg.Width, "hidden units")
	fs.IntVar(&cfg.TrainN, "train-n", cfg.TrainN, "training images to use (0: all 60,000)")
	fs.IntVar(&cfg.TestN, "test-n", cfg.TestN, "test images to use (0: all 10,000)")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "folder for epochs.csv and the plots")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "folder with the IDX files (default $BSUM_FASHION_MNIST or /usr/share/datasets/fashion-mnist)")
	fs.StringVar(&cfg.Blocks, "blocks", cfg.Blocks, "block rule: cyclic or reverse-cyclic (one batch per sweep; reverse-cyclic, last layer first, runs the first layer's forward pass once per batch), or jacobi")
	fs.Float64Var(&cfg.HarmonicC, "harmonic-c", cfg.HarmonicC, "C of bp-harmonic's α = C/(2k), 0 < C < 2")
	fs.Float64Var(&cfg.Gamma, "gamma", cfg.Gamma, "γ of the BP methods' first-order bound (learning rate α/γ; 1 is the paper's BP)")
	fs.Float64Var(&cfg.Eta, "eta", cfg.Eta, "AdaGrad's rate η")
	fs.IntVar(&cfg.LMMax, "lm-max", cfg.LMMax, "lm-small: largest block (weights) given the Levenberg-Marquardt bound")
	fs.IntVar(&cfg.CGIters, "cg-iters", cfg.CGIters, "lm-small and hf: conjugate-gradient budget per block update")
	fs.Float64Var(&cfg.Tikhonov, "tikhonov", cfg.Tikhonov, "λ of λ‖W_j‖² on every block")
	fs.Float64Var(&cfg.RecAlpha0, "rec-alpha0", cfg.RecAlpha0, "α(0) of bp-recursive's α(k+1) = α(k)(1 − Tα(k)), 0 < α(0) ≤ 1")
	fs.Float64Var(&cfg.RecT, "rec-t", cfg.RecT, "T of bp-recursive, 0 < T < 1")
	fs.Float64Var(&cfg.ArmijoSigma, "armijo-sigma", cfg.ArmijoSigma, "σ of the Armijo sufficient decrease (0: 1e-4)")
	fs.IntVar(&cfg.AverageFrom, "average-from", cfg.AverageFrom, "also report the test accuracy of the mean weights after every batch from this epoch on (0: off)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fs.BoolVar(&cfg.Standardize, "standardize", cfg.Standardize, "z-score every pixel over the training images (default: scale to [0, 1])")
	preset := fs.String("preset", "", "named configuration: "+strings.Join(presetNames(), ", ")+" (explicit flags win)")
	quick := fs.Bool("quick", false, "2,000 training and 1,000 test images, 1 epoch (for CI)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *preset != "" {
		p, ok := presets[*preset]
		if !ok {
			return cfg, fmt.Errorf("-preset %q: want one of %v", *preset, presetNames())
		}
		for _, kv := range p {
			if set[kv[0]] {
				continue
			}
			if err := fs.Set(kv[0], kv[1]); err != nil {
				return cfg, fmt.Errorf("-preset %s: -%s %s: %w", *preset, kv[0], kv[1], err)
			}
		}
	}
	if *quick {
		if !set["epochs"] {
			cfg.Epochs = 1
		}
		if !set["train-n"] {
			cfg.TrainN = 2000
		}
		if !set["test-n"] {
			cfg.TestN = 1000
		}
	}
	var err error
	if cfg.Methods, err = splitList(methods); err == nil {
		cfg.Seeds, err = parseSeeds(seeds)
	}
	return cfg, err
}

func splitList(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

func parseSeeds(s string) ([]uint64, error) {
	fields, err := splitList(s)
	if err != nil {
		return nil, fmt.Errorf("seeds: %w", err)
	}
	seeds := make([]uint64, len(fields))
	for i, f := range fields {
		if seeds[i], err = strconv.ParseUint(f, 10, 64); err != nil {
			return nil, fmt.Errorf("seed %q: %w", f, err)
		}
	}
	return seeds, nil
}

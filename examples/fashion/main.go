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
//   - bp-recursive: BP with α(k+1) = α(k)(1 − 0.99α(k)), α(0) = 1, the
//     paper's "setting 1" (certified: (8));
//   - adagrad: the paper's AdaGrad baseline (uncertified);
//   - lm-small: Levenberg-Marquardt (Gauss-Newton curvature, adaptive
//     damping, matrix-free conjugate gradients with a budget of -cg-iters)
//     on every block of at most -lm-max weights (W2: 2,570), the
//     first-order bound with weight γ on the larger ones (W1: 200,960),
//     Armijo steps (certified). Any surrogate for the large block plugs
//     into perBlock.Large;
//   - hf: solvers.HessianFree on every block (Gauss-Newton products on a
//     curvature mini-batch of 10% of the batch, CG budget -cg-iters, LM
//     damping, unit step; Lemma 2 as for LM). Not in the default list: it
//     costs several batch passes per update.
//
// With the first-order bound the learning rate is α/γ. The paper's
// certified rules (8) let α decay like 1/k over all iterations, so their
// learning rate falls by ~1/k across epochs; Armijo chooses α per update.
//
// After each epoch an observer computes the test accuracy on a program of
// its own; its time is not counted as training time. Epoch 0 is the test
// accuracy at the starting weights. The run writes epochs.csv (one row per
// method, seed and epoch: method, seed, epoch, iteration, train_loss — the
// mean batch objective over the epoch, NaN at epoch 0 — test_accuracy,
// train_seconds, wall_seconds) and accuracy-seconds.png and
// accuracy-epochs.png to -out.
//
// Usage:
//
//	go run -tags openblas ./examples/fashion [-epochs 10] [-batch 128] [-methods bp-armijo,adagrad]
//	    [-seeds 1,2,3] [-hidden relu|tanh|logistic] [-train-n 0] [-test-n 0] [-out out/fashion] [-quick]
//
// -quick trains on the first 2,000 training and 1,000 test images for one
// epoch (explicit -epochs, -train-n and -test-n still win). The data come
// from the Debian package dataset-fashion-mnist
// (/usr/share/datasets/fashion-mnist), $BSUM_FASHION_MNIST or -data.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
)

func main() {
	cfg := defaultConfig()
	var methods, seeds string
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "epochs per run")
	flag.IntVar(&cfg.Batch, "batch", cfg.Batch, "mini-batch size")
	flag.StringVar(&methods, "methods", strings.Join(cfg.Methods, ","), "comma-separated methods: "+strings.Join(methodNames(), ", "))
	flag.StringVar(&seeds, "seeds", "1", "comma-separated seeds (starting weights and batch order)")
	flag.StringVar(&cfg.Hidden, "hidden", cfg.Hidden, "hidden activation: relu, tanh or logistic")
	flag.IntVar(&cfg.Width, "width", cfg.Width, "hidden units")
	flag.IntVar(&cfg.TrainN, "train-n", cfg.TrainN, "training images to use (0: all 60,000)")
	flag.IntVar(&cfg.TestN, "test-n", cfg.TestN, "test images to use (0: all 10,000)")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for epochs.csv and the plots")
	flag.StringVar(&cfg.Data, "data", cfg.Data, "folder with the IDX files (default $BSUM_FASHION_MNIST or /usr/share/datasets/fashion-mnist)")
	flag.StringVar(&cfg.Blocks, "blocks", cfg.Blocks, "block rule: cyclic (one batch per sweep) or jacobi")
	flag.Float64Var(&cfg.HarmonicC, "harmonic-c", cfg.HarmonicC, "C of bp-harmonic's α = C/(2k), 0 < C < 2")
	flag.Float64Var(&cfg.Gamma, "gamma", cfg.Gamma, "γ of the BP methods' first-order bound (learning rate α/γ; 1 is the paper's BP)")
	flag.Float64Var(&cfg.Eta, "eta", cfg.Eta, "AdaGrad's rate η")
	flag.IntVar(&cfg.LMMax, "lm-max", cfg.LMMax, "lm-small: largest block (weights) given the Levenberg-Marquardt bound")
	flag.IntVar(&cfg.CGIters, "cg-iters", cfg.CGIters, "lm-small: conjugate-gradient budget per block update")
	flag.Float64Var(&cfg.Tikhonov, "tikhonov", cfg.Tikhonov, "λ of λ‖W_j‖² on every block")
	quick := flag.Bool("quick", false, "2,000 training and 1,000 test images, 1 epoch (for CI)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
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
	if err != nil {
		fmt.Fprintln(os.Stderr, "fashion:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fashion:", err)
		os.Exit(1)
	}
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

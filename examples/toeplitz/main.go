// Command toeplitz trains a 1-D convolutional network whose blocks are
// constrained to circular-convolution (Toeplitz) matrices, the seed paper's
// Section 5.2, and compares it with an unconstrained dense network of the
// same sizes.
//
// The task is shift-equivariant denoising: each clean signal is a random
// low-pass periodic signal of length 32 (harmonics 1 to 4 with random phases,
// normalised to unit mean power), observed with additive Gaussian noise; the
// target is the clean signal. The convolutional network is
//
//	H = C2·tanh(C1·X),  C1, C2 32×32 (layers.Conv),
//
// where each C_j lies in layers.ToeplitzSet (C[r][c] = h[(r−c) mod 32], 32
// free taps). The dense network has the same sizes with free 32×32 blocks.
// Both are trained with the l2 loss by Levenberg-Marquardt (solvers.LM) and
// gradient descent (solvers.GD) from the same seeded data. The solvers keep a
// constrained block on its set (projection after a first-order step, a
// projected inner method for LM); after training the example measures
// ‖C − P(C)‖_F with ToeplitzSet.Project for every constrained block.
//
// It prints the parameter counts, the training and test normalised MSE of
// every run next to the error of not denoising at all, and the Toeplitz
// check, and writes curves.csv and curves.png (training f per iteration, log
// y) to the -out folder.
//
// Usage:
//
//	go run ./examples/toeplitz [-out out/toeplitz] [-lm-iters 20] [-gd-iters 3000] [-noise 0.5]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
	"gonum.org/v1/plot/vg"
)

// config holds the example's settings (the command-line flags).
type config struct {
	// Out is the folder for curves.csv and curves.png.
	Out string
	// Seed seeds the data and the starting weights.
	Seed uint64
	// Len is the signal length: d0 = d1 = d2.
	Len int
	// NTrain and NTest are the numbers of training and test signals.
	NTrain, NTest int
	// Noise is the standard deviation of the additive noise.
	Noise float64
	// LMIters and GDIters are the iterations (one block update each).
	LMIters, GDIters int
	// GDGamma is γ of gradient descent (step 1/γ).
	GDGamma float64
}

func defaultConfig() config {
	return config{
		Out:     filepath.Join("out", "toeplitz"),
		Seed:    11,
		Len:     32,
		NTrain:  200,
		NTest:   1000,
		Noise:   0.5,
		LMIters: 20,
		GDIters: 3000,
		GDGamma: 80,
	}
}

// result is one training run.
type result struct {
	Net, Solver string
	// TrainNMSE and TestNMSE are ‖y − h‖²/‖y − mean(y)‖² on the training and
	// test signals.
	TrainNMSE, TestNMSE float64
	// F0 and F are the training objective at the start and the end.
	F0, F   float64
	Iters   int
	Elapsed time.Duration
	// MaxToeplitzDev is max over the constrained blocks of ‖W − P(W)‖_F
	// (NaN for the dense network, which has none); DenseDev is the same
	// distance for the dense network's first block, for contrast.
	MaxToeplitzDev float64
	DenseDev       float64
	History        []float64
	// Rises counts iterations that increased f by more than 1e-12
	// relative (a fixed γ below the local curvature overshoots).
	Rises int
}

// summary is what run returns.
type summary struct {
	// Stored weights and free parameters of each network.
	ConvStored, ConvFree, DenseParams int
	// Runs in the order conv LM, conv GD, dense LM, dense GD.
	Runs []result
	// NoDenoise is the test NMSE of the noisy input itself (h = x).
	NoDenoise float64
	CSV, PNG  string
}

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for curves.csv and curves.png")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data and the starting weights")
	flag.IntVar(&cfg.NTrain, "n", cfg.NTrain, "number of training signals")
	flag.Float64Var(&cfg.Noise, "noise", cfg.Noise, "noise standard deviation")
	flag.IntVar(&cfg.LMIters, "lm-iters", cfg.LMIters, "iterations of Levenberg-Marquardt (one block each)")
	flag.IntVar(&cfg.GDIters, "gd-iters", cfg.GDIters, "iterations of gradient descent (one block each)")
	flag.Float64Var(&cfg.GDGamma, "gd-gamma", cfg.GDGamma, "γ of gradient descent (step 1/γ)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "toeplitz:", err)
		os.Exit(1)
	}
}

// build returns the network's BuildFunc: a tanh layer and an identity
// output layer of len units each, convolutional (Toeplitz-constrained) when
// conv is true and dense otherwise.
func build(conv bool, n int) graph.BuildFunc {
	layer := layers.Dense
	if conv {
		layer = layers.Conv
	}
	return func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layer(b, "C1", n, x, layers.Tanh())
		h = layer(b, "C2", n, h, layers.Identity())
		return h, b.Err()
	}
}

// run generates the data, trains both networks with LM and GD, prints the
// report to w and writes the curves to cfg.Out.
func run(ctx context.Context, cfg config, w io.Writer) (summary, error) {
	var sum summary
	if cfg.Len < 2 || cfg.NTrain < 2 || cfg.NTest < 2 ||
		cfg.LMIters < 1 || cfg.GDIters < 1 || !(cfg.GDGamma > 0) || !(cfg.Noise >= 0) {
		return sum, fmt.Errorf("invalid configuration %+v", cfg)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, fmt.Errorf("creating the output folder: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	train := signals(rng, cfg.Len, cfg.NTrain, cfg.Noise)
	test := signals(rng, cfg.Len, cfg.NTest, cfg.Noise)
	var err error
	if sum.NoDenoise, err = identityNMSE(test); err != nil {
		return sum, fmt.Errorf("baseline: %w", err)
	}

	convNet, err := graph.New(cfg.Len, build(true, cfg.Len), losses.L2())
	if err != nil {
		return sum, fmt.Errorf("building the convolutional network: %w", err)
	}
	denseNet, err := graph.New(cfg.Len, build(false, cfg.Len), losses.L2())
	if err != nil {
		return sum, fmt.Errorf("building the dense network: %w", err)
	}
	for _, b := range convNet.Blocks() {
		sum.ConvStored += b.Size()
		if s, ok := b.Set.(layers.ToeplitzSet); ok {
			sum.ConvFree += s.Cols
		} else {
			sum.ConvFree += b.Size()
		}
	}
	for _, b := range denseNet.Blocks() {
		sum.DenseParams += b.Size()
	}

	fmt.Fprintf(w, "toeplitz: denoise random low-pass periodic signals of length %d (unit mean power, noise σ = %g)\n", cfg.Len, cfg.Noise)
	fmt.Fprintf(w, "%d training and %d test signals; networks %d-%d-%d (tanh hidden layer, identity output), l2 loss\n",
		cfg.NTrain, cfg.NTest, cfg.Len, cfg.Len, cfg.Len)
	fmt.Fprintf(w, "convolutional: blocks %s; %d free parameters (%d stored weights)\n", describe(convNet), sum.ConvFree, sum.ConvStored)
	fmt.Fprintf(w, "dense:         blocks %s; %d free parameters\n\n", describe(denseNet), sum.DenseParams)

	nets := []struct {
		name string
		net  *graph.Net
	}{{"conv (Toeplitz)", convNet}, {"dense", denseNet}}
	for _, n := range nets {
		w0 := n.net.Init(rand.New(rand.NewPCG(cfg.Seed, 2)))
		for _, m := range []struct {
			method solvers.BSUM
			iters  int
		}{{solvers.LM(), cfg.LMIters}, {solvers.GD(cfg.GDGamma), cfg.GDIters}} {
			r, err := trainOne(ctx, n.net, train, test, w0, m.method, m.iters, cfg.Seed)
			if err != nil {
				return sum, fmt.Errorf("%s network, %v: %w", n.name, m.method, err)
			}
			r.Net = n.name
			sum.Runs = append(sum.Runs, r)
		}
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "network\tsolver\titers\tf start\tf end\tf rises\ttrain NMSE\ttest NMSE\tmax ‖W−P(W)‖_F\ttime\t")
	for _, r := range sum.Runs {
		dev := "-"
		if !math.IsNaN(r.MaxToeplitzDev) {
			dev = fmt.Sprintf("%.2g", r.MaxToeplitzDev)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4g\t%.4g\t%d\t%.4f\t%.4f\t%s\t%s\t\n", r.Net, r.Solver, r.Iters, r.F0, r.F, r.Rises, r.TrainNMSE, r.TestNMSE, dev, r.Elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return sum, fmt.Errorf("writing the table: %w", err)
	}
	fmt.Fprintf(w, "NMSE = ‖y − h‖²/‖y − mean(y)‖² (1 = predicting the mean); not denoising (h = x) has test NMSE %.4f.\n", sum.NoDenoise)
	fmt.Fprintln(w, "f rises: iterations that increased f by more than 1e-12 relative.")
	fmt.Fprintln(w, "max ‖W−P(W)‖_F: largest distance of a constrained block from its projection onto the Toeplitz set (ToeplitzSet.Project).")
	for _, r := range sum.Runs {
		if r.Net == "dense" {
			fmt.Fprintf(w, "for contrast, the dense network's first block after %s is at distance %.3g from the Toeplitz set\n", r.Solver, r.DenseDev)
		}
	}
	ok := true
	for _, r := range sum.Runs {
		if !math.IsNaN(r.MaxToeplitzDev) && !(r.MaxToeplitzDev <= 1e-12) {
			ok = false
		}
	}
	if ok {
		fmt.Fprintln(w, "Toeplitz check passed: every constrained block is within 1e-12 of the Toeplitz set after training")
	} else {
		fmt.Fprintln(w, "Toeplitz check FAILED: a constrained block left the Toeplitz set")
	}

	if err := writeOutputs(cfg, &sum); err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "curves: %s, %s\n", sum.CSV, sum.PNG)
	if !ok {
		return sum, fmt.Errorf("a constrained block left the Toeplitz set")
	}
	return sum, nil
}

// describe lists a network's blocks as name rows×cols (set).
func describe(net *graph.Net) string {
	s := ""
	for i, b := range net.Blocks() {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d×%d", b.Name, b.Rows, b.Cols)
		if _, ok := b.Set.(layers.ToeplitzSet); ok {
			s += " Toeplitz"
		}
	}
	return s
}

// trainOne trains net with method m and measures the errors and the
// distance of the constrained blocks from the Toeplitz set.
func trainOne(ctx context.Context, net *graph.Net, train, test solvers.Data, w0 graph.Weights, m solvers.BSUM, iters int, seed uint64) (result, error) {
	r := result{Solver: m.String(), MaxToeplitzDev: math.NaN(), DenseDev: math.NaN()}
	var err error
	if r.F0, err = solvers.Objective(net, train, w0); err != nil {
		return r, fmt.Errorf("initial objective: %w", err)
	}
	res, err := solvers.Minimize(ctx, net, train, w0, m, solvers.Settings{MaxIter: iters, Seed: seed})
	if err == nil && res.Status == solvers.Canceled {
		err = context.Cause(ctx) // a cancellation between iterations is reported by the status alone
	}
	if err != nil {
		return r, err
	}
	r.F, r.Iters, r.Elapsed, r.TrainNMSE = res.F, len(res.History), res.Elapsed, res.NormMSE
	prev := r.F0
	for _, rec := range res.History {
		if rec.F > prev+1e-12*math.Abs(prev) {
			r.Rises++
		}
		prev = rec.F
		r.History = append(r.History, rec.F)
	}
	if r.TestNMSE, err = nmse(net, res.Weights, test); err != nil {
		return r, fmt.Errorf("test error: %w", err)
	}
	for j, b := range net.Blocks() {
		if s, ok := b.Set.(layers.ToeplitzSet); ok {
			d := toeplitzDistance(s, res.Weights[j])
			if math.IsNaN(r.MaxToeplitzDev) || d > r.MaxToeplitzDev {
				r.MaxToeplitzDev = d
			}
		}
	}
	if b := net.Blocks()[0]; b.Set == nil {
		r.DenseDev = toeplitzDistance(layers.ToeplitzSet{Rows: b.Rows, Cols: b.Cols}, res.Weights[0])
	}
	return r, nil
}

// toeplitzDistance is ‖W − P(W)‖_F, P the projection onto s.
func toeplitzDistance(s layers.ToeplitzSet, wj []float64) float64 {
	p := append([]float64(nil), wj...)
	s.Project(p)
	var d float64
	for i := range p {
		d += (wj[i] - p[i]) * (wj[i] - p[i])
	}
	return math.Sqrt(d)
}

// signals draws n clean signals y_c(i) = Σ_{k=1..4} (a_k cos + b_k sin)(2πki/d)
// with a_k, b_k ~ N(0, 1/k²), scaled to unit mean power, and their noisy
// observations x = y + noise·ε. X and Y are d×n.
func signals(rng *rand.Rand, d, n int, noise float64) solvers.Data {
	var power float64 // E[y(i)²] = Σ_k 1/k²
	for k := 1; k <= 4; k++ {
		power += 1 / float64(k*k)
	}
	scale := 1 / math.Sqrt(power)
	data := solvers.Data{X: make([]float64, d*n), Y: make([]float64, d*n), N: n}
	for c := 0; c < n; c++ {
		for k := 1; k <= 4; k++ {
			a := scale * rng.NormFloat64() / float64(k)
			b := scale * rng.NormFloat64() / float64(k)
			for i := 0; i < d; i++ {
				t := 2 * math.Pi * float64(k*i) / float64(d)
				data.Y[i*n+c] += a*math.Cos(t) + b*math.Sin(t)
			}
		}
		for i := 0; i < d; i++ {
			data.X[i*n+c] = data.Y[i*n+c] + noise*rng.NormFloat64()
		}
	}
	return data
}

// identityNMSE is the normalised MSE of h = x (no denoising) on data.
func identityNMSE(data solvers.Data) (float64, error) {
	return normalisedError(data.Y, data.X, data.N)
}

// normalisedError is ‖y − h‖²/‖y − mean(y)‖², with the mean taken per row
// (output) of the n-column matrices y and h.
func normalisedError(y, h []float64, n int) (float64, error) {
	var se, sv float64
	for r := 0; r < len(y)/n; r++ {
		row := y[r*n : (r+1)*n]
		var mean float64
		for _, v := range row {
			mean += v
		}
		mean /= float64(n)
		for i, v := range row {
			se += (v - h[r*n+i]) * (v - h[r*n+i])
			sv += (v - mean) * (v - mean)
		}
	}
	if !(sv > 0) {
		return 0, fmt.Errorf("the targets are constant")
	}
	return se / sv, nil
}

// nmse is the network's normalised error on data (see normalisedError).
func nmse(net *graph.Net, w graph.Weights, data solvers.Data) (float64, error) {
	p, err := net.Program(data.N)
	if err != nil {
		return 0, err
	}
	if err := p.SetInput(data.X); err != nil {
		return 0, err
	}
	if err := p.SetWeights(w); err != nil {
		return 0, err
	}
	h := make([]float64, len(data.Y))
	if err := p.Output(h); err != nil {
		return 0, err
	}
	return normalisedError(data.Y, h, data.N)
}

// writeOutputs writes curves.csv and curves.png (training f, log y).
func writeOutputs(cfg config, sum *summary) error {
	fig := plots.Figure{Title: "Training objective f (log scale)", XLabel: "iteration", YLabel: "f", LogY: true}
	for _, r := range sum.Runs {
		s := plots.Series{Name: r.Net + " " + r.Solver}
		for k, f := range r.History {
			s.X = append(s.X, float64(k+1))
			s.Y = append(s.Y, f)
		}
		fig.Series = append(fig.Series, s)
	}
	sum.CSV = filepath.Join(cfg.Out, "curves.csv")
	sum.PNG = filepath.Join(cfg.Out, "curves.png")
	if err := fig.SaveCSV(sum.CSV); err != nil {
		return err
	}
	if _, err := fig.Save(sum.PNG, plots.Options{Width: 7 * vg.Inch, Height: 4.5 * vg.Inch}); err != nil {
		return fmt.Errorf("writing the plot: %w", err)
	}
	return nil
}

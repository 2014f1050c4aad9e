// Command deeplinear compares exact block coordinate descent with gradient
// descent on a deep linear network (the seed paper's Section 5.2).
//
// The network H = W3·W2·W1·X (sizes 8-8-8-4, identity activations, no biases)
// is fitted to synthetic data Y = A·X + noise with the l2 loss and a
// Tikhonov term λ‖W_j‖²_F on every block:
//
//	f(W) = (1/N)‖Y − W3 W2 W1 X‖²_F + λ Σ_j ‖W_j‖²_F.
//
// With the other blocks fixed, f is a strongly convex quadratic in each W_j
// (solvers.Certify proves it: the output is affine in the block), so
// solvers.ExactBCD solves each block problem in closed form (one Cholesky
// solve of the block Hessian). Gradient descent (solvers.GD) takes the step
// W_j ← W_j − ∇_j f/γ. Its γ is chosen by a simple bound and a few tries:
// L0 = max_j λ_max(∇²_j f(W⁰)) at the starting weights, then γ = c·L0 for
// c = 1, 2, 4, keeping the γ that reaches the lowest objective (the first
// on ties); the example prints every try.
//
// It prints, for both methods, the final objective, the iterations and the
// wall time needed to come within a relative 1e-6 of the best objective
// found by either method, and writes the curves f(k) and f(k) − f_best to
// curves.csv, f.png and gap.png (log y) in the -out folder.
//
// Usage:
//
//	go run ./examples/deeplinear [-out out/deeplinear] [-bcd-iters 1500] [-gd-iters 10000] [-sizes 8-8-8-4] [-tikhonov 0.01]
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

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
	"gonum.org/v1/plot/vg"
)

// config holds the example's settings (the command-line flags).
type config struct {
	// Out is the folder for curves.csv, f.png and gap.png.
	Out string
	// Seed seeds the data and the starting weights.
	Seed uint64
	// Sizes are d0, d1, …, dJ.
	Sizes []int
	// N is the number of samples.
	N int
	// Noise is the standard deviation of the additive noise on Y.
	Noise float64
	// Tikhonov is λ.
	Tikhonov float64
	// BCDIters and GDIters are the iterations (one block update each).
	BCDIters, GDIters int
	// GammaFactors are the multiples c of the curvature bound L0 tried as
	// γ = c·L0 for gradient descent, TryIters iterations each.
	GammaFactors []float64
	TryIters     int
	// RelTol defines "converged": f ≤ f_best·(1 + RelTol).
	RelTol float64
}

func defaultConfig() config {
	return config{
		Out:          filepath.Join("out", "deeplinear"),
		Seed:         3,
		Sizes:        []int{8, 8, 8, 4},
		N:            200,
		Noise:        0.1,
		Tikhonov:     1e-2,
		BCDIters:     1500,
		GDIters:      10000,
		GammaFactors: []float64{0.25, 0.5, 1, 2},
		TryIters:     1000,
		RelTol:       1e-6,
	}
}

// method is the outcome of one solver.
type method struct {
	Name string
	// Gamma is γ for gradient descent (0 for ExactBCD).
	Gamma float64
	// F is the final objective; F0 the starting one.
	F0, F float64
	// Iters is the number of iterations run.
	Iters int
	// ItersTo and TimeTo are the first iteration and its wall time at which
	// f ≤ f_best·(1 + RelTol); ItersTo is 0 when that never happened.
	ItersTo int
	TimeTo  time.Duration
	Elapsed time.Duration
	// History is f after every iteration and Times the wall time since
	// the start of the run at that point.
	History []float64
	Times   []time.Duration
	// Status is why the run stopped.
	Status solvers.Status
	// Rises counts iterations after which f was higher than before by more
	// than 1e-12 relative (rounding is ignored).
	Rises int
}

// gammaTry is one γ tried for gradient descent.
type gammaTry struct {
	Factor, Gamma, F float64
	Status           solvers.Status
	// Rises counts iterations that increased f.
	Rises int
}

// summary is what run returns.
type summary struct {
	// L0 is max_j λ_max(∇²_j f) at the starting weights.
	L0 float64
	// Tries are the γ values tried for gradient descent.
	Tries []gammaTry
	// BCD and GD are the two methods (GD with the chosen γ).
	BCD, GD method
	// FBest is the lowest objective either method reached.
	FBest float64
	// Certificate is solvers.Certify's verdict on block 1 at the start.
	Certificate string
	// Files written.
	CSV, PlotF, PlotGap string
}

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for curves.csv, f.png and gap.png")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data and the starting weights")
	sizes := flag.String("sizes", "8-8-8-4", "layer sizes d0-d1-…-dJ")
	flag.IntVar(&cfg.N, "n", cfg.N, "number of samples")
	flag.Float64Var(&cfg.Tikhonov, "tikhonov", cfg.Tikhonov, "Tikhonov λ on every block")
	flag.Float64Var(&cfg.Noise, "noise", cfg.Noise, "standard deviation of the noise on Y")
	flag.IntVar(&cfg.BCDIters, "bcd-iters", cfg.BCDIters, "iterations of exact BCD (one block each)")
	flag.IntVar(&cfg.GDIters, "gd-iters", cfg.GDIters, "iterations of gradient descent (one block each)")
	flag.Parse()
	var err error
	if cfg.Sizes, err = models.ParseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "deeplinear:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "deeplinear:", err)
		os.Exit(1)
	}
}

// run builds the data and the network, trains it with ExactBCD and with GD,
// prints the comparison to w and writes curves to cfg.Out.
func run(ctx context.Context, cfg config, w io.Writer) (summary, error) {
	var sum summary
	if len(cfg.Sizes) < 2 || cfg.N < 1 || cfg.BCDIters < 1 || cfg.GDIters < 1 || cfg.TryIters < 1 || len(cfg.GammaFactors) == 0 || !(cfg.RelTol > 0) {
		return sum, fmt.Errorf("invalid configuration %+v", cfg)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, fmt.Errorf("creating the output folder: %w", err)
	}
	spec := models.DeepLinear(cfg.Sizes...)
	spec.Tikhonov = cfg.Tikhonov
	net, err := spec.Net()
	if err != nil {
		return sum, fmt.Errorf("building the network: %w", err)
	}
	data := synthetic(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg.Sizes[0], cfg.Sizes[len(cfg.Sizes)-1], cfg.N, cfg.Noise)
	w0 := net.Init(rand.New(rand.NewPCG(cfg.Seed, 2)))
	sum.Certificate = solvers.Certify(net, w0, 0).Reason

	fmt.Fprintf(w, "deep linear network %v (identity activations), N = %d, Y = A·X + %g·noise, Tikhonov λ = %g\n",
		cfg.Sizes, cfg.N, cfg.Noise, cfg.Tikhonov)
	fmt.Fprintf(w, "certificate for block W1: %s\n", sum.Certificate)

	// Simple bound on the block Lipschitz constants at the start.
	if sum.L0, err = curvatureBound(net, data, w0); err != nil {
		return sum, fmt.Errorf("curvature bound: %w", err)
	}
	fmt.Fprintf(w, "L0 = max_j λ_max(∇²_j f(W⁰)) = %.4g\n\n", sum.L0)

	bcd, err := train(ctx, net, data, w0, solvers.ExactBCD(), cfg.BCDIters, cfg.Seed)
	if err != nil {
		return sum, fmt.Errorf("ExactBCD: %w", err)
	}
	bcd.Name = "ExactBCD (closed-form block least squares)"

	// A few short tries of γ = c·L0 for gradient descent; the best one is
	// then run for the full budget.
	fmt.Fprintf(w, "gradient descent: γ = c·L0 tried for c in %v, %d iterations each:\n", cfg.GammaFactors, cfg.TryIters)
	best := math.NaN()
	bestF := math.Inf(1)
	for _, c := range cfg.GammaFactors {
		gamma := c * sum.L0
		m, err := train(ctx, net, data, w0, solvers.GD(gamma), cfg.TryIters, cfg.Seed)
		try := gammaTry{Factor: c, Gamma: gamma, F: m.F, Status: m.Status, Rises: m.Rises}
		switch {
		case ctx.Err() != nil:
			return sum, fmt.Errorf("GD with γ = %g: %w", gamma, ctx.Err())
		case err != nil:
			// A divergent try is reported and skipped.
			try.F, try.Status = math.NaN(), solvers.Failed
			fmt.Fprintf(w, "  c = %-4g γ = %-9.4g failed: %v\n", c, gamma, err)
		default:
			fmt.Fprintf(w, "  c = %-4g γ = %-9.4g f = %.10g, f rose in %d iterations\n", c, gamma, m.F, m.Rises)
			if m.F < bestF {
				best, bestF = gamma, m.F
			}
		}
		sum.Tries = append(sum.Tries, try)
	}
	if math.IsNaN(best) {
		return sum, fmt.Errorf("gradient descent failed for every γ tried")
	}
	fmt.Fprintf(w, "  using γ = %.4g (lowest f) for the full run\n\n", best)
	gd, err := train(ctx, net, data, w0, solvers.GD(best), cfg.GDIters, cfg.Seed)
	if err != nil {
		return sum, fmt.Errorf("GD with γ = %g: %w", best, err)
	}
	gd.Gamma = best
	gd.Name = fmt.Sprintf("GD (γ = %.4g)", best)

	// Best value found by either method, and when each got within RelTol.
	sum.FBest = math.Inf(1)
	for _, m := range []method{bcd, gd} {
		for _, f := range m.History {
			sum.FBest = math.Min(sum.FBest, f)
		}
	}
	for _, m := range []*method{&bcd, &gd} {
		for k, f := range m.History {
			if f <= sum.FBest+cfg.RelTol*math.Abs(sum.FBest) {
				m.ItersTo, m.TimeTo = k+1, m.Times[k]
				break
			}
		}
	}
	sum.BCD, sum.GD = bcd, gd

	fmt.Fprintf(w, "best objective found f_best = %.12g\n", sum.FBest)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\titers run\tf start\tf end\tf rises\titers to rel. %.0e\ttime to rel. %.0e\ttotal time\t\n", cfg.RelTol, cfg.RelTol)
	for _, m := range []method{sum.BCD, sum.GD} {
		to, tt := "not reached", "-"
		if m.ItersTo > 0 {
			to, tt = fmt.Sprint(m.ItersTo), m.TimeTo.Round(10*time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%.6g\t%.10g\t%d\t%s\t%s\t%s\t\n", m.Name, m.Iters, m.F0, m.F, m.Rises, to, tt, m.Elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return sum, fmt.Errorf("writing the table: %w", err)
	}
	fmt.Fprintf(w, "(one iteration updates one of the %d blocks, cyclically; f rises counts iterations that increased f by more than 1e-12 relative;\n"+
		" times include a full evaluation of f after each iteration)\n", net.NumBlocks())

	if err := writeOutputs(cfg, &sum); err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "curves: %s, %s, %s\n", sum.CSV, sum.PlotF, sum.PlotGap)
	return sum, nil
}

// train runs method m for iters iterations from w0 and records f after
// every iteration.
func train(ctx context.Context, net *graph.Net, data solvers.Data, w0 graph.Weights, m solvers.BSUM, iters int, seed uint64) (method, error) {
	out := method{Name: m.String()}
	var err error
	if out.F0, err = solvers.Objective(net, data, w0); err != nil {
		return out, fmt.Errorf("initial objective: %w", err)
	}
	res, err := solvers.Minimize(ctx, net, data, w0, m, solvers.Settings{MaxIter: iters, Seed: seed})
	if err != nil {
		return out, err
	}
	if res.Status == solvers.Canceled {
		// Minimize reports a cancellation between iterations by the
		// status alone.
		return out, fmt.Errorf("%v: %w", m, context.Cause(ctx))
	}
	out.F, out.Iters, out.Elapsed, out.Status = res.F, len(res.History), res.Elapsed, res.Status
	prev := out.F0
	for _, rec := range res.History {
		if rec.F > prev+1e-12*math.Abs(prev) { // ignore rounding
			out.Rises++
		}
		prev = rec.F
		out.History = append(out.History, rec.F)
		out.Times = append(out.Times, rec.Elapsed)
	}
	return out, nil
}

// synthetic draws X (d0×n, standard normal), a fixed map A (dJ×d0, entries
// N(0, 1/d0)) and Y = A·X + noise·N(0, 1).
func synthetic(rng *rand.Rand, in, out, n int, noise float64) solvers.Data {
	a := make([]float64, out*in)
	for i := range a {
		a[i] = rng.NormFloat64() / math.Sqrt(float64(in))
	}
	d := solvers.Data{X: make([]float64, in*n), Y: make([]float64, out*n), N: n}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for r := 0; r < out; r++ {
		for c := 0; c < n; c++ {
			v := noise * rng.NormFloat64()
			for k := 0; k < in; k++ {
				v += a[r*in+k] * d.X[k*n+c]
			}
			d.Y[r*n+c] = v
		}
	}
	return d
}

// curvatureBound returns max_j λ_max(∇²_j f(w)), the largest eigenvalue of
// any block Hessian at w, by power iteration on Hessian-vector products
// (the block Hessians of a deep linear network with l2 loss are positive
// semi-definite, so the dominant eigenvalue is the largest).
func curvatureBound(net *graph.Net, data solvers.Data, w graph.Weights) (float64, error) {
	p, err := net.Program(data.N)
	if err != nil {
		return 0, err
	}
	if err := p.SetBatch(data.X, data.Y); err != nil {
		return 0, err
	}
	if err := p.SetWeights(w); err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var best float64
	for j, b := range net.Blocks() {
		v := make([]float64, b.Size())
		hv := make([]float64, b.Size())
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		var lambda float64
		for it := 0; it < 200; it++ {
			normalize(v)
			if err := p.HVP(j, v, hv); err != nil {
				return 0, fmt.Errorf("block %q: %w", b.Name, err)
			}
			var next float64
			for i := range v {
				next += v[i] * hv[i]
			}
			copy(v, hv)
			if math.Abs(next-lambda) <= 1e-10*math.Abs(next) {
				lambda = next
				break
			}
			lambda = next
		}
		if math.IsNaN(lambda) || math.IsInf(lambda, 0) {
			return 0, fmt.Errorf("block %q: power iteration gave %v", b.Name, lambda)
		}
		best = math.Max(best, lambda)
	}
	if !(best > 0) {
		return 0, fmt.Errorf("curvature bound %v is not positive", best)
	}
	return best, nil
}

func normalize(v []float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	if s == 0 {
		return
	}
	for i := range v {
		v[i] /= s
	}
}

// writeOutputs writes curves.csv (f per iteration), f.png (f, log y) and
// gap.png (f − f_best, log y).
func writeOutputs(cfg config, sum *summary) error {
	fig := plots.Figure{Title: "Deep linear network: objective f", XLabel: "iteration", YLabel: "f", LogY: true}
	gap := plots.Figure{Title: "Deep linear network: f − f_best", XLabel: "iteration", YLabel: "f − f_best", LogY: true}
	for _, m := range []method{sum.BCD, sum.GD} {
		s := plots.Series{Name: m.Name}
		g := plots.Series{Name: m.Name}
		for k, f := range m.History {
			s.X = append(s.X, float64(k+1))
			s.Y = append(s.Y, f)
			g.X = append(g.X, float64(k+1))
			g.Y = append(g.Y, f-sum.FBest)
		}
		fig.Series = append(fig.Series, s)
		gap.Series = append(gap.Series, g)
	}
	sum.CSV = filepath.Join(cfg.Out, "curves.csv")
	sum.PlotF = filepath.Join(cfg.Out, "f.png")
	sum.PlotGap = filepath.Join(cfg.Out, "gap.png")
	if err := fig.SaveCSV(sum.CSV); err != nil {
		return err
	}
	for _, pf := range []struct {
		fig  plots.Figure
		path string
	}{{fig, sum.PlotF}, {gap, sum.PlotGap}} {
		if _, err := pf.fig.Save(pf.path, plots.Options{Width: 7 * vg.Inch, Height: 4.5 * vg.Inch}); err != nil {
			return fmt.Errorf("writing the plot: %w", err)
		}
	}
	return nil
}

// Command custom trains a hand-written architecture, declared as a Gorgonia
// expression graph in this file, on the embedded BodyFat data, with three
// different BSUM solvers.
//
// The network is a residual block with biases folded into the blocks:
//
//	h1  = tanh(W1·[x; 1])        W1: 10×14
//	h2  = W2·h1 + x              W2: 13×10  (skip connection)
//	out = σ(W3·[h2; 1])          W3: 1×14   (σ the logistic function)
//
// on the 13 standardised BodyFat measurements (dataset.BodyFatRegression, all
// 252 men, target min-max scaled to [0, 1]) with the l2 loss. Nothing but
// graph.New, Builder.Weight and Gorgonia ops is needed to declare it; any
// solver then trains it. The three runs differ in one line, the method:
//
//	method := solvers.LM()
//	method := solvers.BP(solvers.Harmonic{C: 1})
//	method := solvers.BP(solvers.Armijo{})
//
// The example prints that line for each run with the final normalised MSE,
// the RMSE in percent body fat, the iterations and the time. Proposition 1
// of the seed paper certifies block convexity only for plain layer chains,
// so this graph gets no certificate: the example prints solvers.Certify's
// reason for one block, and shows that a solver that needs a certified
// convex block (solvers.ExactBCD) refuses the graph.
//
// Usage:
//
//	go run ./examples/custom [-out out/custom] [-lm-iters 150] [-bp-iters 3000]
package main

import (
	"context"
	"errors"
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
	"gorgonia.org/tensor"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
	"gonum.org/v1/plot/vg"
)

// config holds the example's settings (the command-line flags).
type config struct {
	// Out is the folder for curves.csv and curves.png.
	Out string
	// Seed seeds the starting weights (the same for every solver).
	Seed uint64
	// Hidden is the width of the tanh layer inside the residual block.
	Hidden int
	// LMIters and BPIters are the iterations (one block update each) of the
	// LM run and of the two BP runs.
	LMIters, BPIters int
}

func defaultConfig() config {
	return config{
		Out:     filepath.Join("out", "custom"),
		Seed:    1,
		Hidden:  10,
		LMIters: 150,
		BPIters: 3000,
	}
}

// choice is one run: the source line that picks the method, and the method.
type choice struct {
	Line   string
	Method func() solvers.BSUM
	Iters  func(config) int
}

// choices are the three runs. The Line strings are the exact source of the
// method calls next to them (a test checks that they occur in this file).
var choices = []choice{
	{
		Line:   "method := solvers.LM()",
		Method: func() solvers.BSUM { return solvers.LM() },
		Iters:  func(c config) int { return c.LMIters },
	},
	{
		Line:   "method := solvers.BP(solvers.Harmonic{C: 1})",
		Method: func() solvers.BSUM { return solvers.BP(solvers.Harmonic{C: 1}) },
		Iters:  func(c config) int { return c.BPIters },
	},
	{
		Line:   "method := solvers.BP(solvers.Armijo{})",
		Method: func() solvers.BSUM { return solvers.BP(solvers.Armijo{}) },
		Iters:  func(c config) int { return c.BPIters },
	},
}

// row is the outcome of one run.
type row struct {
	Line, Solver string
	// NormMSE is ‖Y − H‖²/‖Y − mean(Y)‖² on the 252 samples; RMSE is the
	// root-mean-square error in percent body fat.
	NormMSE, RMSE float64
	// F0 and F are the objective at the start and the end.
	F0, F   float64
	Iters   int
	Status  solvers.Status
	Elapsed time.Duration
	History []float64
}

// summary is what run returns.
type summary struct {
	Rows []row
	// Blocks are the declared blocks as "name rows×cols".
	Blocks []string
	// Chain reports whether graph.Net recognised a plain layer chain.
	Chain bool
	// CertifyReason is solvers.Certify's reason for block W2.
	CertifyReason string
	// ExactBCDErr is the error ExactBCD returns on this graph.
	ExactBCDErr error
	CSV, PNG    string
}

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for curves.csv and curves.png")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the starting weights")
	flag.IntVar(&cfg.LMIters, "lm-iters", cfg.LMIters, "iterations of LM (one block each)")
	flag.IntVar(&cfg.BPIters, "bp-iters", cfg.BPIters, "iterations of each BP run (one block each)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom:", err)
		os.Exit(1)
	}
}

// residual returns the BuildFunc of the residual block with hidden tanh
// units. It declares three weight blocks with b.Weight and wires them with
// plain Gorgonia ops; the activations are bsum's twice-differentiable
// layers.Tanh and layers.Logistic ops (Gorgonia's Sigmoid saturates early,
// see package layers).
func residual(hidden int) graph.BuildFunc {
	return func(b *graph.Builder, x *G.Node) (out *G.Node, err error) {
		d := x.Shape()[0]
		w1 := b.Weight("W1", hidden, d+1)
		w2 := b.Weight("W2", d, hidden)
		w3 := b.Weight("W3", 1, d+1)
		if err := b.Err(); err != nil {
			return nil, err
		}
		ones := onesRow(b.Graph(), b.Batch())

		xb, err := G.Concat(0, x, ones) // [x; 1]
		if err != nil {
			return nil, fmt.Errorf("residual: [x; 1]: %w", err)
		}
		z1, err := G.Mul(w1, xb)
		if err != nil {
			return nil, fmt.Errorf("residual: W1·[x; 1]: %w", err)
		}
		h1, err := layers.Tanh().Apply(z1)
		if err != nil {
			return nil, fmt.Errorf("residual: tanh: %w", err)
		}
		z2, err := G.Mul(w2, h1)
		if err != nil {
			return nil, fmt.Errorf("residual: W2·h1: %w", err)
		}
		h2, err := G.Add(z2, x) // the skip connection
		if err != nil {
			return nil, fmt.Errorf("residual: W2·h1 + x: %w", err)
		}
		hb, err := G.Concat(0, h2, ones) // [h2; 1]
		if err != nil {
			return nil, fmt.Errorf("residual: [h2; 1]: %w", err)
		}
		z3, err := G.Mul(w3, hb)
		if err != nil {
			return nil, fmt.Errorf("residual: W3·[h2; 1]: %w", err)
		}
		return layers.Logistic().Apply(z3)
	}
}

// onesRow is a constant 1×batch row of ones (the bias input).
func onesRow(g *G.ExprGraph, batch int) *G.Node {
	ones := make([]float64, batch)
	for i := range ones {
		ones[i] = 1
	}
	t := tensor.New(tensor.WithShape(1, batch), tensor.WithBacking(ones))
	return G.NewConstant(t, G.In(g), G.WithName(fmt.Sprintf("ones(1×%d)", batch)))
}

// run builds the residual network, trains it with each choice, prints the
// report to w and writes the curves to cfg.Out.
func run(ctx context.Context, cfg config, w io.Writer) (summary, error) {
	var sum summary
	if cfg.Hidden < 1 || cfg.LMIters < 1 || cfg.BPIters < 1 {
		return sum, fmt.Errorf("invalid configuration %+v", cfg)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, fmt.Errorf("creating the output folder: %w", err)
	}
	set, err := dataset.BodyFatRegression()
	if err != nil {
		return sum, fmt.Errorf("loading BodyFat: %w", err)
	}
	net, err := graph.New(set.In, residual(cfg.Hidden), losses.L2())
	if err != nil {
		return sum, fmt.Errorf("declaring the residual network: %w", err)
	}
	for _, b := range net.Blocks() {
		sum.Blocks = append(sum.Blocks, fmt.Sprintf("%s %d×%d", b.Name, b.Rows, b.Cols))
	}
	_, sum.Chain = net.Chain()
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	w0 := net.Init(rand.New(rand.NewPCG(cfg.Seed, 2)))

	fmt.Fprintf(w, "custom: residual block h1 = tanh(W1·[x;1]), h2 = W2·h1 + x, out = σ(W3·[h2;1]) declared with graph.New and Builder.Weight\n")
	fmt.Fprintf(w, "BodyFat: %d samples, %d standardised inputs, target %s scaled to [0, 1]; l2 loss; blocks %v\n\n",
		set.N, set.In, set.TargetNames[0], sum.Blocks)

	// No certificate for a hand-written graph.
	j, _ := net.BlockIndex("W2")
	sum.CertifyReason = solvers.Certify(net, w0, j).Reason
	fmt.Fprintf(w, "recognised as a plain layer chain: %v\n", sum.Chain)
	fmt.Fprintf(w, "solvers.Certify(net, w0, block W2): %s\n", sum.CertifyReason)
	_, sum.ExactBCDErr = solvers.Minimize(ctx, net, data, w0, solvers.ExactBCD(), solvers.Settings{MaxIter: 1})
	switch {
	case sum.ExactBCDErr == nil:
		return sum, fmt.Errorf("ExactBCD accepted a graph without a convexity certificate")
	case !errors.Is(sum.ExactBCDErr, surrogate.ErrNotCertified):
		return sum, fmt.Errorf("ExactBCD: %w", sum.ExactBCDErr)
	}
	fmt.Fprintf(w, "so solvers.ExactBCD() refuses it: %v\n", sum.ExactBCDErr)
	fmt.Fprintf(w, "LM and BP do not ask for one: their surrogates do not need a convex block.\n\n")

	fig := plots.Figure{Title: "Residual network on BodyFat: objective f (log scale)", XLabel: "iteration", YLabel: "f", LogY: true}
	f0, err := solvers.Objective(net, data, w0)
	if err != nil {
		return sum, fmt.Errorf("initial objective: %w", err)
	}
	for _, c := range choices {
		method := c.Method() // the one line that changes
		res, err := solvers.Minimize(ctx, net, data, w0, method, solvers.Settings{MaxIter: c.Iters(cfg), Seed: cfg.Seed})
		if err == nil && res.Status == solvers.Canceled {
			err = context.Cause(ctx) // a cancellation between iterations is reported by the status alone
		}
		if err != nil {
			return sum, fmt.Errorf("%s: %w", c.Line, err)
		}
		r := row{Line: c.Line, Solver: method.String(), NormMSE: res.NormMSE, F0: f0, F: res.F,
			Iters: len(res.History), Status: res.Status, Elapsed: res.Elapsed}
		if r.RMSE, err = rmsePercent(net, res.Weights, set); err != nil {
			return sum, fmt.Errorf("%s: %w", c.Line, err)
		}
		s := plots.Series{Name: method.String()}
		for _, rec := range res.History {
			r.History = append(r.History, rec.F)
			s.X = append(s.X, float64(rec.K))
			s.Y = append(s.Y, rec.F)
		}
		fig.Series = append(fig.Series, s)
		sum.Rows = append(sum.Rows, r)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "the one line\tsolver\titers\tf start\tf end\tnormalised MSE\tRMSE (% body fat)\ttime\t")
	for _, r := range sum.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4g\t%.4g\t%.4f\t%.2f\t%s\t\n", r.Line, r.Solver, r.Iters, r.F0, r.F, r.NormMSE, r.RMSE, r.Elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return sum, fmt.Errorf("writing the table: %w", err)
	}
	fmt.Fprintln(w, "(errors on all 252 training samples; one iteration updates one of the 3 blocks, cyclically)")

	sum.CSV = filepath.Join(cfg.Out, "curves.csv")
	sum.PNG = filepath.Join(cfg.Out, "curves.png")
	if err := fig.SaveCSV(sum.CSV); err != nil {
		return sum, err
	}
	if _, err := fig.Save(sum.PNG, plots.Options{Width: 7 * vg.Inch, Height: 4.5 * vg.Inch}); err != nil {
		return sum, fmt.Errorf("writing the plot: %w", err)
	}
	fmt.Fprintf(w, "curves: %s, %s\n", sum.CSV, sum.PNG)
	return sum, nil
}

// rmsePercent is the root-mean-square error of the network on set in the
// target's original units (percent body fat), through the set's Scaler.
func rmsePercent(net *graph.Net, w graph.Weights, set *dataset.Set) (float64, error) {
	p, err := net.Program(set.N)
	if err != nil {
		return 0, err
	}
	if err := p.SetInput(set.X); err != nil {
		return 0, err
	}
	if err := p.SetWeights(w); err != nil {
		return 0, err
	}
	h := make([]float64, set.N)
	if err := p.Output(h); err != nil {
		return 0, fmt.Errorf("predicting: %w", err)
	}
	if set.Scaler == nil {
		return 0, fmt.Errorf("the data set has no scaler to undo the target scaling")
	}
	y := make([]float64, set.N)
	set.Scaler.InverseY(h, h, set.N)
	set.Scaler.InverseY(y, set.Y, set.N)
	var se float64
	for i := range h {
		se += (h[i] - y[i]) * (h[i] - y[i])
	}
	return math.Sqrt(se / float64(set.N)), nil
}

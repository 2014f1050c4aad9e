// Command classification trains small multi-layer perceptrons on synthetic
// two-dimensional classification tasks with bsum's BSUM solvers and reports
// training and held-out accuracy for each loss and solver.
//
// Two tasks are generated from a fixed seed and split 75/25 into training and
// test samples; the feature scaling is fitted on the training samples only,
// and the test samples are used for nothing but the final accuracy:
//
//   - two-class: two interleaved noisy half-moons, a 2-16-1 network with a tanh
//     hidden layer (biases folded into the blocks), trained under the
//     cross-entropy (logistic output, 0/1 labels), the cross-entropy with
//     logits (identity output, 0/1 labels), the logistic loss (identity
//     output, ±1 labels) and the squared hinge loss (identity output, ±1
//     labels);
//   - three-class: three interleaved noisy spiral arms, a 2-16-3 network with
//     identity output and the softmax cross-entropy on one-hot labels.
//
// Every network is trained from the same seeded starting weights by
// Levenberg-Marquardt (solvers.LM) and by gradient descent (solvers.GD). The
// objective curves go to curves.csv and to one PNG plot per task in the -out
// folder.
//
// Usage:
//
//	go run ./examples/classification [-out out/classification] [-lm-iters 400] [-gd-iters 4000] [-seed 7]
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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
	"gonum.org/v1/plot/vg"
)

// config holds the example's settings (the command-line flags).
type config struct {
	// Out is the folder for curves.csv and the two-class.png and
	// three-class.png plots.
	Out string
	// Seed seeds the data, the split and the starting weights.
	Seed uint64
	// N is the number of samples per task before the 75/25 split.
	N int
	// Hidden is the width of the tanh hidden layer.
	Hidden int
	// LMIters and GDIters are the iterations (one block update each) of the
	// LM and GD runs.
	LMIters, GDIters int
	// GDGamma is γ of gradient descent: W ← W − ∇f/γ.
	GDGamma float64
	// Tikhonov is λ of λ‖W_j‖²_F on every block.
	Tikhonov float64
}

func defaultConfig() config {
	return config{
		Out:      filepath.Join("out", "classification"),
		Seed:     7,
		N:        400,
		Hidden:   16,
		LMIters:  400,
		GDIters:  4000,
		GDGamma:  1,
		Tikhonov: 1e-4,
	}
}

// row is one training run: a task, a loss and a solver.
type row struct {
	Task, Loss, Output, Labels, Solver string
	// TrainAcc and TestAcc are accuracies in [0, 1].
	TrainAcc, TestAcc float64
	// F0 and F are the training objective at the start and the end.
	F0, F float64
	Iters int
	// Rises counts iterations after which the training objective was
	// higher than before by more than 1e-12 relative (a fixed-γ gradient
	// step can overshoot; LM's damping accepts only decreasing steps).
	Rises   int
	Status  solvers.Status
	Elapsed time.Duration
}

// summary is what run returns: one row per run, the data sizes, the
// majority-class rates of the held-out sets and the files written.
type summary struct {
	Rows []row
	// Train2, Test2, Train3, Test3 are the sample counts of the two-class
	// and three-class training and held-out sets.
	Train2, Test2, Train3, Test3 int
	// Chance2 and Chance3 are the held-out accuracies of always predicting
	// the most frequent class.
	Chance2, Chance3 float64
	// LogitsVsLogistic is max |f_CE-with-logits − f_logistic| over the final
	// objectives of the two solvers: the two losses are the same function.
	LogitsVsLogistic float64
	// CSV holds every curve; PNGs has one plot per task.
	CSV  string
	PNGs []string
}

// lossCase describes one loss of the table: its name, output activation and
// label coding.
type lossCase struct {
	loss   string
	output string
	pm1    bool // labels −1/+1 instead of 0/1
}

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for curves.csv, two-class.png and three-class.png")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the data, the split and the starting weights")
	flag.IntVar(&cfg.N, "n", cfg.N, "samples per task (split 75/25 into training and test)")
	flag.IntVar(&cfg.LMIters, "lm-iters", cfg.LMIters, "iterations of Levenberg-Marquardt (one block each)")
	flag.IntVar(&cfg.GDIters, "gd-iters", cfg.GDIters, "iterations of gradient descent (one block each)")
	flag.Float64Var(&cfg.GDGamma, "gd-gamma", cfg.GDGamma, "γ of gradient descent (step 1/γ)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "classification:", err)
		os.Exit(1)
	}
}

// run generates both tasks, trains every loss with LM and GD, prints the
// accuracy table to w and writes the curves to cfg.Out.
func run(ctx context.Context, cfg config, w io.Writer) (summary, error) {
	var sum summary
	if cfg.N < 20 || cfg.Hidden < 1 || cfg.LMIters < 1 || cfg.GDIters < 1 || !(cfg.GDGamma > 0) {
		return sum, fmt.Errorf("invalid configuration %+v: need N ≥ 20, Hidden ≥ 1, iterations ≥ 1 and γ > 0", cfg)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, fmt.Errorf("creating the output folder: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))

	// Two-class task: labels 0/1 in a 1×N target row.
	moons := twoMoons(rng, cfg.N, 0.2)
	train2, test2, err := splitAndScale(moons, rng)
	if err != nil {
		return sum, fmt.Errorf("two-class data: %w", err)
	}
	// Three-class task: one-hot 3×N targets.
	spirals := threeSpirals(rng, cfg.N, 0.15)
	train3, test3, err := splitAndScale(spirals, rng)
	if err != nil {
		return sum, fmt.Errorf("three-class data: %w", err)
	}
	sum.Train2, sum.Test2, sum.Train3, sum.Test3 = train2.N, test2.N, train3.N, test3.N
	sum.Chance2, sum.Chance3 = majority(test2), majority(test3)

	fmt.Fprintf(w, "classification: %d-%d-1 and %d-%d-3 MLPs (tanh hidden layer, biases), Tikhonov λ=%g, seed %d\n",
		2, cfg.Hidden, 2, cfg.Hidden, cfg.Tikhonov, cfg.Seed)
	fmt.Fprintf(w, "two-class (two moons):   %d training / %d held-out samples; majority class of the held-out set: %.1f%%\n",
		train2.N, test2.N, 100*sum.Chance2)
	fmt.Fprintf(w, "three-class (3 spirals): %d training / %d held-out samples; majority class of the held-out set: %.1f%%\n",
		train3.N, test3.N, 100*sum.Chance3)
	fmt.Fprintf(w, "feature scaling fitted on the training samples only; held-out samples are used only for the final accuracy\n\n")

	binary := []lossCase{
		{losses.NameCrossEntropy, "logistic", false},
		{losses.NameCrossEntropyWithLogits, "identity", false},
		{losses.NameLogistic, "identity", true},
		{losses.NameSquaredHinge, "identity", true},
	}
	var all plots.Figure // every curve, for the CSV file
	type task struct {
		name        string
		train, test *dataset.Set
		cases       []lossCase
		classes     int
		size        []int
	}
	tasks := []task{
		{"two-class", train2, test2, binary, 2, []int{2, cfg.Hidden, 1}},
		{"three-class", train3, test3, []lossCase{{losses.NameSoftmaxCrossEntropy, "identity", false}}, 3, []int{2, cfg.Hidden, 3}},
	}
	for _, t := range tasks {
		fig := plots.Figure{
			Title:  t.name + ": training objective f (log scale)",
			XLabel: "iteration",
			YLabel: "f",
			LogY:   true,
		}
		for _, lc := range t.cases {
			spec := models.Spec{
				Kind:       models.KindMLP,
				Sizes:      t.size,
				Activation: "tanh",
				Output:     lc.output,
				Bias:       true,
				Loss:       lc.loss,
				Tikhonov:   cfg.Tikhonov,
			}
			net, err := spec.Net()
			if err != nil {
				return sum, fmt.Errorf("%s, loss %s: %w", t.name, lc.loss, err)
			}
			trainY, testY := t.train.Y, t.test.Y
			if lc.pm1 {
				trainY, testY = toPlusMinus(trainY), toPlusMinus(testY)
			}
			data := solvers.Data{X: t.train.X, Y: trainY, N: t.train.N}
			w0 := net.Init(rand.New(rand.NewPCG(cfg.Seed, 2)))
			methods := []struct {
				m     solvers.BSUM
				iters int
			}{
				{solvers.LM(), cfg.LMIters},
				{solvers.GD(cfg.GDGamma), cfg.GDIters},
			}
			for _, mm := range methods {
				res, err := solvers.Minimize(ctx, net, data, w0, mm.m, solvers.Settings{MaxIter: mm.iters, Seed: cfg.Seed})
				if err == nil && res.Status == solvers.Canceled {
					// Minimize reports a cancellation between iterations
					// by the status alone.
					err = context.Cause(ctx)
				}
				if err != nil {
					return sum, fmt.Errorf("%s, loss %s, solver %v: %w", t.name, lc.loss, mm.m, err)
				}
				r := row{
					Task: t.name, Loss: lc.loss, Output: lc.output, Solver: mm.m.String(),
					Labels: "0/1", F: res.F, Iters: len(res.History), Status: res.Status, Elapsed: res.Elapsed,
				}
				if lc.pm1 {
					r.Labels = "±1"
				}
				if t.classes > 2 {
					r.Labels = "one-hot"
				}
				if r.F0, err = solvers.Objective(net, data, w0); err != nil {
					return sum, fmt.Errorf("%s, loss %s: initial objective: %w", t.name, lc.loss, err)
				}
				if r.TrainAcc, err = accuracy(net, res.Weights, t.train, lc); err != nil {
					return sum, fmt.Errorf("%s, loss %s, solver %v: training accuracy: %w", t.name, lc.loss, mm.m, err)
				}
				if r.TestAcc, err = accuracy(net, res.Weights, t.test, lc); err != nil {
					return sum, fmt.Errorf("%s, loss %s, solver %v: held-out accuracy: %w", t.name, lc.loss, mm.m, err)
				}
				s := plots.Series{Name: fmt.Sprintf("%s %s", lc.loss, shortName(mm.m))}
				prev := r.F0
				for _, rec := range res.History {
					s.X = append(s.X, float64(rec.K))
					s.Y = append(s.Y, rec.F)
					if rec.F > prev+1e-12*math.Abs(prev) { // ignore rounding
						r.Rises++
					}
					prev = rec.F
				}
				sum.Rows = append(sum.Rows, r)
				fig.Series = append(fig.Series, s)
				s.Name = t.name + " " + s.Name
				all.Series = append(all.Series, s)
			}
		}
		png := filepath.Join(cfg.Out, t.name+".png")
		if _, err := fig.Save(png, plots.Options{Width: 8 * vg.Inch, Height: 5 * vg.Inch}); err != nil {
			return sum, fmt.Errorf("writing the %s plot: %w", t.name, err)
		}
		sum.PNGs = append(sum.PNGs, png)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\tloss\toutput\tlabels\tsolver\titers\tf start\tf end\tf rises\ttrain acc\theld-out acc\ttime\t")
	for _, r := range sum.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.4g\t%.4g\t%d\t%.1f%%\t%.1f%%\t%s\t\n",
			r.Task, r.Loss, r.Output, r.Labels, r.Solver, r.Iters, r.F0, r.F, r.Rises, 100*r.TrainAcc, 100*r.TestAcc, r.Elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return sum, fmt.Errorf("writing the table: %w", err)
	}

	// The logistic loss on ±1 labels is log(1 + e^{−yh}); the cross-entropy
	// with logits on 0/1 labels is the same function of h, so both runs of
	// each solver should follow the same path.
	for _, a := range sum.Rows {
		for _, b := range sum.Rows {
			if a.Loss == losses.NameCrossEntropyWithLogits && b.Loss == losses.NameLogistic && a.Solver == b.Solver {
				sum.LogitsVsLogistic = math.Max(sum.LogitsVsLogistic, math.Abs(a.F-b.F))
			}
		}
	}
	fmt.Fprintf(w, "\ncross-entropy-with-logits (0/1 labels) and logistic (±1 labels) are the same function of the output:\n"+
		"their final objectives differ by at most %.2g\n", sum.LogitsVsLogistic)

	fmt.Fprintln(w, "f rises: iterations after which the training objective went up by more than 1e-12 relative (LM's damping accepts only decreasing steps; a fixed γ may overshoot)")

	all.XLabel, all.YLabel = "iteration", "f"
	sum.CSV = filepath.Join(cfg.Out, "curves.csv")
	if err := all.SaveCSV(sum.CSV); err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "objective curves: %s (all runs), %s\n", sum.CSV, strings.Join(sum.PNGs, ", "))
	return sum, nil
}

// shortName is a compact solver label for plot legends.
func shortName(m solvers.BSUM) string {
	s := m.String()
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

// twoMoons draws n points of two interleaved half-moons with Gaussian noise
// of standard deviation noise, alternating the classes; Y is 1×n with 0/1.
func twoMoons(rng *rand.Rand, n int, noise float64) *dataset.Set {
	s := &dataset.Set{X: make([]float64, 2*n), Y: make([]float64, n), In: 2, Out: 1, N: n,
		FeatureNames: []string{"x1", "x2"}, TargetNames: []string{"class"}}
	for i := 0; i < n; i++ {
		t := math.Pi * rng.Float64()
		x, y := math.Cos(t), math.Sin(t)
		c := i % 2
		if c == 1 {
			x, y = 1-x, 0.5-y
		}
		s.X[i] = x + noise*rng.NormFloat64()
		s.X[n+i] = y + noise*rng.NormFloat64()
		s.Y[i] = float64(c)
	}
	return s
}

// threeSpirals draws n points on three interleaved spiral arms with Gaussian
// noise; Y is 3×n one-hot.
func threeSpirals(rng *rand.Rand, n int, noise float64) *dataset.Set {
	s := &dataset.Set{X: make([]float64, 2*n), Y: make([]float64, 3*n), In: 2, Out: 3, N: n,
		FeatureNames: []string{"x1", "x2"}, TargetNames: []string{"class0", "class1", "class2"}}
	for i := 0; i < n; i++ {
		c := i % 3
		r := 0.2 + 0.8*rng.Float64()
		a := 2*math.Pi*float64(c)/3 + 1.5*math.Pi*r
		s.X[i] = r*math.Cos(a) + noise*rng.NormFloat64()
		s.X[n+i] = r*math.Sin(a) + noise*rng.NormFloat64()
		s.Y[c*n+i] = 1
	}
	return s
}

// splitAndScale splits s 75/25 and standardises the features with the mean
// and population standard deviation of the training part, applied to both.
func splitAndScale(s *dataset.Set, rng *rand.Rand) (train, test *dataset.Set, err error) {
	train, test = s.Split(0.75, rng)
	if train.N < 2 || test.N < 1 {
		return nil, nil, fmt.Errorf("split of %d samples left %d training and %d test samples", s.N, train.N, test.N)
	}
	for i := 0; i < s.In; i++ {
		row := train.X[i*train.N : (i+1)*train.N]
		var mu, v float64
		for _, x := range row {
			mu += x
		}
		mu /= float64(len(row))
		for _, x := range row {
			v += (x - mu) * (x - mu)
		}
		sd := math.Sqrt(v / float64(len(row)))
		if !(sd > 0) {
			return nil, nil, fmt.Errorf("feature %d is constant on the training samples", i)
		}
		for _, set := range []*dataset.Set{train, test} {
			r := set.X[i*set.N : (i+1)*set.N]
			for k := range r {
				r[k] = (r[k] - mu) / sd
			}
		}
	}
	return train, test, nil
}

// toPlusMinus maps 0/1 labels to −1/+1.
func toPlusMinus(y []float64) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = 2*v - 1
	}
	return out
}

// majority is the share of the most frequent class in s (the accuracy of
// always predicting it).
func majority(s *dataset.Set) float64 {
	counts := make([]int, max(2, s.Out))
	for n := 0; n < s.N; n++ {
		counts[label(s, n)]++
	}
	best := 0
	for _, c := range counts {
		best = max(best, c)
	}
	return float64(best) / float64(s.N)
}

// label is the class of sample n of s (0/1 row, or the one-hot row index).
func label(s *dataset.Set, n int) int {
	if s.Out == 1 {
		if s.Y[n] > 0.5 {
			return 1
		}
		return 0
	}
	best := 0
	for k := 1; k < s.Out; k++ {
		if s.Y[k*s.N+n] > s.Y[best*s.N+n] {
			best = k
		}
	}
	return best
}

// predict returns the network output H(X) (Out×N) for the samples of s.
func predict(net *graph.Net, w graph.Weights, s *dataset.Set) ([]float64, error) {
	p, err := net.Program(s.N)
	if err != nil {
		return nil, err
	}
	if err := p.SetInput(s.X); err != nil {
		return nil, err
	}
	if err := p.SetWeights(w); err != nil {
		return nil, err
	}
	h := make([]float64, net.Out()*s.N)
	if err := p.Output(h); err != nil {
		return nil, err
	}
	return h, nil
}

// accuracy is the share of samples of s that the network classifies
// correctly: a probability above 1/2 (logistic output), a positive score
// (identity output, 0/1 or ±1 labels) or the largest logit (several classes).
func accuracy(net *graph.Net, w graph.Weights, s *dataset.Set, lc lossCase) (float64, error) {
	h, err := predict(net, w, s)
	if err != nil {
		return 0, err
	}
	threshold := 0.0
	if lc.output == "logistic" {
		threshold = 0.5
	}
	correct := 0
	for n := 0; n < s.N; n++ {
		var pred int
		if s.Out == 1 {
			if h[n] > threshold {
				pred = 1
			}
		} else {
			for k := 1; k < s.Out; k++ {
				if h[k*s.N+n] > h[pred*s.N+n] {
					pred = k
				}
			}
		}
		if pred == label(s, n) {
			correct++
		}
	}
	return float64(correct) / float64(s.N), nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
	"gonum.org/v1/plot/vg"
)

type config struct {
	Figure string
	Iters  int
	Seed   uint64
	Out    string
	Quiet  bool
}

func defaultConfig() config {
	return config{Figure: "2a", Iters: 2000, Seed: 1, Out: filepath.Join("out", "bodyfat")}
}

// curve is one method's run.
type curve struct {
	Name     string
	Proposed bool // one of the paper's proposed BSUM step rules
	Baseline bool
	Result   *solvers.Result
	Err      error
	GradRel  float64 // final / initial max block gradient norm
}

// summary is what a run produced.
type summary struct {
	Figure string
	Curves []curve
	Claims []claim
	Files  []string
}

type claim struct {
	Text      string
	Confirmed bool
	Evidence  string
}

type method struct {
	name     string
	m        solvers.BSUM
	proposed bool
}

// Settings the paper does not give. Fixed, not tuned; printed with the results.
const (
	cInvSqrt  = 1.0 // c of c/√k
	cHarmonic = 1.0 // c of c/(2k)
	clrRate   = 0.1 // BP-CLR learning rate
	adaEta    = 0.1 // AdaGrad rate
	gdGamma   = 1.0 // GD: step 1/γ
)

func figure2a() []method {
	return []method{
		{"Prop, α=c/√k", solvers.BPUncertified(solvers.InvSqrt{C: cInvSqrt}), true},
		{"Prop, setting 1", solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99}), true},
		{"Prop, α=c/(2k)", solvers.BP(solvers.Harmonic{C: cHarmonic}), true},
		{"BP-CLR", solvers.BPCLR(clrRate), false},
		{"AdaGrad", solvers.AdaGrad(adaEta), false},
		{"GD (γ=1)", solvers.GD(gdGamma), false},
		{"LM", solvers.LM(), false},
	}
}

func figure2b() []method {
	var ms []method
	for _, b := range []solvers.Batches{solvers.FixedBatch(50), solvers.FixedBatch(100), solvers.FixedBatch(200), solvers.GrowingBatch()} {
		m := solvers.BP(&solvers.Recursive{Alpha0: 1, T: 0.99})
		m.Batches = b
		m.Name = "Prop, setting 1, " + b.String()
		ms = append(ms, method{m.Name, m, true})
	}
	return ms
}

func figureA1() []method {
	return []method{
		{"Prop, setting 2", solvers.BP(&solvers.Recursive{Alpha0: 0.001, T: 0.9}), true},
		{"Prop, α=c/(2k)", solvers.BP(solvers.Harmonic{C: cHarmonic}), true},
		{"Prop, α=c/√k", solvers.BPUncertified(solvers.InvSqrt{C: cInvSqrt}), true},
		{"BP-CLR", solvers.BPCLR(clrRate), false},
		{"AdaGrad", solvers.AdaGrad(adaEta), false},
		{"LM", solvers.LM(), false},
	}
}

func run(ctx context.Context, cfg config, stdout, progress io.Writer) (*summary, error) {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		return nil, err
	}
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	spec := models.BodyFat()
	var methods []method
	title := ""
	switch strings.ToLower(cfg.Figure) {
	case "2a":
		methods, title = figure2a(), "Figure 2(a): BodyFat, l2 loss, logistic"
	case "2b":
		methods, title = figure2b(), "Figure 2(b): stochastic variant"
	case "a1":
		spec.Activation, spec.Loss, spec.LossParams = "softplus", "exponential", []float64{1}
		methods, title = figureA1(), "Figure A.1: exponential loss (c=1), softplus"
	default:
		return nil, fmt.Errorf("unknown figure %q (want 2a, 2b or a1)", cfg.Figure)
	}
	net, err := spec.Net()
	if err != nil {
		return nil, err
	}
	w0 := net.Init(newRNG(cfg.Seed))
	fmt.Fprintf(stdout, "%s\nN=%d, architecture %v, activation %s, loss %s, %d iterations per method (one block update each, cyclic), seed %d\n",
		title, set.N, spec.Sizes, spec.Activation, spec.Loss, cfg.Iters, cfg.Seed)
	fmt.Fprintf(stdout, "constants not given by the paper (fixed, not tuned): c/√k c=%g, c/(2k) c=%g, BP-CLR α=%g, AdaGrad η=%g, GD γ=%g\n\n",
		cInvSqrt, cHarmonic, clrRate, adaEta, gdGamma)
	sum := &summary{Figure: cfg.Figure}
	for _, me := range methods {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		start := time.Now()
		fmt.Fprintf(progress, "%-30s ", me.name)
		next := cfg.Iters / 10
		res, err := solvers.Minimize(ctx, net, data, w0, me.m, solvers.Settings{MaxIter: cfg.Iters, Seed: cfg.Seed, Callback: func(r solvers.Record) error {
			if r.K >= next {
				fmt.Fprintf(progress, "▮")
				next += cfg.Iters / 10
			}
			return nil
		}})
		fmt.Fprintf(progress, " %v\n", time.Since(start).Round(time.Millisecond))
		c := curve{Name: me.name, Proposed: me.proposed, Baseline: me.m.Baseline, Result: res, Err: err}
		if res != nil {
			c.GradRel = gradRatio(net, data, w0, res.Weights)
		}
		sum.Curves = append(sum.Curves, c)
	}
	sum.Claims = claims(cfg.Figure, sum.Curves)
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, err
	}
	fig := plots.Figure{Title: title, XLabel: "iteration", YLabel: "normalised training MSE", LogY: true}
	for _, c := range sum.Curves {
		if c.Result == nil {
			continue
		}
		s := plots.Series{Name: c.Name}
		for _, r := range c.Result.History {
			s.X = append(s.X, float64(r.K))
			s.Y = append(s.Y, r.NormMSE)
		}
		fig.Series = append(fig.Series, s)
	}
	png := filepath.Join(cfg.Out, "figure-"+cfg.Figure+".png")
	if _, err := fig.Save(png, plots.Options{Width: 7 * vg.Inch, Height: 4.5 * vg.Inch}); err != nil {
		return sum, err
	}
	csvPath := filepath.Join(cfg.Out, "figure-"+cfg.Figure+".csv")
	if err := fig.SaveCSV(csvPath); err != nil {
		return sum, err
	}
	sum.Files = []string{png, csvPath}
	report(stdout, sum)
	return sum, nil
}

// gradRatio is max_j ‖∇_j f(W_end)‖ / max_j ‖∇_j f(W_0)‖ on the full data.
func gradRatio(net *graph.Net, data solvers.Data, w0, w graph.Weights) float64 {
	p, err := net.NewProgram(data.N)
	if err != nil {
		return math.NaN()
	}
	if err := p.SetBatch(data.X, data.Y); err != nil {
		return math.NaN()
	}
	maxNorm := func(w graph.Weights) float64 {
		if err := p.SetWeights(w); err != nil {
			return math.NaN()
		}
		m := 0.0
		for j := range w {
			g := make([]float64, len(w[j]))
			if err := p.Grad(j, g); err != nil {
				return math.NaN()
			}
			var s float64
			for _, v := range g {
				s += v * v
			}
			m = math.Max(m, math.Sqrt(s))
		}
		return m
	}
	return maxNorm(w) / maxNorm(w0)
}

func best(r *solvers.Result) float64 {
	b := math.Inf(1)
	for _, h := range r.History {
		b = math.Min(b, h.NormMSE)
	}
	return b
}

func report(w io.Writer, s *summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "method\tfinal nMSE\tbest nMSE\tfinal ‖∇f‖/initial\twall time\tstatus\tcertified")
	for _, c := range s.Curves {
		if c.Result == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tfailed: %v\t-\n", c.Name, c.Err)
			continue
		}
		st := c.Result.Status.String()
		if c.Err != nil {
			st += ": " + c.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%.2e\t%v\t%s\t%v\n", c.Name, c.Result.NormMSE, best(c.Result), c.GradRel, c.Result.Elapsed.Round(time.Millisecond), st, c.Result.Certified)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nclaims of the paper's Section 6 (checked on this run):")
	for _, c := range s.Claims {
		verdict := "NOT confirmed"
		if c.Confirmed {
			verdict = "confirmed"
		}
		fmt.Fprintf(w, "  [%s] %s\n      %s\n", verdict, c.Text, c.Evidence)
	}
	fmt.Fprintln(w, "\nwrote", strings.Join(s.Files, ", "))
}

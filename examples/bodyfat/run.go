package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// jobKey names one run: a method of a figure under a reading, with one
// value of its constant, from one seed.
type jobKey struct {
	Fig, Reading, Method string
	K                    float64
	Seed                 uint64
}

// runOut is one run's curve at the x-axis iterations 0..T (0 is the start;
// shorter when the run failed) and its end state.
type runOut struct {
	NMSE, F   []float64
	GradRel   float64 // final / initial max block gradient norm on the whole data
	Err       error
	Certified bool
	Elapsed   time.Duration
}

type job struct {
	key  jobKey
	fig  figureSpec
	spec methodSpec
}

// outcome is one method under one reading, over all seeds.
type outcome struct {
	Fig, Reading string
	Spec         methodSpec
	K            float64 // the constant used (tuned or fixed)
	TuneScores   []float64
	Runs         []runOut
	Series       series
}

// summary is everything a run produced.
type summary struct {
	Outcomes map[string]map[string]*outcome // reading → "fig/method" → outcome
	Verdicts map[string]map[string]verdict  // claim ID → reading → verdict
	Why      map[string]map[string]string   // claim ID → reading → evidence
	Files    []string
}

func outcomeKey(fig, method string) string { return fig + "/" + method }

func run(ctx context.Context, cfg config, stdout, progress io.Writer) (*summary, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	set, err := dataset.BodyFatRegression()
	if err != nil {
		return nil, fmt.Errorf("bodyfat data: %w", err)
	}
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	figs, err := figureByID(cfg.Figure, cfg.Figure != "")
	if err != nil {
		return nil, err
	}
	seeds := make([]uint64, cfg.Seeds)
	for i := range seeds {
		seeds[i] = cfg.Seed + uint64(i)
	}
	pool := &runner{cfg: cfg, data: data, progress: progress, results: map[jobKey]runOut{}}

	// Phase 1 (-tune): every grid value of every method on every seed.
	if cfg.Tune {
		var jobs []job
		for _, r := range cfg.Readings {
			for _, f := range figs {
				for _, m := range f.Methods {
					if len(m.Grid) < 2 {
						continue
					}
					for _, k := range m.Grid {
						for _, sd := range seeds {
							jobs = append(jobs, job{jobKey{f.ID, r, m.Name, k, sd}, f, m})
						}
					}
				}
			}
		}
		fmt.Fprintf(progress, "tuning: %d runs\n", len(jobs))
		if err := pool.do(ctx, jobs); err != nil {
			return nil, err
		}
	}
	// Phase 2: the chosen constant on every seed.
	sum := &summary{Outcomes: map[string]map[string]*outcome{}, Verdicts: map[string]map[string]verdict{}, Why: map[string]map[string]string{}}
	var jobs []job
	for _, r := range cfg.Readings {
		sum.Outcomes[r] = map[string]*outcome{}
		for _, f := range figs {
			for _, m := range f.Methods {
				o := &outcome{Fig: f.ID, Reading: r, Spec: m, K: m.Fixed}
				if cfg.Tune && len(m.Grid) > 1 {
					o.K, o.TuneScores = pool.best(f.ID, r, m, seeds)
				}
				sum.Outcomes[r][outcomeKey(f.ID, m.Name)] = o
				for _, s := range seeds {
					k := jobKey{f.ID, r, m.Name, o.K, s}
					if _, done := pool.results[k]; !done {
						jobs = append(jobs, job{k, f, m})
					}
				}
			}
		}
	}
	fmt.Fprintf(progress, "runs: %d\n", len(jobs))
	if err := pool.do(ctx, jobs); err != nil {
		return nil, err
	}
	for _, r := range cfg.Readings {
		for _, o := range sum.Outcomes[r] {
			for _, s := range seeds {
				o.Runs = append(o.Runs, pool.results[jobKey{o.Fig, r, o.Spec.Name, o.K, s}])
			}
			o.Series = summarise(o.Runs, cfg.Iters)
		}
	}
	for _, c := range claimDefs() {
		if !hasFigure(figs, c.Figure) {
			continue
		}
		sum.Verdicts[c.ID], sum.Why[c.ID] = map[string]verdict{}, map[string]string{}
		for _, r := range cfg.Readings {
			s := map[string]series{}
			for _, o := range sum.Outcomes[r] {
				if o.Fig == c.Figure {
					s[o.Spec.Name] = o.Series
				}
			}
			sum.Verdicts[c.ID][r], sum.Why[c.ID][r] = c.Judge(s)
		}
	}
	if cfg.Figure != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return sum, fmt.Errorf("figures: %w", err)
		}
		for _, r := range cfg.Readings {
			for _, f := range figs {
				files, err := drawFigure(cfg, f, r, sum.Outcomes[r])
				if err != nil {
					return sum, fmt.Errorf("figure %s, %s reading: %w", f.ID, r, err)
				}
				sum.Files = append(sum.Files, files...)
			}
		}
	}
	report(stdout, cfg, set.N, figs, sum)
	return sum, nil
}

func hasFigure(figs []figureSpec, id string) bool {
	for _, f := range figs {
		if f.ID == id {
			return true
		}
	}
	return false
}

// finalNMSE is a run's nMSE at the budget, +Inf when it failed or stopped
// early.
func finalNMSE(r runOut, T int) float64 {
	if r.Err != nil || len(r.NMSE) != T+1 {
		return math.Inf(1)
	}
	return r.NMSE[T]
}

// summarise turns one method's runs (one per seed, budget T) into what
// the verdict rules see.
func summarise(runs []runOut, T int) series {
	var s series
	var starts, finals, moved []float64
	for _, r := range runs {
		if len(r.NMSE) > 0 {
			starts = append(starts, r.NMSE[0])
		}
		fin := finalNMSE(r, T)
		finals = append(finals, fin)
		mv := math.Inf(1)
		if !math.IsInf(fin, 1) {
			mv = math.Abs(fin/r.NMSE[0] - 1)
		}
		moved = append(moved, mv)
		inc := 0
		for t := 1; t < len(r.F); t++ {
			if r.F[t] > r.F[t-1]*(1+monoTol) {
				inc++
				s.MaxRise = math.Max(s.MaxRise, r.F[t]/r.F[t-1]-1)
			}
		}
		if r.Err != nil {
			inc++
			s.Failed++
		}
		s.Increases = append(s.Increases, inc)
		s.GradRel = append(s.GradRel, r.GradRel)
	}
	s.Start = newBand(starts)
	s.Finals = finals
	s.Final = newBand(finals)
	s.Moved = newBand(moved).Med
	return s
}

// runner runs jobs on cfg.Workers goroutines, each with its own networks
// and evaluation programs (a graph.Net is not shared between goroutines).
type runner struct {
	cfg      config
	data     solvers.Data
	progress io.Writer
	mu       sync.Mutex
	results  map[jobKey]runOut
}

// best is the grid value with the lowest median over seeds of the final
// nMSE (the first grid value among equals; failed runs count as +Inf), and
// the medians.
func (p *runner) best(fig, r string, m methodSpec, seeds []uint64) (float64, []float64) {
	bestK, bestV := m.Fixed, math.Inf(1)
	var scores []float64
	for _, k := range m.Grid {
		var finals []float64
		for _, sd := range seeds {
			finals = append(finals, finalNMSE(p.results[jobKey{fig, r, m.Name, k, sd}], p.cfg.Iters))
		}
		v := newBand(finals).Med
		scores = append(scores, v)
		if v < bestV {
			bestK, bestV = k, v
		}
	}
	return bestK, scores
}

func (p *runner) do(ctx context.Context, jobs []job) error {
	ch := make(chan job)
	var wg sync.WaitGroup
	workers := max(1, min(p.cfg.Workers, len(jobs)))
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ws := &worker{nets: map[string]*evalNet{}}
			for j := range ch {
				if errs[w] != nil || ctx.Err() != nil {
					continue
				}
				out, err := ws.run(ctx, p.cfg, p.data, j)
				if err != nil {
					errs[w] = err
					continue
				}
				p.mu.Lock()
				p.results[j.key] = out
				fmt.Fprint(p.progress, "▮")
				p.mu.Unlock()
			}
		}(w)
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	fmt.Fprintln(p.progress)
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// evalNet is a network with a full-data program for start and end values.
type evalNet struct {
	net  *graph.Net
	prog *graph.Program
	h    []float64
}

type worker struct{ nets map[string]*evalNet }

func (w *worker) netFor(pr problem, r string, data solvers.Data) (*evalNet, error) {
	key := pr.Loss + "/" + pr.Activation + "/" + r
	if e, ok := w.nets[key]; ok {
		return e, nil
	}
	net, err := newNet(pr, r, data.N)
	if err != nil {
		return nil, err
	}
	p, err := net.NewProgram(data.N)
	if err != nil {
		return nil, fmt.Errorf("evaluation program: %w", err)
	}
	if err := p.SetBatch(data.X, data.Y); err != nil {
		return nil, fmt.Errorf("evaluation program: %w", err)
	}
	e := &evalNet{net: net, prog: p, h: make([]float64, net.Out()*data.N)}
	w.nets[key] = e
	return e, nil
}

// state is f, the normalised MSE and max_j‖∇_j f‖ at w on the whole data.
func (e *evalNet) state(data solvers.Data, w graph.Weights) (f, nmse, grad float64, err error) {
	p := e.prog
	if err := p.SetWeights(w); err != nil {
		return 0, 0, 0, err
	}
	if f, err = p.Objective(); err != nil {
		return 0, 0, 0, err
	}
	if err := p.Output(e.h); err != nil {
		return 0, 0, 0, err
	}
	nmse = normMSE(data.Y, e.h, e.net.Out(), data.N)
	for j := range w {
		g := make([]float64, len(w[j]))
		if err := p.Grad(j, g); err != nil {
			return 0, 0, 0, err
		}
		var s float64
		for _, v := range g {
			s += v * v
		}
		grad = math.Max(grad, math.Sqrt(s))
	}
	return f, nmse, grad, nil
}

// normMSE is ‖Y − H‖²_F / ‖Y − mean(Y)‖²_F, the mean taken per output row
// over the n samples (row-major rows×n matrices).
func normMSE(y, h []float64, rows, n int) float64 {
	var num, den float64
	for i := 0; i < rows; i++ {
		row := y[i*n : (i+1)*n]
		var mean float64
		for _, v := range row {
			mean += v
		}
		mean /= float64(n)
		for k, v := range row {
			d := v - h[i*n+k]
			num += d * d
			den += (v - mean) * (v - mean)
		}
	}
	return num / den
}

// run executes one job.
func (w *worker) run(ctx context.Context, cfg config, data solvers.Data, j job) (runOut, error) {
	e, err := w.netFor(j.fig.Problem, j.key.Reading, data)
	if err != nil {
		return runOut{}, err
	}
	w0 := e.net.Init(newRNG(j.key.Seed))
	f0, nmse0, g0, err := e.state(data, w0)
	if err != nil {
		return runOut{}, fmt.Errorf("%s: start: %w", j.key.Method, err)
	}
	blocks := e.net.NumBlocks()
	every := 1
	if cfg.X == xSweeps {
		every = blocks
	}
	m := forX(j.spec.Make(j.key.K), cfg.X, blocks)
	var res *solvers.Result
	var runErr error
	if cfg.X == xSweeps && m.Batches.Growing {
		res, runErr = growingPerSweep(ctx, e.net, data, w0, m, j.key.Seed, cfg.Iters, blocks)
	} else {
		res, runErr = solvers.Minimize(ctx, e.net, data, w0, m, solvers.Settings{
			MaxIter: cfg.Iters * every, Seed: j.key.Seed, FullEvalEvery: every,
		})
	}
	if res == nil {
		return runOut{}, fmt.Errorf("%s: %w", j.key.Method, runErr)
	}
	if err := ctx.Err(); err != nil {
		return runOut{}, err
	}
	out := runOut{NMSE: []float64{nmse0}, F: []float64{f0}, Err: runErr, Certified: res.Certified, Elapsed: res.Elapsed, GradRel: math.NaN()}
	for _, r := range res.History {
		if r.K%every == 0 {
			out.NMSE = append(out.NMSE, r.NormMSE)
			out.F = append(out.F, r.F)
		}
	}
	if runErr == nil {
		if _, _, g, err := e.state(data, res.Weights); err == nil {
			out.GradRel = g / g0
		}
	}
	return out, nil
}

// drawFigure writes figure f under reading r: the median curve over seeds
// of every method, with its range in the CSV.
func drawFigure(cfg config, f figureSpec, r string, outs map[string]*outcome) ([]string, error) {
	var lines []line
	for _, m := range f.Methods {
		o := outs[outcomeKey(f.ID, m.Name)]
		if o == nil {
			continue
		}
		name := m.Name
		if m.Param != "" {
			name = fmt.Sprintf("%s (%s=%g)", m.Name, m.Param, o.K)
		}
		l := line{Name: name}
		for t := 0; t <= cfg.Iters; t++ {
			var ys []float64
			for _, run := range o.Runs {
				v := math.Inf(1)
				if t < len(run.NMSE) {
					v = run.NMSE[t]
				}
				ys = append(ys, v)
			}
			b := newBand(ys)
			l.X = append(l.X, float64(t))
			l.Med, l.Lo, l.Hi = append(l.Med, b.Med), append(l.Lo, b.Lo), append(l.Hi, b.Hi)
		}
		lines = append(lines, l)
	}
	base := "figure-" + f.ID + "-" + r
	xLabel := "iteration (block updates)"
	if cfg.X == xSweeps {
		base += "-sweeps"
		xLabel = "iteration (sweeps of all blocks)"
	}
	title := fmt.Sprintf("%s, %s reading", f.Title, r)
	if cfg.Seeds > 1 {
		title += fmt.Sprintf(", median of %d seeds", cfg.Seeds)
	}
	return writeFigure(cfg.Out, base, title, xLabel, "normalised training MSE", lines, cfg.Seeds)
}

// growingPerSweep runs m with the growing batch of the sweep reading:
// sweep s (J block updates) uses one batch size B_s = min(s, N), where the
// library's B_k = min(k, N) counts block updates. It runs Minimize once per
// sweep, resuming at k = (s−1)J + 1 so that the step rule and the cyclic
// block order continue; each sweep draws its batches with its own seed.
// The step rule must not keep state outside the StepRule value (m.Step is
// shared by the calls) and the surrogate must be stateless (the first-order
// bound of BP is).
func growingPerSweep(ctx context.Context, net *graph.Net, data solvers.Data, w0 graph.Weights, m solvers.BSUM, seed uint64, sweeps, j int) (*solvers.Result, error) {
	total := &solvers.Result{Weights: w0, Certified: m.Certified()}
	for s := 1; s <= sweeps; s++ {
		ms := m
		ms.Batches = solvers.FixedBatch(min(s, data.N))
		if s >= data.N {
			ms.Batches = solvers.FullBatch()
		}
		res, err := solvers.Minimize(ctx, net, data, total.Weights, ms, solvers.Settings{
			StartIter: (s-1)*j + 1, MaxIter: s * j, Seed: seed ^ uint64(s)*0x9e3779b97f4a7c15, FullEvalEvery: j,
		})
		if res == nil {
			return nil, fmt.Errorf("sweep %d: %w", s, err)
		}
		total.History = append(total.History, res.History...)
		total.Weights, total.Status, total.F, total.NormMSE = res.Weights, res.Status, res.F, res.NormMSE
		total.Elapsed += res.Elapsed
		total.Certified = total.Certified && res.Certified
		if err != nil {
			return total, fmt.Errorf("sweep %d: %w", s, err)
		}
		if res.Status != solvers.IterationLimit {
			return total, nil
		}
	}
	return total, nil
}

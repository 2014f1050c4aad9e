package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/solvers"
)

// Thresholds are the normalised training MSE targets of the time-to-accuracy
// runs, in the order they are met.
var Thresholds = []float64{0.30, 0.20, 0.15, 0.10}

// Method is a solver for the time-to-accuracy runs. New returns a fresh
// method value for each run (LM keeps damping state in it).
type Method struct {
	Name     string
	OneBlock bool // train the one-block network (all 340 weights in one block)
	New      func() solvers.BSUM
}

// Methods are the solvers of the time-to-accuracy comparison, with the
// constants of examples/bodyfat (not tuned).
func Methods() []Method {
	return []Method{
		{Name: "lm", New: solvers.LM},
		{Name: "lm-1block", OneBlock: true, New: solvers.LM},
		{Name: "bp-armijo", New: func() solvers.BSUM { return solvers.BP(solvers.Armijo{}) }},
		{Name: "gd", New: func() solvers.BSUM { return solvers.GD(1) }},
		{Name: "adagrad", New: func() solvers.BSUM { return solvers.AdaGrad(0.1) }},
		{Name: "bp-clr", New: func() solvers.BSUM { return solvers.BPCLR(0.1) }},
	}
}

// Hit is when a run first reached a threshold.
type Hit struct {
	Seconds float64 // +Inf when not reached
	Iter    int     // iterations (block updates) done; 0 when not reached
}

// TTARun is one method and seed.
type TTARun struct {
	Seed      uint64
	Hits      []Hit // per Thresholds
	Iters     int
	FinalNMSE float64
	Seconds   float64
	Status    solvers.Status
}

// TTAResult is one method over seeds.
type TTAResult struct {
	Method string
	Runs   []TTARun
	// Median per threshold over seeds (+Inf when more than half missed it).
	Median     []float64
	MedianIter []float64
	Reached    []int
}

// RunTTA trains the BodyFat network from the seeded Glorot-normal start of
// each seed with m until the normalised training MSE (Record.NormMSE, full
// evaluation after every iteration: Settings.FullEvalEvery = 1, which is
// inside the timing) is at most the last threshold, or maxIter iterations,
// or budget wall time. The program for N = 252, with its second-order
// nodes, is compiled before the clock starts (a cached graph.Program); Minimize's clock (Record.Elapsed) starts
// when its run starts, after the weights are drawn.
func RunTTA(ctx context.Context, m Method, seeds []uint64, maxIter int, budget time.Duration) (*TTAResult, error) {
	p, err := SharedBodyFat()
	if err != nil {
		return nil, err
	}
	net := p.Net
	if m.OneBlock {
		if net, err = OneBlock(BodyFatSizes); err != nil {
			return nil, err
		}
	}
	prog, err := net.Program(p.Data.N)
	if err != nil {
		return nil, err
	}
	if err := prog.PrepareCurvature(); err != nil { // one-time set-up, outside the clock
		return nil, err
	}
	res := &TTAResult{Method: m.Name}
	stop := errors.New("target reached")
	for _, seed := range seeds {
		run := TTARun{Seed: seed, Hits: make([]Hit, len(Thresholds))}
		for i := range run.Hits {
			run.Hits[i].Seconds = math.Inf(1)
		}
		next := 0
		cb := func(r solvers.Record) error {
			for next < len(Thresholds) && r.NormMSE <= Thresholds[next] {
				run.Hits[next] = Hit{Seconds: r.Elapsed.Seconds(), Iter: r.K}
				next++
			}
			if next == len(Thresholds) {
				return stop
			}
			return nil
		}
		var w0 graph.Weights // nil: Minimize draws Glorot-normal weights from Settings.Seed (InitRNG)
		out, err := solvers.Minimize(ctx, net, p.Data, w0, m.New(), solvers.Settings{
			MaxIter: maxIter, Seed: seed, FullEvalEvery: 1, TimeBudget: budget, Callback: cb})
		if err != nil && out == nil {
			return nil, fmt.Errorf("bench: %s seed %d: %w", m.Name, seed, err)
		}
		run.Status = out.Status
		run.Iters = out.Last().K
		run.FinalNMSE = out.NormMSE
		run.Seconds = out.Elapsed.Seconds()
		res.Runs = append(res.Runs, run)
	}
	for i := range Thresholds {
		var secs, its []float64
		reached := 0
		for _, r := range res.Runs {
			secs = append(secs, r.Hits[i].Seconds)
			it := math.Inf(1)
			if !math.IsInf(r.Hits[i].Seconds, 1) {
				reached++
				it = float64(r.Hits[i].Iter)
			}
			its = append(its, it)
		}
		res.Median = append(res.Median, median(secs))
		res.MedianIter = append(res.MedianIter, median(its))
		res.Reached = append(res.Reached, reached)
	}
	return res, nil
}

// median of x (+Inf entries sort last).
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Median is exported for the comparison command.
func Median(x []float64) float64 { return median(x) }

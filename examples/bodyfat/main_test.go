package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// Every figure runs end to end under both readings (shortened): the table
// has a verdict for every claim and reading, every run has T+1 points, and
// -figure all writes a PNG and a CSV per figure and reading.
func TestRunAllFigures(t *testing.T) {
	cfg := defaultConfig()
	cfg.Figure, cfg.Iters, cfg.Seeds, cfg.Out = "all", 30, 2, t.TempDir()
	if testing.Short() {
		cfg.Figure, cfg.Iters = "", 8
	}
	var out bytes.Buffer
	sum, err := run(context.Background(), cfg, &out, io.Discard)
	require.NoError(t, err)
	for _, c := range claimDefs() {
		for _, r := range allReadings {
			_, ok := sum.Verdicts[c.ID][r]
			assert.True(t, ok, "%s under %s", c.ID, r)
		}
		assert.Contains(t, out.String(), c.ID)
	}
	for _, r := range allReadings {
		require.NotEmpty(t, sum.Outcomes[r])
		for name, o := range sum.Outcomes[r] {
			require.Len(t, o.Runs, cfg.Seeds, name)
			for _, run := range o.Runs {
				if run.Err != nil {
					continue // the sum reading of the exponential loss overflows for some methods
				}
				assert.Len(t, run.NMSE, cfg.Iters+1, name)
				assert.Len(t, run.F, cfg.Iters+1, name)
				for _, v := range run.NMSE {
					assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), name)
				}
			}
		}
		// The l2 figures never fail: their loss is bounded on a logistic output.
		for _, key := range []string{"2a/Prop, setting 1", "2b/" + batchName(solvers.GrowingBatch())} {
			require.Contains(t, sum.Outcomes[r], key)
			for _, run := range sum.Outcomes[r][key].Runs {
				assert.NoError(t, run.Err, key)
			}
		}
	}
	assert.Contains(t, out.String(), "verdict rules")
	if cfg.Figure == "all" {
		assert.Len(t, sum.Files, 2*3*2) // png+csv × 3 figures × 2 readings
		for _, f := range sum.Files {
			st, err := os.Stat(f)
			require.NoError(t, err)
			assert.Greater(t, st.Size(), int64(100), f)
		}
		assert.Contains(t, strings.Join(sum.Files, " "), "figure-a1-sum.png")
	} else {
		assert.Empty(t, sum.Files)
	}
}

// The results do not depend on how many runs go in parallel, and -x
// sweeps runs T·J block updates recorded once per sweep.
func TestRunWorkersAndSweeps(t *testing.T) {
	cfg := defaultConfig()
	cfg.Figure, cfg.Iters, cfg.Seeds, cfg.Readings = "2a", 6, 2, []string{readingSum}
	cfg.X, cfg.Out = xSweeps, t.TempDir()
	one, two := cfg, cfg
	one.Workers, two.Workers = 1, 2
	a, err := run(context.Background(), one, io.Discard, io.Discard)
	require.NoError(t, err)
	b, err := run(context.Background(), two, io.Discard, io.Discard)
	require.NoError(t, err)
	for k, o := range a.Outcomes[readingSum] {
		require.Contains(t, b.Outcomes[readingSum], k)
		for i, run := range o.Runs {
			assert.Len(t, run.NMSE, cfg.Iters+1, k)
			assert.Equal(t, run.NMSE, b.Outcomes[readingSum][k].Runs[i].NMSE, k)
			assert.Equal(t, run.F, b.Outcomes[readingSum][k].Runs[i].F, k)
		}
	}
	// The same weights under blocks with 4·T updates end where sweeps end
	// for a rule that does not depend on k (BP-CLR), and differ for one
	// that does (c/(2k)).
	blk := one
	blk.X, blk.Iters = xBlocks, 4*cfg.Iters
	c, err := run(context.Background(), blk, io.Discard, io.Discard)
	require.NoError(t, err)
	clr, harm := "2a/BP-CLR", "2a/Prop, α=c/(2k)"
	last := func(s *summary, k string) float64 {
		r := s.Outcomes[readingSum][k].Runs[0]
		return r.NMSE[len(r.NMSE)-1]
	}
	assert.Equal(t, last(a, clr), last(c, clr))
	assert.NotEqual(t, last(a, harm), last(c, harm))
}

// -tune picks, for every method, the grid value with the lowest median
// final nMSE over the seeds and prints the grid.
func TestTune(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every grid value")
	}
	cfg := defaultConfig()
	cfg.Figure, cfg.Iters, cfg.Seeds, cfg.Readings, cfg.Tune = "2a", 10, 2, []string{readingMean}, true
	cfg.Out = t.TempDir()
	var out bytes.Buffer
	sum, err := run(context.Background(), cfg, &out, io.Discard)
	require.NoError(t, err)
	for k, o := range sum.Outcomes[readingMean] {
		if len(o.Spec.Grid) < 2 {
			continue
		}
		require.Len(t, o.TuneScores, len(o.Spec.Grid), k)
		best := math.Inf(1)
		for _, v := range o.TuneScores {
			best = math.Min(best, v)
		}
		assert.Equal(t, best, o.Series.Final.Med, k)
		assert.Contains(t, o.Spec.Grid, o.K, k)
	}
	assert.Contains(t, out.String(), "∈ [0.001 0.003 0.01")
}

// Under the sum reading f is N × the mean reading's data loss on the same
// weights, for l2 (‖Y − H‖²_F) and the exponential loss
// (Nc·exp(‖Y − H‖²_F/(Nc))), on the full batch and on a mini-batch
// (N·(1/B)Σ_batch), and so are the block gradients.
func TestSumReading(t *testing.T) {
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	n := set.N
	for _, pr := range []problem{problemL2, problemExp} {
		t.Run(pr.Loss, func(t *testing.T) {
			mean, err := newNet(pr, readingMean, n)
			require.NoError(t, err)
			sum, err := newNet(pr, readingSum, n)
			require.NoError(t, err)
			w := mean.Init(newRNG(3))
			for _, b := range []int{n, 17} {
				x, y := columns(set.X, 13, n, b), columns(set.Y, 1, n, b)
				pm, ps := program(t, mean, b, x, y, w), program(t, sum, b, x, y, w)
				fm, err := pm.DataLoss()
				require.NoError(t, err)
				fs, err := ps.Objective()
				require.NoError(t, err)
				assert.InEpsilon(t, float64(n)*fm, fs, 1e-13)
				// against the closed forms, from the network output
				h := make([]float64, b)
				require.NoError(t, pm.Output(h))
				var s float64
				for i := range h {
					s += (y[i] - h[i]) * (y[i] - h[i])
				}
				s *= float64(n) / float64(b) // the batch's estimate of ‖Y − H‖²_F
				want := s
				if pr.Loss == problemExp.Loss {
					nc := float64(n) * pr.C
					want = nc * math.Exp(s/nc)
				}
				assert.InEpsilon(t, want, fs, 1e-12)
				for j := 0; j < mean.NumBlocks(); j++ {
					gm, gs := make([]float64, len(w[j])), make([]float64, len(w[j]))
					require.NoError(t, pm.Grad(j, gm))
					require.NoError(t, ps.Grad(j, gs))
					for i := range gm {
						assert.InDelta(t, float64(n)*gm[i], gs[i], 1e-12*(1+math.Abs(gs[i])))
					}
				}
			}
			assert.Equal(t, mean.Loss().Shape(), sum.Loss().Shape())
			// The explicit Gauss-Newton matrix (LM) scales by N too; for l2
			// it comes from the per-sample fast path, which the wrapper keeps.
			sep, ok := mean.Loss().(graph.SampleSeparable)
			assert.Equal(t, ok && sep.SampleSeparable(), sum.Loss().(graph.SampleSeparable).SampleSeparable())
			pm, ps := program(t, mean, n, set.X, set.Y, w), program(t, sum, n, set.X, set.Y, w)
			sz := len(w[1])
			gm, gs := make([]float64, sz*sz), make([]float64, sz*sz)
			require.NoError(t, pm.GaussNewtonMatrix(1, gm))
			require.NoError(t, ps.GaussNewtonMatrix(1, gs))
			for i := range gm {
				assert.InDelta(t, float64(n)*gm[i], gs[i], 1e-11*(1+math.Abs(gs[i])))
			}
		})
	}
	_, err = readingLoss(problemL2, "median", n)
	assert.ErrorContains(t, err, "unknown reading")
	_, err = readingLoss(problem{Loss: "hinge"}, readingSum, n)
	assert.ErrorContains(t, err, "no readings")
	_, err = readingLoss(problem{Loss: problemExp.Loss}, readingSum, n)
	assert.ErrorContains(t, err, "c = 0")
}

// columns returns the first b of the n columns of a rows×n matrix.
func columns(m []float64, rows, n, b int) []float64 {
	out := make([]float64, 0, rows*b)
	for i := 0; i < rows; i++ {
		out = append(out, m[i*n:i*n+b]...)
	}
	return out
}

func program(t *testing.T, net *graph.Net, b int, x, y []float64, w graph.Weights) *graph.Program {
	t.Helper()
	p, err := net.NewProgram(b)
	require.NoError(t, err)
	require.NoError(t, p.SetBatch(x, y))
	require.NoError(t, p.SetWeights(w))
	return p
}

// Under -x sweeps every block of sweep s gets the inner rule's α(s);
// Condition8 is the inner rule's, and unit steps stay unwrapped.
func TestPerSweep(t *testing.T) {
	h := perSweep{inner: solvers.Harmonic{C: 1}, j: 4}
	for _, tc := range []struct {
		k    int
		want float64
	}{{1, 0.5}, {4, 0.5}, {5, 0.25}, {8, 0.25}, {9, 1.0 / 6}} {
		a, err := h.Alpha(solvers.StepContext{K: tc.k})
		require.NoError(t, err)
		assert.InDelta(t, tc.want, a, 1e-15, "k=%d", tc.k)
	}
	assert.NoError(t, h.Condition8())
	assert.ErrorIs(t, perSweep{inner: solvers.InvSqrt{C: 1}, j: 4}.Condition8(), solvers.ErrCondition8)

	m := forX(solvers.BP(solvers.Harmonic{C: 1}), xSweeps, 4)
	assert.IsType(t, perSweep{}, m.Step)
	assert.NoError(t, m.Validate())
	assert.True(t, m.Certified())
	assert.Equal(t, solvers.Unit{}, forX(solvers.LM(), xSweeps, 4).Step)
	assert.NoError(t, forX(solvers.LM(), xSweeps, 4).Validate())
	assert.IsType(t, solvers.Harmonic{}, forX(solvers.BP(solvers.Harmonic{C: 1}), xBlocks, 4).Step)
	assert.True(t, forX(solvers.BPCLR(0.1), xSweeps, 4).Uncertified)
}

func TestParseArgs(t *testing.T) {
	def := defaultConfig()
	for _, tc := range []struct {
		name string
		args []string
		err  string
		chk  func(t *testing.T, c config)
	}{
		{name: "defaults", chk: func(t *testing.T, c config) {
			assert.Equal(t, def, c)
			assert.Equal(t, []string{readingMean, readingSum}, c.Readings)
		}},
		{name: "sum", args: []string{"-reading", "sum"}, chk: func(t *testing.T, c config) { assert.Equal(t, []string{readingSum}, c.Readings) }},
		{name: "mean upper case", args: []string{"-reading=MEAN"}, chk: func(t *testing.T, c config) { assert.Equal(t, []string{readingMean}, c.Readings) }},
		{name: "both", args: []string{"-reading", "both"}, chk: func(t *testing.T, c config) { assert.Equal(t, allReadings, c.Readings) }},
		{name: "sweeps", args: []string{"-x", "Sweeps", "-iters", "50", "-seeds", "3", "-tune", "-figure", "A1"}, chk: func(t *testing.T, c config) {
			assert.Equal(t, xSweeps, c.X)
			assert.Equal(t, 50, c.Iters)
			assert.Equal(t, 3, c.Seeds)
			assert.True(t, c.Tune)
			assert.Equal(t, "a1", c.Figure)
		}},
		{name: "figure all", args: []string{"-figure", "all"}, chk: func(t *testing.T, c config) { assert.Equal(t, "all", c.Figure) }},
		{name: "bad reading", args: []string{"-reading", "median"}, err: `-reading "median"`},
		{name: "empty reading", args: []string{"-reading", ""}, err: "-reading"},
		{name: "bad x", args: []string{"-x", "epochs"}, err: `-x "epochs"`},
		{name: "bad figure", args: []string{"-figure", "3c"}, err: "unknown figure"},
		{name: "zero seeds", args: []string{"-seeds", "0"}, err: "-seeds 0"},
		{name: "negative seeds", args: []string{"-seeds", "-2"}, err: "-seeds -2"},
		{name: "zero iters", args: []string{"-iters", "0"}, err: "-iters 0"},
		{name: "zero workers", args: []string{"-workers", "0"}, err: "-workers 0"},
		{name: "not a number", args: []string{"-seeds", "five"}, err: "invalid value"},
		{name: "unknown flag", args: []string{"-readings", "sum"}, err: "not defined"},
		{name: "stray argument", args: []string{"sum"}, err: "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseArgs(tc.args, io.Discard)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			tc.chk(t, c)
		})
	}
	// run refuses what parseArgs refuses, for callers that fill config directly
	bad := defaultConfig()
	bad.Readings = []string{"median"}
	_, err := run(context.Background(), bad, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "unknown reading")
}

// FuzzParseArgs: any -reading and -x value either fails to parse or yields
// a configuration run accepts.
func FuzzParseArgs(f *testing.F) {
	f.Add("mean", "blocks", "2a")
	f.Add("both", "sweeps", "all")
	f.Add("sum", "blocks", "")
	f.Fuzz(func(t *testing.T, reading, x, figure string) {
		c, err := parseArgs([]string{"-reading", reading, "-x", x, "-figure", figure}, io.Discard)
		if err != nil {
			return
		}
		require.NoError(t, c.validate())
		require.NotEmpty(t, c.Readings)
		for _, r := range c.Readings {
			require.Contains(t, allReadings, r)
		}
		require.Contains(t, []string{xBlocks, xSweeps}, c.X)
	})
}

func TestNewBandAndOrder(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want band
	}{
		{[]float64{3}, band{3, 3, 3}},
		{[]float64{3, 1, 2}, band{2, 1, 3}},
		{[]float64{4, 1, 2, 3}, band{2.5, 1, 4}},
		{[]float64{1, math.NaN(), 2}, band{2, 1, math.Inf(1)}},
	} {
		assert.Equal(t, tc.want, newBand(tc.in), "%v", tc.in)
	}
	assert.True(t, math.IsNaN(newBand(nil).Med))
	assert.Equal(t, 1, order(band{1, 0.5, 1.5}, band{3, 2, 4}))
	assert.Equal(t, -1, order(band{3, 2, 4}, band{1, 0.5, 1.5}))
	assert.Equal(t, 0, order(band{1, 0.5, 2}, band{3, 2, 4}), "touching ranges overlap")
	assert.Equal(t, 0, order(band{1, 1, 1}, band{1, 1, 1}))
}

// ser is a series with final values per seed, a start of 1 on every seed.
func ser(finals ...float64) series {
	s := series{Finals: finals, Final: newBand(finals), Increases: make([]int, len(finals))}
	var mv []float64
	for _, f := range finals {
		mv = append(mv, math.Abs(f-1))
	}
	s.Moved = newBand(mv).Med
	return s
}

func TestJudgeOrder(t *testing.T) {
	ab := []pair{{"A", "B"}}
	for _, tc := range []struct {
		name  string
		s     map[string]series
		pairs []pair
		want  verdict
		why   string
	}{
		{"confirmed", map[string]series{"A": ser(0.2, 0.3, 0.25), "B": ser(0.5, 0.6, 0.4)}, ab, confirmed, "all 1 pairs decided for"},
		{"refuted", map[string]series{"A": ser(0.5, 0.6, 0.4), "B": ser(0.2, 0.3, 0.25)}, ab, refuted, "decided against"},
		{"within seed range", map[string]series{"A": ser(0.2, 0.5, 0.3), "B": ser(0.4, 0.6, 0.45)}, ab, inconclusive, "within the seed range"},
		{"within seed range although below on every seed", map[string]series{"A": ser(0.2, 0.5, 0.3), "B": ser(0.21, 0.51, 0.31)}, ab, inconclusive, "below on 3/3 seeds"},
		{"nothing moved", map[string]series{"A": ser(0.995, 0.996, 0.995), "B": ser(1.009, 1.008, 1.009)}, ab, inconclusive, "nothing moved"},
		{"one moved suffices", map[string]series{"A": ser(0.995, 0.996, 0.995), "B": ser(0.5, 0.6, 0.4)}, ab, refuted, "decided against"},
		{"one pair against refutes", map[string]series{"A": ser(0.2), "B": ser(0.5), "C": ser(0.1)}, []pair{{"A", "B"}, {"A", "C"}}, refuted, "1 of 2 pairs"},
		{"one pair open", map[string]series{"A": ser(0.2, 0.3), "B": ser(0.5, 0.6), "C": ser(0.25, 0.5)}, []pair{{"A", "B"}, {"A", "C"}}, inconclusive, "1 of 2 pairs within"},
		{"failed run is worst", map[string]series{"A": ser(0.9, 0.95), "B": ser(math.Inf(1), math.Inf(1))}, ab, confirmed, "+Inf"},
		{"missing method", map[string]series{"A": ser(0.2)}, ab, inconclusive, "no run of B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why := judgeOrder(tc.s, tc.pairs)
			assert.Equal(t, tc.want, v, why)
			assert.Contains(t, why, tc.why)
		})
	}
}

func TestJudgeMonotone(t *testing.T) {
	with := func(s series, inc []int, failed int) series { s.Increases, s.Failed = inc, failed; return s }
	for _, tc := range []struct {
		name string
		s    map[string]series
		want verdict
		why  string
	}{
		{"confirmed", map[string]series{"P": ser(0.5, 0.4), "Q": ser(0.6, 0.7)}, confirmed, "no increase"},
		{"refuted by one seed", map[string]series{"P": ser(0.5, 0.4), "Q": with(ser(0.6, 0.7), []int{0, 1}, 0)}, refuted, "Q: 1 increases"},
		{"refuted by divergence", map[string]series{"P": ser(0.5, 0.4), "Q": with(ser(math.Inf(1), 0.7), []int{1, 0}, 1)}, refuted, "non-finite on 1 of 2"},
		{"nothing moved", map[string]series{"P": ser(0.999, 0.998), "Q": ser(1.001, 1)}, inconclusive, "trivially monotone"},
		{"nothing moved but increases", map[string]series{"P": with(ser(0.999, 0.998), []int{3, 0}, 0), "Q": ser(1.001, 1)}, inconclusive, "increases anyway"},
		{"unjudged methods ignored", map[string]series{"P": ser(0.5, 0.4), "Q": ser(0.6, 0.7), "AdaGrad": with(ser(0.1, 0.1), []int{500, 600}, 0)}, confirmed, "no increase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why := judgeMonotone(tc.s, []string{"P", "Q"})
			assert.Equal(t, tc.want, v, why)
			assert.Contains(t, why, tc.why)
		})
	}
}

func TestJudgeConverge(t *testing.T) {
	with := func(s series, g []float64, failed int) series { s.GradRel, s.Failed = g, failed; return s }
	for _, tc := range []struct {
		name string
		s    series
		want verdict
		why  string
	}{
		{"confirmed", with(ser(0.5, 0.4), []float64{1e-3, 9e-3}, 0), confirmed, "≤ 0.01 counts"},
		{"one seed not stationary", with(ser(0.5, 0.4), []float64{1e-3, 0.2}, 0), inconclusive, "not stationary"},
		{"diverged", with(ser(0.5, math.Inf(1)), []float64{1e-3, math.NaN()}, 1), refuted, "diverged on 1"},
		{"nothing moved", with(ser(0.995, 1.002), []float64{1e-3, 1e-3}, 0), inconclusive, "nothing moved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, why := judgeConverge(map[string]series{"G": tc.s}, "G")
			assert.Equal(t, tc.want, v, why)
			assert.Contains(t, why, tc.why)
		})
	}
	v, why := judgeConverge(nil, "G")
	assert.Equal(t, inconclusive, v)
	assert.Contains(t, why, "no run")
}

// summarise counts increases of f (a failed run counts as one), treats a
// failed run's final value as +Inf, and measures movement from the start.
func TestSummarise(t *testing.T) {
	runs := []runOut{
		{NMSE: []float64{1, 0.8, 0.5}, F: []float64{2, 1.5, 1.6}, GradRel: 0.1},
		{NMSE: []float64{1, 0.9, 0.7}, F: []float64{2, 1.9, 1.8}, GradRel: 0.2},
		{NMSE: []float64{1, 0.9}, F: []float64{2, 1.9}, Err: assert.AnError, GradRel: math.NaN()},
	}
	s := summarise(runs, 2)
	assert.Equal(t, []int{1, 0, 1}, s.Increases)
	assert.Equal(t, 1, s.Failed)
	assert.InDelta(t, 1.6/1.5-1, s.MaxRise, 1e-15)
	assert.Equal(t, band{0.7, 0.5, math.Inf(1)}, s.Final)
	assert.InDelta(t, 0.5, s.Moved, 1e-15) // moved 0.5, 0.3, +Inf → median 0.5
}

func TestNormMSE(t *testing.T) {
	y := []float64{1, 2, 3, 10, 10, 10.5}
	h := []float64{1, 2, 4, 10, 11, 10}
	// row 0: mean 2, den 2, num 1; row 1: mean 10.1667, den 0.1667, num 1.25
	assert.InDelta(t, (1+1.25)/(2+1.0/6), normMSE(y, h, 2, 3), 1e-12)
}

// Under -x sweeps the growing batch has one size per sweep, B_s = min(s, N),
// the run resumes k across sweeps (cyclic blocks, step rule) and reports
// one full evaluation per sweep.
func TestGrowingPerSweep(t *testing.T) {
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	net, err := newNet(problemL2, readingMean, set.N)
	require.NoError(t, err)
	m := forX(solvers.BP(solvers.Harmonic{C: 1}), xSweeps, 4)
	m.Batches = solvers.GrowingBatch()
	res, err := growingPerSweep(context.Background(), net, data, net.Init(newRNG(1)), m, 1, 5, 4)
	require.NoError(t, err)
	require.Len(t, res.History, 20)
	for i, r := range res.History {
		s := i/4 + 1
		assert.Equal(t, i+1, r.K)
		assert.Equal(t, []int{i % 4}, r.Blocks, "k=%d", r.K)
		assert.Equal(t, s, r.Batch, "k=%d", r.K)
		assert.InDelta(t, 1/(2*float64(s)), r.Alpha, 1e-15, "k=%d", r.K)
		if r.K%4 == 0 {
			assert.False(t, math.IsNaN(r.NormMSE), "k=%d has a full evaluation", r.K)
		}
	}
	assert.True(t, res.Certified)
	assert.Equal(t, solvers.IterationLimit, res.Status)
	f, err := solvers.Objective(net, data, res.Weights)
	require.NoError(t, err)
	assert.InEpsilon(t, f, res.F, 1e-12)
}

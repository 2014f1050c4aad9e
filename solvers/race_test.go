package solvers_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// With an Updates or an Evaluations budget a race is bitwise the same
// whether its methods run one at a time or four at once (issue 12 §2; run
// under -race in CI).
func TestRaceReproducibleAcrossParallelism(t *testing.T) {
	net, data := bodyFat(t)
	methods := concurrentMethods()
	updates, evals := 9, 2000
	if testing.Short() {
		updates, evals = 6, 1200
	}
	for _, tc := range []struct {
		name   string
		budget solvers.Budget
		status solvers.Status // of every run
	}{
		{"updates", solvers.Budget{Updates: updates}, solvers.IterationLimit},
		{"evaluations", solvers.Budget{Evaluations: evals}, solvers.EvaluationLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.budget
			one, err := solvers.Race(context.Background(), net, data, methods, b, solvers.RaceOptions{Seed: 7, Parallel: 1, Target: 1})
			require.NoError(t, err)
			four, err := solvers.Race(context.Background(), net, data, methods, b, solvers.RaceOptions{Seed: 7, Parallel: 4, Target: 1})
			require.NoError(t, err)
			require.Len(t, four.Entries, len(methods))
			assert.Equal(t, one.Start, four.Start)
			for i := range one.Entries {
				a, c := one.Entries[i], four.Entries[i]
				require.Equal(t, a.Method.String(), c.Method.String(), "rank %d", i+1)
				require.NoError(t, a.Err)
				require.NoError(t, c.Err)
				sameRun(t, a.Result, c.Result, a.Method.String())
				assert.Equal(t, tc.status, a.Result.Status, "%v: %s", a.Method, a.Result.Reason)
				assert.Equal(t, a.Result.Stats, c.Result.Stats, "%v", a.Method)
				assert.Equal(t, a.Updates, c.Updates)
				assert.Equal(t, a.Evaluations, c.Evaluations)
				assert.Positive(t, a.Evaluations)
				if b.Evaluations > 0 {
					assert.GreaterOrEqual(t, a.Evaluations, b.Evaluations, "%v stopped before its budget", a.Method)
				}
				assert.Equal(t, a.Reached, c.Reached)
				assert.Equal(t, a.UpdatesToTarget, c.UpdatesToTarget)
				assert.Equal(t, i+1, a.Rank)
			}
			// Each entry is the lone Minimize run from the race's start.
			w := one.Entries[0]
			s := solvers.Settings{MaxIter: w.Result.History[len(w.Result.History)-1].K, Seed: 7}
			if b.Evaluations > 0 {
				s = solvers.Settings{MaxIter: 1 << 30, Seed: 7, Convergers: []solvers.Converger{solvers.EvaluationBudget{Max: b.Evaluations}}}
			}
			lone, err := solvers.Minimize(context.Background(), net, data, one.Start, w.Method, s)
			require.NoError(t, err)
			sameRun(t, lone, w.Result, "lone run of the winner")
		})
	}
}

// progressLog is a Converger that keeps a copy of every Progress it sees.
type progressLog struct{ seen *[]solvers.Progress }

func (l progressLog) Converged(p *solvers.Progress) (solvers.Status, string) {
	q := *p
	q.History = append([]solvers.Record(nil), p.History...)
	*l.seen = append(*l.seen, q)
	return solvers.NotStopped, ""
}

// Progress.Evaluations weighs each record's new evaluations as
// EvaluationBudget documents: f 1, ∇_j f 1, a product 2, an explicit block
// matrix 2·P_j; EvaluationBudget stops the first record at or past Max.
func TestEvaluationBudgetCounts(t *testing.T) {
	net, data := bodyFat(t)
	hf := solvers.HessianFree(solvers.HFOptions{})
	jacLM := solvers.LM()
	jacLM.Blocks = solvers.Jacobi
	w0 := net.Init(rand.New(rand.NewPCG(3, 3)))
	for _, tc := range []struct {
		name string
		m    solvers.BSUM
		max  int
	}{
		{"gd", solvers.GD(1), 15},
		{"armijo", solvers.BP(solvers.Armijo{}), 40},
		{"lm", solvers.LM(), 2000},
		{"lm hessian", solvers.LMHessian(), 2000},
		{"hessian-free", hf, 100},
		{"jacobi lm", jacLM, 3000},
		{"gauss-southwell", func() solvers.BSUM { m := solvers.GD(1); m.Blocks = solvers.GaussSouthwell; return m }(), 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []solvers.Progress
			res, err := solvers.Minimize(context.Background(), net, data, w0, tc.m, solvers.Settings{
				MaxIter: 1 << 20, Seed: 1,
				Convergers: []solvers.Converger{progressLog{&seen}, solvers.EvaluationBudget{Max: tc.max}},
			})
			require.NoError(t, err)
			require.Equal(t, solvers.EvaluationLimit, res.Status, res.Reason)
			require.Len(t, seen, len(res.History))
			blocks := net.Blocks()
			var prev solvers.Stats
			want := 0
			for i, p := range seen {
				d := p.Stats
				n := (d.Objective - prev.Objective) + (d.Gradient - prev.Gradient) + 2*(d.HVP-prev.HVP) + 2*(d.GaussNewton-prev.GaussNewton)
				mats := d.Hessian - prev.Hessian + d.GaussNewtonMatrix - prev.GaussNewtonMatrix
				rec := p.History[len(p.History)-1]
				if mats > 0 {
					require.Zero(t, mats%len(rec.Blocks), "one matrix per updated block")
					for _, j := range rec.Blocks {
						n += 2 * blocks[j].Size() * mats / len(rec.Blocks)
					}
				}
				want += n
				require.Equal(t, want, p.Evaluations, "record %d", i)
				if i < len(seen)-1 {
					require.Less(t, p.Evaluations, tc.max, "record %d is past the budget but the run went on", i)
				}
				prev = d
			}
			assert.GreaterOrEqual(t, want, tc.max)
			assert.Contains(t, res.Reason, fmt.Sprintf("%d evaluations", want))
			// The final Stats add only the Result's full evaluation.
			final := res.Stats
			final.FullEvaluations = prev.FullEvaluations
			assert.Equal(t, prev, final)
		})
	}
}

func TestRaceRanking(t *testing.T) {
	net, data := bodyFat(t)
	noStep := solvers.BSUM{Name: "no step", Surrogate: solvers.GD(1).Surrogate}
	methods := []solvers.BSUM{solvers.BPCLR(0.5), solvers.GD(1), noStep, solvers.LM(), solvers.AdaGrad(0.05), solvers.BP(solvers.Harmonic{C: 1})}
	res, err := solvers.Race(context.Background(), net, data, methods, solvers.Budget{Updates: 6}, solvers.RaceOptions{Seed: 1, Target: 1e9})
	require.NoError(t, err)
	require.Len(t, res.Entries, len(methods))
	last := res.Entries[len(res.Entries)-1]
	assert.Equal(t, "no step", last.Method.Name, "a refused method ranks last")
	assert.Error(t, last.Err)
	assert.Nil(t, last.Result)
	for i := 1; i < len(res.Entries)-1; i++ {
		assert.LessOrEqual(t, res.Entries[i-1].Result.F, res.Entries[i].Result.F, "ranked by final f")
	}
	require.NotNil(t, res.Best)
	assert.True(t, res.Best.Certified, "only a certified method wins by default")
	for i := range res.Entries {
		e := &res.Entries[i]
		if e == res.Best {
			break
		}
		assert.False(t, e.Certified && !e.Failed(), "%v ranks above the winner but is certified", e.Method)
	}
	for _, e := range res.Entries[:len(res.Entries)-1] {
		assert.True(t, e.Reached, "f ≤ 1e9 holds at the first record")
		assert.Equal(t, 1, e.UpdatesToTarget)
		assert.Equal(t, 6, e.Updates)
	}

	open, err := solvers.Race(context.Background(), net, data, methods, solvers.Budget{Updates: 6}, solvers.RaceOptions{Seed: 1, AllowUncertified: true})
	require.NoError(t, err)
	assert.Same(t, &open.Entries[0], open.Best, "with AllowUncertified the first rank wins")

	var buf bytes.Buffer
	require.NoError(t, res.WriteTable(&buf, 1e9))
	table := buf.String()
	assert.Contains(t, table, "to f≤1e+09")
	assert.Contains(t, table, res.Best.Method.String())
	assert.Contains(t, table, "refused")
	assert.Contains(t, table, "(1 updates)")
	assert.Contains(t, table, "evals")
	for i := range res.Entries[:len(res.Entries)-1] {
		e := &res.Entries[i]
		st := e.Result.Stats
		assert.Regexp(t, fmt.Sprintf(`(?m)^%d .*\s%d\s+%d/%d/%d/%d\s`, e.Rank, e.Evaluations, st.Objective, st.Gradient, st.HVP+st.GaussNewton, st.Hessian+st.GaussNewtonMatrix), table, "%v's counts", e.Method)
	}
}

func TestRaceOnlyUncertifiedHasNoWinner(t *testing.T) {
	net, data := bodyFat(t)
	res, err := solvers.Race(context.Background(), net, data, []solvers.BSUM{solvers.AdaGrad(0.05), solvers.BPCLR(0.1)}, solvers.Budget{Updates: 3}, solvers.RaceOptions{Target: 1e-300})
	require.NoError(t, err)
	assert.Nil(t, res.Best)
	for _, e := range res.Entries {
		assert.False(t, e.Reached)
	}
}

func TestRaceTimeBudgetAndCancel(t *testing.T) {
	net, data := bodyFat(t)
	res, err := solvers.Race(context.Background(), net, data, []solvers.BSUM{solvers.GD(1), solvers.LM()}, solvers.Budget{Time: 50 * time.Millisecond}, solvers.RaceOptions{})
	require.NoError(t, err)
	for _, e := range res.Entries {
		require.NoError(t, e.Err)
		assert.Equal(t, solvers.TimeLimit, e.Result.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = solvers.Race(ctx, net, data, []solvers.BSUM{solvers.GD(1)}, solvers.Budget{Updates: 100}, solvers.RaceOptions{})
	require.NoError(t, err)
	assert.Equal(t, solvers.Canceled, res.Entries[0].Result.Status)
}

func TestRaceRefusesBadInput(t *testing.T) {
	net, data := bodyFat(t)
	bad := net.NewWeights()
	bad[0][0] = math.NaN()
	ms := []solvers.BSUM{solvers.GD(1)}
	for _, tc := range []struct {
		name    string
		methods []solvers.BSUM
		budget  solvers.Budget
		opts    solvers.RaceOptions
	}{
		{"no methods", nil, solvers.Budget{Updates: 1}, solvers.RaceOptions{}},
		{"no budget", ms, solvers.Budget{}, solvers.RaceOptions{}},
		{"negative time", ms, solvers.Budget{Time: -1, Updates: 1}, solvers.RaceOptions{}},
		{"negative updates", ms, solvers.Budget{Updates: -1}, solvers.RaceOptions{}},
		{"negative evaluations", ms, solvers.Budget{Evaluations: -1, Updates: 1}, solvers.RaceOptions{}},
		{"negative parallel", ms, solvers.Budget{Updates: 1}, solvers.RaceOptions{Parallel: -1}},
		{"bad start", ms, solvers.Budget{Updates: 1}, solvers.RaceOptions{Start: bad}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := solvers.Race(context.Background(), net, data, tc.methods, tc.budget, tc.opts)
			assert.Error(t, err)
		})
	}
	_, err := solvers.Race(context.Background(), nil, data, ms, solvers.Budget{Updates: 1}, solvers.RaceOptions{})
	assert.Error(t, err)
}

// ExampleRace runs three methods for 20 block updates each from one start
// and prints the ranking; with an Updates budget it is reproducible.
func ExampleRace() {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		panic(err)
	}
	net, err := models.BodyFat().Net()
	if err != nil {
		panic(err)
	}
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	methods := []solvers.BSUM{solvers.GD(1), solvers.LM(), solvers.AdaGrad(0.05)}
	res, err := solvers.Race(context.Background(), net, data, methods, solvers.Budget{Updates: 20}, solvers.RaceOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	for _, e := range res.Entries {
		fmt.Printf("%d %-28s f=%.4f certified=%v\n", e.Rank, e.Method, e.Result.F, e.Certified)
	}
	fmt.Println("winner:", res.Best.Method)
	// Output:
	// 1 LM                           f=0.0080 certified=true
	// 2 AdaGrad (baseline, η=0.05)   f=0.0281 certified=false
	// 3 GD (γ=1)                     f=0.0317 certified=true
	// winner: LM
}

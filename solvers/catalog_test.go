package solvers_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

func TestParseStep(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"unit", "unit α=1", false},
		{"armijo", "Armijo backtracking", false},
		{"const:0.1", "constant α=0.1", false},
		{"invsqrt:0.5", "α=0.5/√k", false},
		{"harmonic:1", "α=1/(2k)", false},
		{"recursive:1,0.99", "α(k+1)=α(k)(1−0.99α(k)), α(0)=1", false},
		{"recursive:1", "", true},
		{"const:x", "", true},
		{"nope", "", true},
	}
	for _, tc := range tests {
		r, err := solvers.ParseStep(tc.in)
		if tc.err {
			assert.ErrorIs(t, err, solvers.ErrMethod, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, r.Name())
	}
}

func TestByNameCoversCatalog(t *testing.T) {
	for _, e := range solvers.Catalog() {
		switch e.Kind {
		case "solver":
			m, err := solvers.ByName(e.Name, solvers.Options{})
			require.NoError(t, err, e.Name)
			assert.NotEmpty(t, m.String())
		case "blocks":
			_, err := solvers.ParseBlocks(e.Name)
			assert.NoError(t, err)
		}
		assert.NotEmpty(t, e.Summary)
	}
	_, err := solvers.ByName("sgd", solvers.Options{})
	assert.ErrorContains(t, err, "unknown solver")
	m, err := solvers.ByName("bp", solvers.Options{Step: solvers.InvSqrt{C: 0.5}})
	require.NoError(t, err)
	assert.False(t, m.Certified(), "c/√k runs, marked uncertified")
	_, err = solvers.ByName("gd", solvers.Options{Step: solvers.InvSqrt{C: 0.5}})
	assert.ErrorIs(t, err, solvers.ErrCondition8)
}

func TestByNameOptions(t *testing.T) {
	_, err := solvers.ByName("lm", solvers.Options{Step: solvers.Constant{C: 0.5}})
	assert.ErrorIs(t, err, solvers.ErrCondition8)
	m, err := solvers.ByName("LM", solvers.Options{Step: solvers.Constant{C: 0.5}, Uncertified: true})
	require.NoError(t, err)
	assert.False(t, m.Certified())
	m, err = solvers.ByName("BP", solvers.Options{Step: solvers.Armijo{}})
	require.NoError(t, err)
	assert.Equal(t, "Armijo backtracking", m.Step.Name())
}

func TestObjectiveMatchesResult(t *testing.T) {
	spec := models.MLP("tanh", 3, 3, 1)
	spec.L1, spec.Tikhonov = 0.01, 0.001
	net, err := spec.Net()
	require.NoError(t, err)
	data := randData(rand.New(rand.NewPCG(2, 2)), 3, 1, 20)
	res, err := solvers.Minimize(context.Background(), net, data, nil, solvers.GD(2), solvers.Settings{MaxIter: 5})
	require.NoError(t, err)
	f, err := solvers.Objective(net, data, res.Weights)
	require.NoError(t, err)
	assert.InDelta(t, res.F, f, 1e-14)
	var l1 float64
	for _, b := range res.Weights {
		for _, v := range b {
			l1 += 0.01 * math.Abs(v)
		}
	}
	smooth := objective(t, net, data, res.Weights)
	assert.InDelta(t, smooth+l1, f, 1e-14, "L1 terms included")
}

// TestStepParametersValidated covers issue 8 §3: every step rule refuses a
// zero, negative, NaN or infinite constant when parsed, when built by
// ByName, and when a method using it is validated (so Minimize refuses it
// before iterating).
func TestStepParametersValidated(t *testing.T) {
	bad := []struct {
		in   string
		rule solvers.StepRule
	}{
		{"const:-1", solvers.Constant{C: -1}},
		{"const:0", solvers.Constant{C: 0}},
		{"const:nan", solvers.Constant{C: math.NaN()}},
		{"const:inf", solvers.Constant{C: math.Inf(1)}},
		{"harmonic:-1", solvers.Harmonic{C: -1}},
		{"harmonic:nan", solvers.Harmonic{C: math.NaN()}},
		{"harmonic:0", solvers.Harmonic{C: 0}},
		{"harmonic:-inf", solvers.Harmonic{C: math.Inf(-1)}},
		{"invsqrt:-0.5", solvers.InvSqrt{C: -0.5}},
		{"invsqrt:NaN", solvers.InvSqrt{C: math.NaN()}},
		{"recursive:-1,0.99", &solvers.Recursive{Alpha0: -1, T: 0.99}},
		{"recursive:1,nan", &solvers.Recursive{Alpha0: 1, T: math.NaN()}},
		{"recursive:0,0.5", &solvers.Recursive{Alpha0: 0, T: 0.5}},
		{"recursive:5,1", &solvers.Recursive{Alpha0: 5, T: 1}},
		{"recursive:2,0.5", &solvers.Recursive{Alpha0: 2, T: 0.5}},
		{"", solvers.Armijo{Beta: 1.5}},
		{"", solvers.Armijo{Sigma: -0.1}},
		{"", solvers.Armijo{Max: math.NaN()}},
		{"", solvers.Armijo{MaxTries: -1}},
	}
	for _, tc := range bad {
		name := tc.in
		if name == "" {
			name = tc.rule.Name()
		}
		t.Run(name, func(t *testing.T) {
			if tc.in != "" {
				_, err := solvers.ParseStep(tc.in)
				assert.ErrorIs(t, err, solvers.ErrStepParam)
				assert.ErrorIs(t, err, solvers.ErrMethod)
			}
			assert.ErrorIs(t, solvers.ValidateStep(tc.rule), solvers.ErrStepParam)
			for _, solver := range []string{"bp", "bp-clr", "gd", "lm", "lm-hessian", "proxl1", "exact-bcd", "adagrad"} {
				_, err := solvers.ByName(solver, solvers.Options{Step: tc.rule, Uncertified: true})
				assert.ErrorIs(t, err, solvers.ErrStepParam, solver)
			}
			m := solvers.BPUncertified(tc.rule)
			assert.ErrorIs(t, m.Validate(), solvers.ErrStepParam)
			net, err := models.MLP("tanh", 2, 2, 1).Net()
			require.NoError(t, err)
			data := solvers.Data{X: []float64{0, 1, 1, 0}, Y: []float64{0.5, 1}, N: 2}
			res, err := solvers.Minimize(context.Background(), net, data, nil, m, solvers.Settings{MaxIter: 2})
			assert.ErrorIs(t, err, solvers.ErrStepParam)
			assert.Nil(t, res, "refused before the first iteration")
		})
	}
	good := []string{"const:0.1", "harmonic:1", "harmonic:3", "invsqrt:2", "recursive:1,0.99", "recursive:0.5,1.5", "unit", "armijo"}
	for _, in := range good {
		r, err := solvers.ParseStep(in)
		require.NoError(t, err, in)
		assert.NoError(t, solvers.ValidateStep(r), in)
	}
	assert.NoError(t, solvers.ValidateStep(solvers.Armijo{Max: 2, Beta: 0.3, Sigma: 0.1, MaxTries: 5}))
	assert.ErrorIs(t, solvers.ValidateStep(nil), solvers.ErrStepParam)
}

func TestByNameRefusesBadParameters(t *testing.T) {
	for _, o := range []solvers.Options{{Gamma: -1}, {Gamma: math.NaN()}, {Lambda: -1e-3}, {Eta: math.Inf(1)}} {
		_, err := solvers.ByName("gd", o)
		assert.ErrorIs(t, err, solvers.ErrMethod, "%+v", o)
	}
}

// FuzzParseStep: ParseStep never panics, and every rule it accepts passes
// ValidateStep and gives finite step sizes in [0, ∞) for the first
// iterations.
func FuzzParseStep(f *testing.F) {
	for _, s := range []string{"unit", "armijo", "const:0.1", "harmonic:1", "harmonic:nan", "recursive:1,0.99", "invsqrt:-1", "const:1e309", "recursive:5,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := solvers.ParseStep(s)
		if err != nil {
			require.ErrorIs(t, err, solvers.ErrMethod)
			return
		}
		require.NoError(t, solvers.ValidateStep(r))
		if _, ok := r.(solvers.Armijo); ok {
			return // needs an objective
		}
		for k := 1; k <= 3; k++ {
			a, err := r.Alpha(solvers.StepContext{K: k})
			require.NoError(t, err)
			require.False(t, math.IsNaN(a) || math.IsInf(a, 0), "%s: α(%d) = %v", s, k, a)
			require.Positive(t, a, "%s: α(%d)", s, k)
		}
	})
}

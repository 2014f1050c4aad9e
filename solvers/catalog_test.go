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

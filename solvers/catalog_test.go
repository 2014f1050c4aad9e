package solvers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

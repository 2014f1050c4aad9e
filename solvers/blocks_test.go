package solvers_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/solvers"
)

// TestReverseCyclicOrder: ReverseCyclic visits J−1, …, 0 in every sweep,
// and is Cyclic on the blocks relabelled: the same method with the same
// start converges too, certified, and the weights differ from Cyclic's (the
// order matters) while both decrease f.
func TestReverseCyclicOrder(t *testing.T) {
	net, data := bodyFat(t)
	J := net.NumBlocks()
	require.GreaterOrEqual(t, J, 2)
	w0 := net.Init(rand.New(rand.NewPCG(1, 0x62737566)))
	f0, err := solvers.Objective(net, data, w0)
	require.NoError(t, err)
	results := map[solvers.BlockRule]*solvers.Result{}
	for _, rule := range []solvers.BlockRule{solvers.Cyclic, solvers.ReverseCyclic} {
		m := solvers.BP(solvers.Harmonic{C: 1})
		m.Blocks = rule
		res, err := solvers.Minimize(context.Background(), net, data, w0, m, solvers.Settings{MaxIter: 3 * J, Seed: 1})
		require.NoError(t, err)
		require.Len(t, res.History, 3*J)
		for i, rec := range res.History {
			want := i % J
			if rule == solvers.ReverseCyclic {
				want = J - 1 - i%J
			}
			assert.Equal(t, []int{want}, rec.Blocks, "%v, iteration %d", rule, rec.K)
		}
		assert.Less(t, res.F, f0, "%v: f decreased", rule)
		assert.True(t, res.Certified, "%v", rule)
		results[rule] = res
	}
	assert.NotEqual(t, results[solvers.Cyclic].Weights, results[solvers.ReverseCyclic].Weights)
	r, err := solvers.ParseBlocks("reverse-cyclic")
	require.NoError(t, err)
	assert.Equal(t, solvers.ReverseCyclic, r)
	assert.Equal(t, "reverse-cyclic", r.String())
}

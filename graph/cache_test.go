package graph_test

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
)

func TestProgramCacheIsPrivateAndBounded(t *testing.T) {
	net, err := graph.New(3, twoLayer, sqLoss{}, graph.MaxPrograms(2))
	require.NoError(t, err)
	a, b := net.NewProgramCache(), net.NewProgramCache()
	pa, err := a.Program(5)
	require.NoError(t, err)
	again, err := a.Program(5)
	require.NoError(t, err)
	assert.Same(t, pa, again, "one program per batch size within a cache")
	pb, err := b.Program(5)
	require.NoError(t, err)
	assert.NotSame(t, pa, pb, "two caches never share a program")
	shared, err := net.Program(5)
	require.NoError(t, err)
	assert.NotSame(t, pa, shared)
	assert.NotSame(t, pb, shared)

	for _, batch := range []int{6, 7} {
		_, err := a.Program(batch)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, a.Len(), "MaxPrograms(2) bounds a cache")

	_, err = a.Program(0)
	assert.ErrorIs(t, err, graph.ErrArgument)
}

func TestProgramCacheReleaseReusesPrograms(t *testing.T) {
	net, err := graph.New(3, twoLayer, sqLoss{})
	require.NoError(t, err)
	a := net.NewProgramCache()
	pa, err := a.Program(4)
	require.NoError(t, err)
	a.Release()
	a.Release() // twice is harmless
	_, err = a.Program(4)
	assert.True(t, errors.Is(err, graph.ErrArgument), "a released cache refuses work")

	b := net.NewProgramCache()
	pb, err := b.Program(4)
	require.NoError(t, err)
	assert.Same(t, pa, pb, "a released program is reused, not recompiled")
	c := net.NewProgramCache()
	pc, err := c.Program(4)
	require.NoError(t, err)
	assert.NotSame(t, pb, pc, "a program in use is not handed out twice")

	var zero graph.ProgramCache
	_, err = zero.Program(4)
	assert.ErrorIs(t, err, graph.ErrArgument)
}

// Programs of one Net evaluated in parallel give the values of a lone
// evaluation bit for bit (run with -race).
func TestProgramCachesConcurrent(t *testing.T) {
	net, err := graph.New(3, skip, sqLoss{})
	require.NoError(t, err)
	const batch = 7
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := randVec(rng, 3*batch), randVec(rng, 2*batch)
	ws := make([]graph.Weights, 4)
	for i := range ws {
		ws[i] = net.Init(rng)
	}
	eval := func(c *graph.ProgramCache, w graph.Weights) (float64, []float64, []float64, error) {
		p, err := c.Program(batch)
		if err != nil {
			return 0, nil, nil, err
		}
		if err := p.SetBatch(x, y); err != nil {
			return 0, nil, nil, err
		}
		if err := p.SetWeights(w); err != nil {
			return 0, nil, nil, err
		}
		f, err := p.Objective()
		if err != nil {
			return 0, nil, nil, err
		}
		g := make([]float64, len(w[1]))
		if err := p.Grad(1, g); err != nil {
			return 0, nil, nil, err
		}
		hv := make([]float64, len(w[1]))
		if err := p.HVP(1, w[1], hv); err != nil {
			return 0, nil, nil, err
		}
		return f, g, hv, nil
	}
	type out struct {
		f     float64
		g, hv []float64
		err   error
	}
	want := make([]out, len(ws))
	for i, w := range ws {
		c := net.NewProgramCache()
		want[i].f, want[i].g, want[i].hv, want[i].err = eval(c, w)
		require.NoError(t, want[i].err)
		c.Release()
	}
	got := make([]out, 3*len(ws))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := net.NewProgramCache()
			defer c.Release()
			o := &got[i]
			o.f, o.g, o.hv, o.err = eval(c, ws[i%len(ws)])
		}(i)
	}
	wg.Wait()
	for i, o := range got {
		require.NoError(t, o.err)
		assert.Equal(t, want[i%len(ws)], o, "run %d", i)
	}
}

//go:build mpi

package mpi

// These tests run in every rank of an MPI job:
//
//	go test -c -tags mpi -o /tmp/mpi.test ./internal/mpi
//	mpirun --allow-run-as-root --oversubscribe -np 3 /tmp/mpi.test
//
// (without mpirun they run as a job of one rank.)

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
)

var world *Comm

func TestMain(m *testing.M) {
	c, err := Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	world = c
	code := m.Run()
	if err := c.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// part is rank q's element i, with mixed magnitudes so that the order of
// the additions shows.
func part(q, i int) float64 {
	return math.Cos(float64(i)*1.1+float64(q)*0.3) * math.Pow(10, float64((i*5+q*3)%15-7))
}

func TestInit(t *testing.T) {
	c, err := Init()
	require.NoError(t, err)
	assert.Same(t, world, c, "a second Init returns the same Comm")
	assert.True(t, Available())
	assert.GreaterOrEqual(t, c.Size(), 1)
	assert.True(t, c.Rank() >= 0 && c.Rank() < c.Size())
	var _ graph.Reducer = c
}

func TestSumRankOrder(t *testing.T) {
	size := world.Size()
	for _, n := range []int{0, 1, 2, size - 1, size, size + 1, 999, 65537} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := make([]float64, n)
			for i := range x {
				x[i] = part(world.Rank(), i)
			}
			require.NoError(t, world.Sum(x))
			for i := range x {
				var want float64
				for q := range size {
					want += part(q, i)
				}
				require.Equal(t, math.Float64bits(want), math.Float64bits(x[i]),
					"element %d: %v, want %v (rank order)", i, x[i], want)
			}
			// Rank 0's bits reach everyone unchanged, and they are ours.
			ref := slices.Clone(x)
			require.NoError(t, world.Broadcast(ref, 0))
			assert.Equal(t, ref, x)
		})
	}
}

func TestBroadcast(t *testing.T) {
	for root := range world.Size() {
		x := []float64{float64(world.Rank()), -1.5, math.Inf(1)}
		require.NoError(t, world.Broadcast(x, root))
		assert.Equal(t, []float64{float64(root), -1.5, math.Inf(1)}, x)
	}
	for _, root := range []int{-1, world.Size()} {
		assert.Error(t, world.Broadcast([]float64{1}, root), "root %d", root)
	}
}

func TestAllreduceSumIsASum(t *testing.T) {
	// Integers add exactly in any order, so MPI_Allreduce must give them.
	x := []float64{float64(world.Rank()), 1}
	require.NoError(t, world.AllreduceSum(x))
	s := world.Size()
	assert.Equal(t, []float64{float64(s * (s - 1) / 2), float64(s)}, x)
}

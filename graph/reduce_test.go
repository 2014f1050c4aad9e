package graph

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShardRangeCoversEverySampleOnce(t *testing.T) {
	tests := []struct{ n, size int }{{1, 1}, {10, 1}, {10, 3}, {7, 7}, {3, 5}, {60000, 2}, {60001, 3}, {252, 4}}
	for _, tc := range tests {
		next := 0
		for r := range tc.size {
			lo, hi := ShardRange(tc.n, r, tc.size)
			require.Equal(t, next, lo, "n=%d size=%d rank=%d", tc.n, tc.size, r)
			require.GreaterOrEqual(t, hi, lo)
			assert.LessOrEqual(t, hi-lo, tc.n/tc.size+1)
			assert.GreaterOrEqual(t, hi-lo, tc.n/tc.size)
			next = hi
		}
		assert.Equal(t, tc.n, next, "n=%d size=%d", tc.n, tc.size)
	}
}

func TestShardRangeRefusesBadArguments(t *testing.T) {
	for _, a := range [][3]int{{10, -1, 2}, {10, 2, 2}, {10, 0, 0}, {0, 0, 1}, {-5, 0, 1}} {
		lo, hi := ShardRange(a[0], a[1], a[2])
		assert.Equal(t, [2]int{0, 0}, [2]int{lo, hi}, "%v", a)
	}
}

func TestLocalReducerIsIdentity(t *testing.T) {
	var r Reducer = Local{}
	x := []float64{1, -2, 3.5}
	require.NoError(t, r.Sum(x))
	require.NoError(t, r.Broadcast(x, 0))
	assert.Equal(t, []float64{1, -2, 3.5}, x)
	assert.Equal(t, 0, r.Rank())
	assert.Equal(t, 1, r.Size())
}

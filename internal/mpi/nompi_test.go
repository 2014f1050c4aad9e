//go:build !mpi

package mpi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithoutTag(t *testing.T) {
	assert.False(t, Available())
	c, err := Init()
	require.ErrorIs(t, err, ErrNotBuilt)
	assert.Nil(t, c)
	assert.Contains(t, err.Error(), "-tags mpi")
	var none *Comm
	for name, err := range map[string]error{
		"Sum":          none.Sum([]float64{1}),
		"AllreduceSum": none.AllreduceSum([]float64{1}),
		"Broadcast":    none.Broadcast([]float64{1}, 0),
		"Barrier":      none.Barrier(),
		"Finalize":     none.Finalize(),
	} {
		assert.ErrorIs(t, err, ErrNotBuilt, name)
	}
}

package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
)

// TestShardsFlag: --shards 3 trains to the same weights as one program up
// to rounding, and a negative count is a usage error.
func TestShardsFlag(t *testing.T) {
	dir := t.TempDir()
	train := func(shards, save string) *models.Model {
		r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--quiet", "--iters", "12", "--solver", "lm", "--shards", shards, "--save", save)
		require.Equal(t, 0, r.code, r.stderr)
		m, err := models.Load(save)
		require.NoError(t, err)
		return m
	}
	one := train("1", filepath.Join(dir, "one.json"))
	three := train("3", filepath.Join(dir, "three.json"))
	require.Len(t, three.Weights, len(one.Weights))
	for j := range one.Weights {
		for i, w := range one.Weights[j] {
			assert.InDelta(t, w, three.Weights[j][i], 1e-9*(1+abs(w)), "block %d weight %d", j, i)
		}
	}
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--shards", "-1")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--shards")
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

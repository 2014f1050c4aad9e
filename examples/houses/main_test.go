package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommittedFileIsReproducible: houses.csv is exactly what the generator
// writes, so the README's example can be regenerated.
func TestCommittedFileIsReproducible(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, write(&b))
	committed, err := os.ReadFile("houses.csv")
	require.NoError(t, err)
	assert.Equal(t, string(committed), b.String(), "run go run ./examples/houses from the module root")

	recs, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, Rows+1)
	assert.Equal(t, []string{"id", "street", "area", "rooms", "price"}, recs[0])
	for _, rec := range recs[1:] {
		area, err := strconv.ParseFloat(rec[2], 64)
		require.NoError(t, err)
		rooms, err := strconv.ParseFloat(rec[3], 64)
		require.NoError(t, err)
		price, err := strconv.ParseFloat(rec[4], 64)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, area, 40.0)
		assert.LessOrEqual(t, area, 200.0)
		assert.GreaterOrEqual(t, rooms, 1.0)
		assert.LessOrEqual(t, rooms, 7.0)
		assert.InEpsilon(t, Price(area, rooms), price, 0.15, "3%% noise stays within 5σ")
	}
}

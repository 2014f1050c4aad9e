package solvers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestColumnSourceGather: the sample-major path gathers exactly what the
// strided one does, for batch sizes on and off the groups of eight, with
// repeated columns, and the copy is the transpose.
func TestColumnSourceGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range []struct{ rows, n, m int }{
		{1, 10, 4}, {3, 50, 8}, {13, 252, 17}, {70, 33, 33}, {5, 1000, 1}, {40, 97, 64},
	} {
		t.Run(fmt.Sprintf("%dx%d/%d", c.rows, c.n, c.m), func(t *testing.T) {
			x := make([]float64, c.rows*c.n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			cols := make([]int, c.m)
			for i := range cols {
				cols[i] = rng.IntN(c.n)
			}
			cols[0] = c.n - 1
			strided := &columnSource{x: x, rows: c.rows, n: c.n}
			copied := &columnSource{x: x, rows: c.rows, n: c.n, t: make([]float64, c.rows*c.n)}
			transposeInto(copied.t, x, c.rows, c.n)
			for i := 0; i < c.rows; i++ {
				for j := 0; j < c.n; j++ {
					if copied.t[j*c.rows+i] != x[i*c.n+j] {
						t.Fatalf("transpose differs at (%d, %d)", i, j)
					}
				}
			}
			a, b := make([]float64, c.rows*c.m), make([]float64, c.rows*c.m)
			strided.gather(a, cols)
			copied.gather(b, cols)
			assert.Equal(t, a, b)
			for k, col := range cols {
				assert.Equal(t, x[(c.rows-1)*c.n+col], a[(c.rows-1)*c.m+k], "last feature of column %d", k)
			}
		})
	}
	assert.Nil(t, newColumnSource(make([]float64, 13*252), 13, 252).t, "small data: no copy")
	assert.NotNil(t, newColumnSource(make([]float64, sampleMajorFrom), 64, sampleMajorFrom/64).t, "large data: sample-major copy")
}

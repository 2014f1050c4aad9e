package finite

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAll(t *testing.T) {
	big := make([]float64, 1003)
	for i := range big {
		big[i] = float64(i) - 500
	}
	big[7] = math.MaxFloat64
	big[8] = -math.MaxFloat64
	big[9] = math.SmallestNonzeroFloat64
	big[10] = math.Copysign(0, -1)
	for _, c := range []struct {
		name string
		x    []float64
		want bool
	}{
		{"empty", nil, true},
		{"finite, extremes included", big, true},
		{"one value", []float64{1}, true},
		{"NaN", []float64{math.NaN()}, false},
		{"+Inf", []float64{1, 2, math.Inf(1)}, false},
		{"-Inf", []float64{math.Inf(-1), 1, 2, 3, 4}, false},
		{"+Inf and -Inf", []float64{math.Inf(1), math.Inf(-1)}, false},
	} {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, All(c.x)) })
	}
	// Every position of a long slice, in the unrolled body and the tail.
	for i := range big {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			v := big[i]
			big[i] = bad
			if All(big) {
				t.Fatalf("All missed %v at %d", bad, i)
			}
			big[i] = v
		}
	}
}

func BenchmarkAll(b *testing.B) {
	x := make([]float64, 200704)
	for i := range x {
		x[i] = float64(i)
	}
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		if !All(x) {
			b.Fatal("not finite")
		}
	}
}

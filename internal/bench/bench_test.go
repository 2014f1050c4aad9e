package bench

import (
	"fmt"
	"sync"
	"testing"
)

func bodyfat(b *testing.B) *Problem {
	p, err := SharedBodyFat()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

var (
	largeOnce sync.Once
	largeProb *Problem
	largeErr  error
)

// large returns the N = 10,000 problem; it skips in -short mode.
func large(b *testing.B) *Problem {
	if testing.Short() {
		b.Skip("large problem skipped in -short mode")
	}
	largeOnce.Do(func() { largeProb, largeErr = Large(LargeN, 1) })
	if largeErr != nil {
		b.Fatal(largeErr)
	}
	return largeProb
}

func BenchmarkStepBodyFat(b *testing.B)      { BenchFullStep(b, bodyfat(b)) }
func BenchmarkBlockStepBodyFat(b *testing.B) { BenchBlockStep(b, bodyfat(b)) }
func BenchmarkMinimizeIterBodyFat(b *testing.B) {
	b.Run("no-eval", func(b *testing.B) { BenchMinimizeIter(b, bodyfat(b), -1) })
	b.Run("eval-every-1", func(b *testing.B) { BenchMinimizeIter(b, bodyfat(b), 1) })
}

func BenchmarkStepLarge(b *testing.B)      { BenchFullStep(b, large(b)) }
func BenchmarkBlockStepLarge(b *testing.B) { BenchBlockStep(b, large(b)) }

// BenchmarkBlockOpsBodyFat/<block>/<op>: see BlockOps. `go run
// ./internal/bench/cmd/compare -what ops` prints these as ratios to the
// block gradient.
func BenchmarkBlockOpsBodyFat(b *testing.B) {
	p := bodyfat(b)
	for j, blk := range p.Net.Blocks() {
		for _, op := range BlockOps {
			b.Run(fmt.Sprintf("%s/%s", blk.Name, op), func(b *testing.B) { BenchBlockOp(b, p, j, op) })
		}
	}
}

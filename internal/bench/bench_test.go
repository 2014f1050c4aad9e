package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/solvers"
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

// BenchmarkSweepFashionShaped times one sweep over the blocks of the
// examples/fashion network (784-256-10 ReLU, biases, softmax cross-entropy)
// on mini-batches of 128 (each held for the sweep), by block rule: Cyclic
// (first layer first: the first layer's forward pass runs again after its
// update), ReverseCyclic (last layer first: it runs once) and Jacobi (both
// blocks from the same point, on goroutines, with the joint Armijo search).
// The method is the certified BP with the recursive step. ns/op is one
// Minimize call of 20 sweeps; sweep-ns is one sweep.
func BenchmarkSweepFashionShaped(b *testing.B) {
	p, err := FashionShaped(2560, 1)
	if err != nil {
		b.Fatal(err)
	}
	const sweeps = 20
	J := p.Net.NumBlocks()
	for _, rule := range []solvers.BlockRule{solvers.Cyclic, solvers.ReverseCyclic, solvers.Jacobi} {
		b.Run(rule.String(), func(b *testing.B) {
			m := solvers.BP(&solvers.Recursive{Alpha0: 0.2, T: 2.5e-3})
			m.Blocks = rule
			hold, iters := J, sweeps*J
			if rule == solvers.Jacobi {
				hold, iters = 1, sweeps
			}
			m.Batches = solvers.Batches{Size: 128, Epochs: true, Hold: hold}
			w0 := p.Net.Init(InitRNG(1))
			s := solvers.Settings{MaxIter: iters, Seed: 1, FullEvalEvery: -1}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := solvers.Minimize(context.Background(), p.Net, p.Data, w0, m, s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sweeps), "sweep-ns")
		})
	}
}

// BenchmarkFullGradientFashionShaped times the full-batch gradient of the
// examples/fashion network on 60,000 samples (every block's gradient from
// one forward and backward pass: Objective, then Grad of each block), in one
// program and sharded over 2 goroutines. PyTorch's counterpart is
// pytorch/fullgrad.py. Skipped in -short mode.
func BenchmarkFullGradientFashionShaped(b *testing.B) {
	if testing.Short() {
		b.Skip("60,000-sample problem skipped in -short mode")
	}
	p, err := FashionShaped(60000, 1)
	if err != nil {
		b.Fatal(err)
	}
	w := p.Net.Init(InitRNG(1))
	g := p.Net.NewWeights()
	for _, shards := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			e, err := p.Net.NewSharded(p.Data.N, graph.ShardConfig{Shards: shards})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.SetBatch(p.Data.X, p.Data.Y); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				w[0][0] += 1e-9 // new weights each time: nothing is reused from the last pass
				if err := e.SetWeights(w); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Objective(); err != nil {
					b.Fatal(err)
				}
				for j := range g {
					if err := e.Grad(j, g[j]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

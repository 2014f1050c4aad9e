package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/solvers"
)

// The benchmark bodies live here, not in a _test file, so that cmd/compare
// can run them with testing.Benchmark; bench_test.go wraps them as
// Benchmark functions for `go test -bench`.

// LR is the plain step's learning rate (bench.py's default --lr).
const LR = 0.1

var (
	bfOnce sync.Once
	bfProb *Problem
	bfErr  error
)

// SharedBodyFat returns one BodyFat problem for all benchmarks.
func SharedBodyFat() (*Problem, error) {
	bfOnce.Do(func() { bfProb, bfErr = BodyFat() })
	return bfProb, bfErr
}

// BodyFatStart is the Glorot-normal start of seed 1 used by the benchmarks.
func BodyFatStart(p *Problem) graph.Weights { return p.Net.Init(InitRNG(1)) }

func fatal(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchFullStep times FullStep (forward, every block gradient, update of
// every block) on p from seed 1's start.
func BenchFullStep(b *testing.B, p *Problem) {
	s, err := NewFullStep(p, p.Net.Init(InitRNG(1)), LR)
	fatal(b, err)
	fatal(b, s.Step()) // warm-up: first evaluation allocates Do-path values
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if math.IsNaN(s.Loss) {
		b.Fatal("loss is NaN")
	}
}

// BenchBlockStep times BlockStep (one cyclic block: gradient with memoised
// lower activations, update, SetBlock) on p.
func BenchBlockStep(b *testing.B, p *Problem) {
	s, err := NewBlockStep(p, p.Net.Init(InitRNG(1)), LR)
	fatal(b, err)
	for range s.W {
		fatal(b, s.Step())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchMinimizeIter times one iteration of solvers.Minimize running BP with
// a constant step (cyclic blocks, full batch): b.N iterations in one run.
// fullEval is Settings.FullEvalEvery (-1: no full evaluation; 1: full f and
// normalised MSE after every iteration).
func BenchMinimizeIter(b *testing.B, p *Problem, fullEval int) {
	w0 := p.Net.Init(InitRNG(1))
	b.ReportAllocs()
	b.ResetTimer()
	res, err := solvers.Minimize(context.Background(), p.Net, p.Data, w0, solvers.BPCLR(LR),
		solvers.Settings{MaxIter: b.N, FullEvalEvery: fullEval})
	fatal(b, err)
	if res.Status != solvers.IterationLimit {
		b.Fatalf("status %v", res.Status)
	}
}

// Block operations measured by BenchBlockOp.
const (
	OpGrad     = "grad"      // Grad after SetBlock changed W_j
	OpHVP      = "hvp"       // HVP after SetBlock changed W_j (includes the gradient's work)
	OpHVPWarm  = "hvp-warm"  // HVP at fixed W with a new direction V
	OpGN       = "gn"        // GaussNewton product after SetBlock changed W_j
	OpGNWarm   = "gn-warm"   // GaussNewton product at fixed W with a new V
	OpHessian  = "hessian"   // explicit block Hessian at fixed W (p HVPs)
	OpGNMatrix = "gnmatrix"  // explicit block Gauss-Newton matrix (one pass)
	OpLMStep   = "lm-step"   // solvers.Minimize with LM, one iteration on block j, from w0
	OpGradFull = "grad-full" // Grad after SetWeights changed every block (no memoised activations)
)

// BlockOps lists the operations in table order.
var BlockOps = []string{OpGrad, OpGradFull, OpHVP, OpHVPWarm, OpGN, OpGNWarm, OpHessian, OpGNMatrix, OpLMStep}

// BenchBlockOp times op on block j of p at seed 1's start. "Changed W_j"
// alternates W_j between the start and a perturbed copy, so every value
// that depends on W_j is recomputed and nothing else (the BSUM situation);
// "new V" alternates the direction between two vectors.
func BenchBlockOp(b *testing.B, p *Problem, j int, op string) {
	w := p.Net.Init(InitRNG(1))
	blk := p.Net.Blocks()[j]
	n := blk.Size()
	if op == OpLMStep {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, err := solvers.Minimize(ctx, p.Net, p.Data, w, solvers.LM(),
				solvers.Settings{StartIter: j + 1, MaxIter: j + 1, FullEvalEvery: -1})
			fatal(b, err)
		}
		return
	}
	prog, err := p.Program(w)
	fatal(b, err)
	wa := append([]float64(nil), w[j]...)
	wb := append([]float64(nil), w[j]...)
	for i := range wb {
		wb[i] += 1e-3 * math.Sin(float64(i)+0.5)
	}
	alt := graph.Weights(w).Clone()
	for k := range alt {
		for i := range alt[k] {
			alt[k][i] += 1e-3 * math.Cos(float64(i)+0.5)
		}
	}
	va, vb := make([]float64, n), make([]float64, n)
	for i := range va {
		va[i] = math.Sin(float64(i) + 1)
		vb[i] = math.Cos(float64(i) + 1)
	}
	dst := make([]float64, n)
	var mat []float64
	if op == OpHessian || op == OpGNMatrix {
		mat = make([]float64, n*n)
	}
	step := func(i int) error {
		wi, vi := wa, va
		if i%2 == 1 {
			wi, vi = wb, vb
		}
		switch op {
		case OpGrad:
			if err := prog.SetBlock(j, wi); err != nil {
				return err
			}
			return prog.Grad(j, dst)
		case OpGradFull:
			ws := w
			if i%2 == 1 {
				ws = alt
			}
			if err := prog.SetWeights(ws); err != nil {
				return err
			}
			return prog.Grad(j, dst)
		case OpHVP:
			if err := prog.SetBlock(j, wi); err != nil {
				return err
			}
			return prog.HVP(j, va, dst)
		case OpHVPWarm:
			return prog.HVP(j, vi, dst)
		case OpGN:
			if err := prog.SetBlock(j, wi); err != nil {
				return err
			}
			return prog.GaussNewton(j, va, dst)
		case OpGNWarm:
			return prog.GaussNewton(j, vi, dst)
		case OpHessian:
			if err := prog.SetBlock(j, wi); err != nil {
				return err
			}
			return prog.Hessian(j, mat)
		case OpGNMatrix:
			if err := prog.SetBlock(j, wi); err != nil {
				return err
			}
			return prog.GaussNewtonMatrix(j, mat)
		}
		return fmt.Errorf("bench: unknown block op %q", op)
	}
	fatal(b, step(0))
	fatal(b, step(1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := step(i); err != nil {
			b.Fatal(err)
		}
	}
}

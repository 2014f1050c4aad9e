package solvers_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/solvers"
)

func BenchmarkBPIteration(b *testing.B) {
	net, data := bodyFat(b)
	w0 := net.Init(newRNG())
	b.ReportAllocs()
	b.ResetTimer()
	_, err := solvers.Minimize(context.Background(), net, data, w0, solvers.BP(solvers.Harmonic{C: 1}), solvers.Settings{MaxIter: b.N})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkLMIteration(b *testing.B) {
	net, data := bodyFat(b)
	w0 := net.Init(newRNG())
	b.ReportAllocs()
	b.ResetTimer()
	_, err := solvers.Minimize(context.Background(), net, data, w0, solvers.LM(), solvers.Settings{MaxIter: b.N})
	if err != nil {
		b.Fatal(err)
	}
}

func newRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 1)) }

package graph_test

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
)

func bodyfatLike(b *graph.Builder, x *G.Node) (*G.Node, error) {
	h := x
	sizes := []int{13, 10, 10, 10, 1}
	for i := 1; i < len(sizes); i++ {
		w := b.Weight("W"+string(rune('0'+i)), sizes[i], sizes[i-1])
		h = G.Must(G.Sigmoid(G.Must(G.Mul(w, h))))
	}
	return h, nil
}

func BenchmarkBodyFatStep(b *testing.B) {
	net, err := graph.New(13, bodyfatLike, sqLoss{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	w := net.Init(rng)
	p, _ := net.Program(252)
	x, y := randVec(rng, 13*252), make([]float64, 252)
	_ = p.SetBatch(x, y)
	g := net.NewWeights()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = p.SetWeights(w)
		if _, err := p.Objective(); err != nil {
			b.Fatal(err)
		}
		for j := range g {
			_ = p.Grad(j, g[j])
		}
		for j := range w {
			for k := range w[j] {
				w[j][k] -= 0.1 * g[j][k]
			}
		}
	}
}

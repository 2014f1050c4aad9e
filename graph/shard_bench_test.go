package graph_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
)

// BenchmarkShardThreshold times one full gradient step (SetWeights, f and
// every block gradient) on one Program and on 2 shards, over networks and
// batch sizes whose work B·p spans 10⁴ to 10⁸, to place MinShardWork: the
// work below which a single Program is at least as fast. Compare the
// shards=1 and shards=2 lines of one run (their ratio, not absolute times,
// on a shared machine):
//
//	go test -run '^$' -bench ShardThreshold -benchtime 300ms ./graph/
func BenchmarkShardThreshold(b *testing.B) {
	cases := []struct {
		sizes []int
		batch []int
	}{
		{[]int{13, 10, 10, 10, 1}, []int{252, 1024, 4096, 16384}},
		{[]int{64, 64, 64, 10}, []int{32, 128, 512, 2048}},
		{[]int{784, 256, 10}, []int{16, 128, 1024}},
	}
	for _, c := range cases {
		net, err := models.MLP("logistic", c.sizes...).Net()
		if err != nil {
			b.Fatal(err)
		}
		var p int
		for _, blk := range net.Blocks() {
			p += blk.Size()
		}
		for _, batch := range c.batch {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := randVec(rng, net.In()*batch), make([]float64, net.Out()*batch)
			for i := range y {
				y[i] = rng.Float64()
			}
			for _, shards := range []int{1, 2} {
				var e graph.Evaluator
				if shards == 1 {
					e, err = net.NewProgram(batch)
				} else {
					e, err = net.NewSharded(batch, graph.ShardConfig{Shards: shards})
				}
				if err != nil {
					b.Fatal(err)
				}
				w := net.Init(rng)
				g := net.NewWeights()
				if err := e.SetBatch(x, y); err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("p=%d/B=%d/work=%.1e/shards=%d", p, batch, float64(p*batch), shards), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
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
						for j := range w {
							for k := range w[j] {
								w[j][k] -= 1e-3 * g[j][k]
							}
						}
					}
				})
			}
		}
	}
}

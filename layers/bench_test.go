package layers

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkActivationDo measures one forward op on a 100×1000 tensor, the
// size of a hidden layer's pre-activations for a batch of 1000.
func BenchmarkActivationDo(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	data := randn(rng, 100*1000)
	in := tensor.New(tensor.WithShape(100, 1000), tensor.WithBacking(data))
	for _, f := range []Func{Logistic(), Tanh(), Softplus(), ReLU(), ELU(1), ISRU(1), BentIdentity()} {
		for k := 0; k <= 2; k++ {
			op := newActOp(f.op.fam, k, f.op.a, f.op.s)
			b.Run(op.String(), func(b *testing.B) {
				for b.Loop() {
					if _, err := op.Do(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	// The graph's logistic: σ from x, σ' from (x, σ).
	y, err := sigmoidOp{partValue}.Do(in)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		op  sigmoidOp
		ins []G.Value
	}{{sigmoidOp{partValue}, []G.Value{in}}, {sigmoidOp{partDeriv}, []G.Value{in, y}}} {
		b.Run("graph-"+c.op.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := c.op.Do(c.ins...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(100, 1000), G.WithName("x"))
	for name, fn := range map[string]func(*G.Node) (*G.Node, error){"gorgonia.Sigmoid": G.Sigmoid, "gorgonia.Softplus": G.Softplus, "gorgonia.Tanh": G.Tanh} {
		y := G.Must(fn(x))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := y.Op().Do(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

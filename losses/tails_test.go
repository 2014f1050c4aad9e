package losses

import (
	"fmt"
	"math"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
)

// refSigmoidPrime is σ'(z) = e^{−|z|}/(1+e^{−|z|})², exact in both tails.
func refSigmoidPrime(z float64) float64 {
	e := math.Exp(-math.Abs(z))
	return e / ((1 + e) * (1 + e))
}

// TestCrossEntropyLogisticTails: the cross-entropy of a logistic output
// h = σ(w·1) is the exact softplus(z) − y·z for logits down to −800 and up
// to 800 (issue 8.1: it was 708 for z = −720, −745 and −800 with y = 1),
// its gradient σ(z) − y and curvature σ'(z) hold to 1e-12 relative wherever
// they are normal float64 values, for the layers logistic and for
// Gorgonia's Sigmoid, and CrossEntropyWithLogits on a linear output agrees.
func TestCrossEntropyLogisticTails(t *testing.T) {
	logits := []float64{-1e4, -800, -745, -720, -710, -709, -708, -700, -400, -100, -40, -37, -20, -5, -1, -1e-9, 0,
		1e-9, 1, 5, 20, 37, 40, 100, 400, 700, 708, 709, 710, 720, 745, 800, 1e4}
	acts := []struct {
		name string
		loss graph.Loss
		act  func(b *graph.Builder, x *G.Node) *G.Node
	}{
		{"layers.Logistic", CrossEntropy(), func(b *graph.Builder, x *G.Node) *G.Node { return layers.Dense(b, "W", 1, x, layers.Logistic()) }},
		{"gorgonia.Sigmoid", CrossEntropy(), func(b *graph.Builder, x *G.Node) *G.Node {
			return G.Must(G.Sigmoid(G.Must(G.Mul(b.Weight("W", 1, 1), x))))
		}},
		{"logits", CrossEntropyWithLogits(), func(b *graph.Builder, x *G.Node) *G.Node { return layers.Dense(b, "W", 1, x, layers.Identity()) }},
	}
	for _, a := range acts {
		for _, y := range []float64{1, 0, 0.3} {
			t.Run(fmt.Sprintf("%s/y=%v", a.name, y), func(t *testing.T) {
				net, err := graph.New(1, func(b *graph.Builder, x *G.Node) (*G.Node, error) {
					h := a.act(b, x)
					return h, b.Err()
				}, a.loss)
				require.NoError(t, err)
				p, err := net.Program(1)
				require.NoError(t, err)
				require.NoError(t, p.SetBatch([]float64{1}, []float64{y}))
				for _, z := range logits {
					require.NoError(t, p.SetWeights(graph.Weights{{z}}))
					f, err := p.Objective()
					require.NoError(t, err)
					// y·softplus(−z) + (1−y)·softplus(z), no cancellation.
					var want float64
					if y != 0 {
						want += y * refSoftplus(-z)
					}
					if y != 1 {
						want += (1 - y) * refSoftplus(z)
					}
					if want == 0 {
						assert.Equalf(t, 0.0, f, "loss at z = %v", z)
					} else {
						assert.InEpsilonf(t, want, f, 1e-14, "loss at z = %v", z)
					}

					g, hv, hm := []float64{0}, []float64{0}, []float64{0}
					require.NoError(t, p.Grad(0, g))
					require.NoError(t, p.HVP(0, []float64{1}, hv))
					require.NoError(t, p.Hessian(0, hm))
					wantG := refSigmoid(z) - y // no cancellation on this grid (σ(z) = y only at z ∈ {±∞, −0.85})
					if wantG != 0 && math.Abs(wantG) >= 0x1p-1022 {
						assert.InEpsilonf(t, wantG, g[0], 1e-12, "gradient at z = %v", z)
					} else {
						assert.InDeltaf(t, 0, g[0], 0x1p-1022, "gradient at z = %v", z)
					}
					wantH := refSigmoidPrime(z)
					if wantH >= 0x1p-1022 {
						assert.InEpsilonf(t, wantH, hv[0], 1e-12, "HVP at z = %v", z)
						assert.InEpsilonf(t, wantH, hm[0], 1e-12, "Hessian at z = %v", z)
					} else {
						assert.Falsef(t, math.IsNaN(hv[0]) || math.IsInf(hv[0], 0), "HVP at z = %v: %v", z, hv[0])
						assert.Falsef(t, math.IsNaN(hm[0]) || math.IsInf(hm[0], 0), "Hessian at z = %v: %v", z, hm[0])
					}
				}
			})
		}
	}
}

// TestCrossEntropyProbabilityOperandUnchanged: on an output that is not a
// logistic op (here the identity, H = W), CrossEntropy keeps evaluating
// −[y log h + (1−y) log(1−h)] from the probability itself.
func TestCrossEntropyProbabilityOperandUnchanged(t *testing.T) {
	p := identityProgram(t, CrossEntropy(), 1, 1)
	for _, c := range []struct{ h, y float64 }{{0.25, 1}, {0.25, 0}, {0.9, 0.3}, {1e-300, 1}} {
		bindIdentity(t, p, []float64{c.h}, []float64{c.y})
		f, err := p.Objective()
		require.NoError(t, err)
		want := -c.y*math.Log(c.h) - (1-c.y)*math.Log1p(-c.h)
		assert.InEpsilonf(t, want, f, 1e-14, "h = %v, y = %v", c.h, c.y)
		g := []float64{0}
		require.NoError(t, p.Grad(0, g))
		assert.InEpsilonf(t, -c.y/c.h+(1-c.y)/(1-c.h), g[0], 1e-14, "gradient at h = %v, y = %v", c.h, c.y)
	}
}

// TestBCELogitFamily checks the z-derivatives of famBCELogit against
// central differences of the lower order, at moderate logits.
func TestBCELogitFamily(t *testing.T) {
	for _, y := range []float64{0, 0.3, 1} {
		for _, z := range []float64{-30, -3, -0.5, 0, 0.7, 4, 25} {
			for k := 0; k < 4; k++ {
				const eps = 1e-5
				fd := (bceLogit(k, y, z+eps) - bceLogit(k, y, z-eps)) / (2 * eps)
				got := bceLogit(k+1, y, z)
				assert.InDeltaf(t, fd, got, 1e-7*math.Max(1, math.Abs(fd)), "order %d at y = %v, z = %v", k+1, y, z)
			}
		}
	}
}

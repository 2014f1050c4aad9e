package bench

import (
	"math"
	"testing"
)

// handStep is PyTorch's step written out: forward H_l = σ(W_l H_{l−1}),
// ℓ = (1/N)Σ(Y − H)², backward by the chain rule, W_l ← W_l − lr·∇_l.
func handStep(sizes []int, w [][]float64, x, y []float64, n int, lr float64) float64 {
	L := len(sizes) - 1
	hs := [][]float64{x}
	for l := 1; l <= L; l++ {
		in, out, prev := sizes[l-1], sizes[l], hs[l-1]
		h := make([]float64, out*n)
		for r := 0; r < out; r++ {
			for c := 0; c < n; c++ {
				var s float64
				for k := 0; k < in; k++ {
					s += w[l-1][r*in+k] * prev[k*n+c]
				}
				h[r*n+c] = 1 / (1 + math.Exp(-s))
			}
		}
		hs = append(hs, h)
	}
	var loss float64
	delta := make([]float64, len(y)) // dℓ/dPre_L
	for i, yi := range y {
		d := hs[L][i] - yi
		loss += d * d / float64(n)
		delta[i] = 2 * d / float64(n) * hs[L][i] * (1 - hs[L][i])
	}
	grads := make([][]float64, L)
	for l := L; l >= 1; l-- {
		in, out, prev := sizes[l-1], sizes[l], hs[l-1]
		g := make([]float64, out*in)
		for r := 0; r < out; r++ {
			for k := 0; k < in; k++ {
				var s float64
				for c := 0; c < n; c++ {
					s += delta[r*n+c] * prev[k*n+c]
				}
				g[r*in+k] = s
			}
		}
		grads[l-1] = g
		if l > 1 {
			nd := make([]float64, in*n)
			for k := 0; k < in; k++ {
				for c := 0; c < n; c++ {
					var s float64
					for r := 0; r < out; r++ {
						s += w[l-1][r*in+k] * delta[r*n+c]
					}
					nd[k*n+c] = s * prev[k*n+c] * (1 - prev[k*n+c])
				}
			}
			delta = nd
		}
	}
	for l := range w {
		for i := range w[l] {
			w[l][i] -= lr * grads[l][i]
		}
	}
	return loss
}

// The benchmarked full step is bench.py's sgd_step: same loss, same update.
func TestFullStepMatchesHand(t *testing.T) {
	p, err := BodyFat()
	if err != nil {
		t.Fatal(err)
	}
	w0 := BodyFatStart(p)
	s, err := NewFullStep(p, w0, LR)
	if err != nil {
		t.Fatal(err)
	}
	hand := w0.Clone()
	for k := 0; k < 3; k++ {
		if err := s.Step(); err != nil {
			t.Fatal(err)
		}
		loss := handStep(BodyFatSizes, hand, p.Data.X, p.Data.Y, p.Data.N, LR)
		if math.Abs(loss-s.Loss) > 1e-13 {
			t.Fatalf("step %d: loss %v, hand %v", k, s.Loss, loss)
		}
		for j := range hand {
			if !equal(s.W[j], hand[j], 1e-13) {
				t.Fatalf("step %d: block %d differs from the hand computation", k, j)
			}
		}
	}
	// A block step changes one block and agrees with the gradient of the
	// full step at the same weights.
	bs, err := NewBlockStep(p, w0, LR)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.Step(); err != nil {
		t.Fatal(err)
	}
	one := w0.Clone()
	handStep(BodyFatSizes, one, p.Data.X, p.Data.Y, p.Data.N, LR)
	if !equal(bs.W[0], one[0], 1e-13) || !equal(bs.W[1], w0[1], 0) {
		t.Fatal("block step 1 should update W1 exactly like the full step and nothing else")
	}
}

func TestMemoryShort(t *testing.T) {
	rep, err := RunMemory(300, []int{100, 300})
	if err != nil {
		t.Fatal(err)
	}
	if rep.AllocsPerStep > 50 {
		t.Fatalf("%.1f allocations per step", rep.AllocsPerStep)
	}
}

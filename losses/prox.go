package losses

import (
	"fmt"
	"math"
)

// SoftThreshold writes into dst the proximal operator of t‖·‖₁ at src,
// element by element (the paper's (A.5) with t = λ_j/γ_j):
//
//	dst[i] = src[i] − t   if src[i] > t,
//	         0            if −t ≤ src[i] ≤ t   (an exact zero),
//	         src[i] + t   if src[i] < −t.
//
// (A.5) as printed gives the third case as "[A] ≤ λ_j/γ_j"; it should read
// [A] ≤ −λ_j/γ_j, as above.
//
// dst and src may be the same slice. It panics if their lengths differ or t
// is negative or NaN, which are programming errors.
func SoftThreshold(dst, src []float64, t float64) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("losses: SoftThreshold: dst has %d values, src %d", len(dst), len(src)))
	}
	if !(t >= 0) {
		panic(fmt.Sprintf("losses: SoftThreshold: threshold %v must be ≥ 0", t))
	}
	for i, a := range src {
		switch {
		case a > t:
			dst[i] = a - t
		case a < -t:
			dst[i] = a + t
		default:
			dst[i] = 0
		}
	}
}

// L1Norm returns ‖w‖₁ = Σᵢ |wᵢ|, the non-smooth regulariser of Appendix A.6
// (multiply by λ_j).
func L1Norm(w []float64) float64 {
	var s float64
	for _, v := range w {
		s += math.Abs(v)
	}
	return s
}

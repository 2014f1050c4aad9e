package surrogate

import finiteness "github.com/bsum-go/bsum/internal/finite"

// softThreshold writes the proximal map of t‖·‖₁ at src into dst
// (seed Appendix A.6, eq. (A.5) with t = λ_j/γ_j). Entries in [−t, t]
// become exact zeros.
//
// The printed (A.5) has a sign slip in its third case ("[A] ≤ λ/γ"); the
// map implemented is the standard one, [A] ≤ −λ/γ ⇒ [A] + λ/γ.
func softThreshold(dst, src []float64, t float64) {
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

// proxStep writes the minimiser of
//
//	⟨g, W − W0⟩ + γ/2‖W − W0‖² + λ‖W‖₁ over W ∈ set
//
// into d: the first-order proximal bound's direction with L1 and a feasible
// set. It is exact for set == nil, for λ == 0 (projection), and for boxes
// containing 0 (the problem separates into one-dimensional ones, where
// clipping the soft-thresholded value is exact). Other combinations return
// ErrUnsupported.
func proxStep(d, w0, g []float64, gamma, lambda float64, set interface{ Project([]float64) }) error {
	for i := range d {
		d[i] = w0[i] - g[i]/gamma
	}
	if lambda > 0 {
		if set != nil && !boxWithZero(set) {
			return ErrUnsupported
		}
		softThreshold(d, d, lambda/gamma)
	}
	if set != nil {
		set.Project(d)
	}
	return nil
}

func boxWithZero(set interface{ Project([]float64) }) bool {
	type box interface{ Bounds() (float64, float64) }
	if b, ok := set.(box); ok {
		lo, hi := b.Bounds()
		return lo <= 0 && hi >= 0
	}
	return false
}

func finite(x []float64) bool { return finiteness.All(x) }

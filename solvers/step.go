package solvers

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// ErrCondition8 is returned for a step-size rule that does not satisfy the
// seed paper's condition (8): 0 ≤ α < 1, α → 0, Σα = ∞, Σα² < ∞.
var ErrCondition8 = errors.New("step-size rule violates condition (8)")

// StepContext is what a step-size rule may look at when it picks α for one
// block update.
type StepContext struct {
	// K is the iteration counter of Algorithm 1, starting at 1.
	K int
	// Block is j.
	Block int
	// F0 is f(W^(k)) (smooth part plus L1 terms) on the current batch.
	F0 float64
	// Slope is the directional derivative ⟨∇_j f, D_j − W_j⟩ (negative for a
	// descent direction); with an L1 term it is the model's predicted
	// decrease rate, still negative for descent.
	Slope float64
	// Eval returns f at W_j + α(D_j − W_j), the other blocks fixed.
	Eval func(alpha float64) (float64, error)
}

// StepRule picks α_j^(k) of the update (7): W_j ← (1 − α)W_j + αD_j.
//
// With Jacobi blocks, Alpha is called concurrently for the blocks of an
// iteration, so a rule with state must guard it. A rule whose state belongs
// to one run implements StepForker so concurrent runs get their own.
type StepRule interface {
	// Name describes the rule with its parameters.
	Name() string
	// Alpha returns the step size for this update.
	Alpha(s StepContext) (float64, error)
	// Condition8 returns nil when every α the rule produces satisfies the
	// seed's condition (8), and an error wrapping ErrCondition8 saying why
	// not otherwise.
	Condition8() error
}

// ErrStepParam is wrapped by errors about a step-size rule whose parameters
// make no sense for any run (zero, negative, NaN or infinite constants). It
// is distinct from ErrCondition8, which a valid rule may violate and still
// run as uncertified.
var ErrStepParam = errors.New("invalid step-size parameter")

// StepValidator is implemented by step-size rules that can check their
// parameters. Every rule of this package implements it; ValidateStep calls
// it, and BSUM.Validate (so Minimize, before the first iteration) calls
// ValidateStep.
type StepValidator interface {
	// Validate returns nil when the rule's parameters are usable and an
	// error wrapping ErrStepParam otherwise.
	Validate() error
}

// ValidateStep checks the parameters of r: nil is refused, and a rule
// implementing StepValidator is asked. A rule without a Validate method is
// accepted as it is.
func ValidateStep(r StepRule) error {
	if r == nil {
		return fmt.Errorf("solvers: no step-size rule: %w", ErrStepParam)
	}
	if v, ok := r.(StepValidator); ok {
		return v.Validate()
	}
	return nil
}

// positive checks that x is a finite number > 0.
func positive(rule, param string, x float64) error {
	if !(x > 0) || math.IsInf(x, 0) {
		return fmt.Errorf("solvers: step %s: %s = %v must be a finite number > 0: %w", rule, param, x, ErrStepParam)
	}
	return nil
}

// Constant is α = C for every k. It violates (8) (Σα² = ∞); the seed uses it
// for its BP-CLR baseline, and convergence for a small constant follows from
// Razaviyayn et al. (2014) rather than from Lemma 1.
type Constant struct{ C float64 }

// Name implements StepRule.
func (c Constant) Name() string { return fmt.Sprintf("constant α=%g", c.C) }

// Alpha implements StepRule.
func (c Constant) Alpha(StepContext) (float64, error) { return c.C, nil }

// Condition8 implements StepRule: a constant never satisfies (8).
func (c Constant) Condition8() error {
	return fmt.Errorf("%s: Σα² diverges and α does not tend to 0: %w", c.Name(), ErrCondition8)
}

// Validate implements StepValidator: C must be finite and > 0.
func (c Constant) Validate() error { return positive("const", "C", c.C) }

// Unit is α = 1: the update becomes W_j ← D_j. The seed justifies it for
// gradient descent (11) and Levenberg-Marquardt (12) by Lemma 2, not by (8).
type Unit struct{}

// Name implements StepRule.
func (Unit) Name() string { return "unit α=1" }

// Alpha implements StepRule.
func (Unit) Alpha(StepContext) (float64, error) { return 1, nil }

// Validate implements StepValidator: Unit has no parameters.
func (Unit) Validate() error { return nil }

// Condition8 implements StepRule.
func (Unit) Condition8() error {
	return fmt.Errorf("unit step α=1: (8) requires α < 1 and α → 0; only Lemma 2 (GD, LM) covers it: %w", ErrCondition8)
}

// InvSqrt is α = C/√k, the seed's "BP with decaying learning rate".
//
// The seed (Corollary 1 and Section 6) says it satisfies (8). It does not:
// Σ_k (C/√k)² = C² Σ 1/k diverges. Condition8 says so; runs that use it are
// marked uncertified.
type InvSqrt struct{ C float64 }

// Name implements StepRule.
func (r InvSqrt) Name() string { return fmt.Sprintf("α=%g/√k", r.C) }

// Alpha implements StepRule.
func (r InvSqrt) Alpha(s StepContext) (float64, error) { return r.C / math.Sqrt(float64(s.K)), nil }

// Validate implements StepValidator: C must be finite and > 0.
func (r InvSqrt) Validate() error { return positive("invsqrt", "C", r.C) }

// Condition8 implements StepRule.
func (r InvSqrt) Condition8() error {
	return fmt.Errorf("%s: Σα² = C²Σ1/k diverges (the seed's claim that c/√k satisfies (8) is wrong): %w", r.Name(), ErrCondition8)
}

// Harmonic is α = C/(2k), one of the seed's three proposed rules. It
// satisfies (8) when 0 < C < 2.
type Harmonic struct{ C float64 }

// Name implements StepRule.
func (r Harmonic) Name() string { return fmt.Sprintf("α=%g/(2k)", r.C) }

// Alpha implements StepRule.
func (r Harmonic) Alpha(s StepContext) (float64, error) { return r.C / (2 * float64(s.K)), nil }

// Validate implements StepValidator: C must be finite and > 0 (C ≥ 2 is
// valid but violates (8), see Condition8).
func (r Harmonic) Validate() error { return positive("harmonic", "C", r.C) }

// Condition8 implements StepRule.
func (r Harmonic) Condition8() error {
	if !(r.C > 0 && r.C < 2) {
		return fmt.Errorf("%s: need 0 < C < 2 so that α < 1 for every k ≥ 1: %w", r.Name(), ErrCondition8)
	}
	return nil
}

// Recursive is α^(k) = α^(k−1)(1 − T·α^(k−1)) with α^(0) = Alpha0 (Facchinei
// et al., 2014), the seed's "setting 1" with T = 0.99 and Alpha0 = 1. The
// first update (k = 1) uses α^(1) = Alpha0(1 − T·Alpha0). For 0 < T < 1 and
// 0 < Alpha0 ≤ 1 the sequence decreases like 1/(Tk), so it satisfies (8).
// Values are computed once and cached (guarded, so Alpha is safe for
// concurrent use); Minimize copies a *Recursive per run, so one value may be
// shared by concurrent runs.
type Recursive struct {
	Alpha0, T float64
	mu        sync.Mutex
	cache     []float64
}

// Name implements StepRule.
func (r *Recursive) Name() string {
	return fmt.Sprintf("α(k+1)=α(k)(1−%gα(k)), α(0)=%g", r.T, r.Alpha0)
}

// Alpha implements StepRule.
func (r *Recursive) Alpha(s StepContext) (float64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cache) == 0 {
		r.cache = append(r.cache, r.Alpha0)
	}
	for len(r.cache) <= s.K {
		a := r.cache[len(r.cache)-1]
		r.cache = append(r.cache, a*(1-r.T*a))
	}
	return r.cache[s.K], nil
}

// Validate implements StepValidator: Alpha0 and T must be finite and > 0
// with T·Alpha0 < 1, which keeps every α^(k) > 0 (α^(k+1) = α^(k)(1 −
// Tα^(k)) stays in (0, α^(k)) once 0 < Tα^(k) < 1). Values outside 0 < T <
// 1, 0 < Alpha0 ≤ 1 are valid but violate (8).
func (r *Recursive) Validate() error {
	if err := positive("recursive", "α(0)", r.Alpha0); err != nil {
		return err
	}
	if err := positive("recursive", "T", r.T); err != nil {
		return err
	}
	if !(r.T*r.Alpha0 < 1) {
		return fmt.Errorf("solvers: step recursive: T·α(0) = %v must be < 1, or α(1) = α(0)(1 − T·α(0)) ≤ 0: %w", r.T*r.Alpha0, ErrStepParam)
	}
	return nil
}

// Condition8 implements StepRule.
func (r *Recursive) Condition8() error {
	if !(r.T > 0 && r.T < 1) || !(r.Alpha0 > 0 && r.Alpha0 <= 1) {
		return fmt.Errorf("%s: need 0 < T < 1 and 0 < α(0) ≤ 1: %w", r.Name(), ErrCondition8)
	}
	return nil
}

// Armijo backtracks from α = Max by factor Beta until the sufficient
// decrease f(W + α(D − W)) ≤ f(W) + Sigma·α·slope holds (Facchinei et al.,
// 2014, the rule the seed lists beside (8)). Defaults: Max 1, Beta 0.5,
// Sigma 1e-4, MaxTries 40. If no α passes, the step is 0 (a null step).
type Armijo struct {
	Max, Beta, Sigma float64
	MaxTries         int
}

// Name implements StepRule.
func (a Armijo) Name() string { return "Armijo backtracking" }

// Alpha implements StepRule.
func (a Armijo) Alpha(s StepContext) (float64, error) {
	alpha, beta, sigma, tries := a.Max, a.Beta, a.Sigma, a.MaxTries
	if alpha == 0 {
		alpha = 1
	}
	if beta == 0 {
		beta = 0.5
	}
	if sigma == 0 {
		sigma = 1e-4
	}
	if tries == 0 {
		tries = 40
	}
	if !(s.Slope < 0) {
		return 0, nil // not a descent direction: stay put
	}
	for i := 0; i < tries; i++ {
		f, err := s.Eval(alpha)
		if err != nil {
			return 0, err
		}
		if f <= s.F0+sigma*alpha*s.Slope {
			return alpha, nil
		}
		alpha *= beta
	}
	return 0, nil
}

// Validate implements StepValidator. Zero fields take their defaults;
// otherwise Max must be finite and > 0, Beta and Sigma in (0, 1) and
// MaxTries ≥ 0.
func (a Armijo) Validate() error {
	if a.Max != 0 {
		if err := positive("armijo", "Max", a.Max); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"Beta", a.Beta}, {"Sigma", a.Sigma}} {
		if c.v != 0 && !(c.v > 0 && c.v < 1) {
			return fmt.Errorf("solvers: step armijo: %s = %v must be in (0, 1): %w", c.name, c.v, ErrStepParam)
		}
	}
	if a.MaxTries < 0 {
		return fmt.Errorf("solvers: step armijo: MaxTries = %d must be ≥ 0: %w", a.MaxTries, ErrStepParam)
	}
	return nil
}

// Condition8 implements StepRule: Armijo's rule is the line-search
// alternative to (8) in Facchinei et al. (2014), accepted as such.
func (a Armijo) Condition8() error { return nil }

package solvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/bsum-go/bsum/surrogate"
)

// BSUM is a method of the seed's Algorithm 1: at iteration k pick blocks by
// Blocks, draw a batch by Batches, minimise Surrogate's upper bound g_j to get
// D_j, pick α by Step and set W_j ← (1 − α)W_j + αD_j.
//
// The named methods are values of this type; change one field to get a new
// method, e.g. LM() with Blocks: Jacobi.
//
// A BSUM value is safe to share between concurrent runs: Minimize gives each
// run its own copy of every stateful part (LM damping, AdaGrad accumulators,
// the recursive step's cache; see SurrogateForker), so the value itself is
// never changed by a run. The exception is a custom surrogate that keeps
// state and implements only surrogate.Resetter (see SurrogateForker).
type BSUM struct {
	// Name labels the method in logs and plots; empty means a description.
	Name      string
	Surrogate surrogate.Surrogate
	Step      StepRule
	Blocks    BlockRule
	Batches   Batches
	// L1, if > 0, is λ of a non-smooth λ‖W_j‖₁ on every block, overriding
	// the blocks' own L1 settings (graph.L1).
	L1 float64
	// Lemma2 marks a unit-step method whose convergence the seed proves by
	// Lemma 2 (gradient descent (11), Levenberg-Marquardt (12)) rather than
	// by condition (8).
	Lemma2 bool
	// Uncertified runs a step rule that violates condition (8) anyway (the
	// seed's baselines, its c/√k rule); the Result says Certified false.
	Uncertified bool
	// Baseline marks a method the seed compares against rather than
	// proposes (BP-CLR, AdaGrad).
	Baseline bool
}

// String is the method's name or a description of its parts.
func (m BSUM) String() string {
	if m.Name != "" {
		return m.Name
	}
	s := "BSUM"
	if m.Surrogate != nil {
		s += "[" + m.Surrogate.Name() + "]"
	}
	if m.Step != nil {
		s += " " + m.Step.Name()
	}
	return s
}

// ErrMethod is wrapped by errors about an ill-formed method.
var ErrMethod = errors.New("invalid method")

// Validate checks the method, including condition (8) on its step rule.
func (m BSUM) Validate() error {
	if m.Surrogate == nil || m.Step == nil {
		return fmt.Errorf("solvers: method %v needs a surrogate and a step rule: %w", m, ErrMethod)
	}
	if m.L1 < 0 {
		return fmt.Errorf("solvers: method %v: L1 λ = %v must be ≥ 0: %w", m, m.L1, ErrMethod)
	}
	if err := m.Batches.validate(); err != nil {
		return fmt.Errorf("solvers: method %v: %v: %w", m, err, ErrMethod)
	}
	if err := ValidateStep(m.Step); err != nil {
		return fmt.Errorf("solvers: method %v: %w (%w)", m, err, ErrMethod)
	}
	if err := m.Step.Condition8(); err != nil {
		_, unit := m.Step.(Unit)
		if !(unit && m.Lemma2) && !m.Uncertified {
			return fmt.Errorf("solvers: method %v: %w (set Uncertified to run it anyway)", m, err)
		}
	}
	return nil
}

// Certified reports whether the method's convergence is covered by the seed
// (condition (8), Armijo, or Lemma 2 for a unit step). Lemma 2 is a
// deterministic argument: the upper bound must hold for the f being
// minimised, so a unit-step method on mini-batches (each iteration bounds a
// different sample average) is not certified.
func (m BSUM) Certified() bool {
	if m.Step == nil {
		return false
	}
	if m.Step.Condition8() == nil {
		return true
	}
	_, unit := m.Step.(Unit)
	return unit && m.Lemma2 && m.Batches == FullBatch()
}

// WhyUncertified says why Certified is false ("" when it is true), in
// words fit for a user: the step rule violates condition (8), or a Lemma 2
// method runs on mini-batches.
func (m BSUM) WhyUncertified() string {
	switch {
	case m.Certified():
		return ""
	case m.Step == nil:
		return "the method has no step rule"
	}
	if _, unit := m.Step.(Unit); unit && m.Lemma2 {
		return "Lemma 2 covers a unit step on the full batch only; this run uses " + m.Batches.String()
	}
	return "the step rule violates the paper's condition (8)"
}

// BP is backpropagation (Special Case 1): the first-order bound (9) with
// γ_j = 1, so α is the learning rate. step must satisfy (8) (Harmonic,
// Recursive, Armijo); for InvSqrt or Constant use BPUncertified or BPCLR.
func BP(step StepRule) BSUM {
	return BSUM{Name: "BP " + step.Name(), Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: step}
}

// BPUncertified is BP with a step rule outside (8), such as the seed's c/√k.
func BPUncertified(step StepRule) BSUM {
	m := BP(step)
	m.Uncertified = true
	return m
}

// BPCLR is the seed's baseline: BP with a constant learning rate.
func BPCLR(rate float64) BSUM {
	return BSUM{Name: fmt.Sprintf("BP-CLR (baseline, α=%g)", rate), Surrogate: surrogate.FirstOrder{Gamma: 1}, Step: Constant{rate}, Uncertified: true, Baseline: true}
}

// GD is gradient descent (11): the first-order bound with weight γ and unit
// step, so W_j ← W_j − γ⁻¹∇_j f (Lemma 2).
func GD(gamma float64) BSUM {
	return BSUM{Name: fmt.Sprintf("GD (γ=%g)", gamma), Surrogate: surrogate.FirstOrder{Gamma: gamma}, Step: Unit{}, Lemma2: true}
}

// ProxL1 is the proximal-gradient method for λ‖W_j‖₁ (Appendix A.6): the
// first-order bound with weight γ, soft-thresholding (A.5), unit step.
func ProxL1(lambda, gamma float64) BSUM {
	return BSUM{Name: fmt.Sprintf("ProxL1 (λ=%g, γ=%g)", lambda, gamma), Surrogate: surrogate.FirstOrder{Gamma: gamma}, Step: Unit{}, L1: lambda, Lemma2: true}
}

// AdaGrad is the seed's AdaGrad baseline with rate eta.
func AdaGrad(eta float64) BSUM {
	return BSUM{Name: fmt.Sprintf("AdaGrad (baseline, η=%g)", eta), Surrogate: &surrogate.AdaGrad{Eta: eta}, Step: Unit{}, Uncertified: true, Baseline: true}
}

// LM is Levenberg-Marquardt (12): the second-order bound (A.1) with the
// Gauss-Newton curvature J_jᵀ∇²ℓ J_j (positive semi-definite for a convex
// loss), unit step, and adaptive damping γ_j (surrogate.Damping defaults:
// shrink after an accepted step by Nielsen's rule, grow ×2, ×4, … after a
// rejected one). Lemma 2 covers the unit step. Blocks are per layer; set
// Blocks or use a one-block network for classic whole-network LM.
func LM() BSUM {
	return BSUM{Name: "LM", Surrogate: &surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Adaptive: &surrogate.Damping{}}, Step: Unit{}, Lemma2: true}
}

// LMHessian is LM with the exact block Hessian ∇²f, as printed in (12);
// indefinite curvature is detected and γ raised until ∇²f + γI is positive
// definite.
func LMHessian() BSUM {
	return BSUM{Name: "LM (exact Hessian)", Surrogate: &surrogate.SecondOrder{Curvature: surrogate.Hessian, Adaptive: &surrogate.Damping{}}, Step: Unit{}, Lemma2: true}
}

// ExactBCD is block coordinate descent with exact block minimisation, for
// blocks certified strongly convex (Section 4.2.1): when the network output
// is affine in the block (a deep linear network) the block problem with the
// l2 loss is linear least squares, solved in closed form by one Cholesky
// solve of the block Hessian; otherwise an inner method minimises f_j to
// tolerance (surrogate.Exact). A unique block minimiser needs strong
// convexity: give the network a Tikhonov term (graph.Tikhonov); without it a
// rank-deficient block (fewer outputs than inputs downstream) is refused
// with an error saying so.
func ExactBCD() BSUM {
	return BSUM{Name: "ExactBCD", Surrogate: exactBCD{}, Step: Unit{}, Lemma2: true}
}

// exactBCD picks the closed form for affine blocks and the inner method
// otherwise.
type exactBCD struct{}

func (exactBCD) Name() string { return "exact block minimisation" }

func (exactBCD) Needs() surrogate.Needs {
	return surrogate.Needs{Hessian: true, Eval: true, Convex: true}
}

func (exactBCD) Direction(ctx context.Context, p surrogate.Problem, d []float64) (surrogate.Info, error) {
	if p.Certificate().Affine {
		info, err := surrogate.ExactQuadratic{}.Direction(ctx, p, d)
		if err == nil || !errors.Is(err, surrogate.ErrNotCertified) {
			return info, err
		}
		// Affine in the block but not quadratic (a loss other than l2):
		// minimise iteratively below.
	}
	return surrogate.Exact{}.Direction(ctx, p, d)
}

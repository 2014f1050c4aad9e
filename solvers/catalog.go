package solvers

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bsum-go/bsum/internal/quote"
)

// Entry describes one solver, surrogate or step rule for listings such as
// `bsum solvers`.
type Entry struct {
	Kind     string // "solver", "surrogate", "step", "blocks"
	Name     string // as accepted by ByName / ParseStep
	Equation string // the seed paper's equation or section
	Summary  string
}

// Catalog lists every named solver, surrogate and step rule.
func Catalog() []Entry {
	return []Entry{
		{"solver", "bp", "(10), Special Case 1", "backpropagation: first-order bound with γ=1, α from the step rule (default α=1/(2k))"},
		{"solver", "gd", "(11), Lemma 2", "gradient descent: first-order bound with weight γ, unit step (W ← W − ∇f/γ)"},
		{"solver", "lm", "(12), (A.2), Lemma 2", "Levenberg-Marquardt: Gauss-Newton curvature + γI, unit step, adaptive damping"},
		{"solver", "lm-hessian", "(12), (A.2)", "Levenberg-Marquardt with the exact block Hessian (γ raised until ∇²f+γI ≻ 0)"},
		{"solver", "hf", "(12), (A.1); Martens (2010)", "Hessian-free: Gauss-Newton on a curvature mini-batch, matrix-free CG with a budget and warm start, adaptive damping"},
		{"solver", "proxl1", "(A.4)-(A.5)", "proximal gradient for λ‖W‖₁: first-order step then soft-thresholding"},
		{"solver", "exact-bcd", "Section 4.2.1, 5.2", "exact block minimisation for certified strongly convex blocks (closed-form least squares for deep linear nets)"},
		{"solver", "bp-clr", "Section 6 baseline", "BP with a constant learning rate (violates (8); baseline)"},
		{"solver", "adagrad", "Section 6 baseline", "AdaGrad (baseline, no BSUM guarantee)"},
		{"surrogate", "first-order", "(9)-(10)", "f + ⟨∇f, W−W⁰⟩ + γ/2‖W−W⁰‖²"},
		{"surrogate", "second-order", "(A.1)-(A.2)", "first-order bound + ½(W−W⁰)ᵀ∇²f(W−W⁰); Cholesky or CG"},
		{"surrogate", "proximal", "(14)", "f_j + γ/2‖W−W⁰‖² for certified convex blocks, inner accelerated method"},
		{"surrogate", "linear", "(A.3), Appendix A.2", "f + ⟨∇f, W−W⁰⟩ over a bounded set, for certified concave blocks"},
		{"surrogate", "exact", "Section 4.2.1", "f_j itself (exact block minimisation)"},
		{"step", "unit", "Lemma 2", "α = 1 (GD, LM only)"},
		{"step", "const:C", "Section 6 (BP-CLR)", "α = C (violates (8))"},
		{"step", "invsqrt:C", "Corollary 1", "α = C/√k (Σα² diverges: violates (8), despite the paper)"},
		{"step", "harmonic:C", "Section 6", "α = C/(2k), 0 < C < 2 (satisfies (8))"},
		{"step", "recursive:A0,T", "Section 6 'setting 1'", "α(k+1) = α(k)(1 − Tα(k)), α(0) = A0 (satisfies (8))"},
		{"step", "armijo", "Section 3", "Armijo backtracking on f"},
		{"blocks", "cyclic", "Algorithm 1", "j = k mod J"},
		{"blocks", "reverse-cyclic", "Algorithm 1, blocks relabelled", "j = J − 1 − (k mod J): last layer first, as backpropagation"},
		{"blocks", "random", "", "j uniform at random"},
		{"blocks", "gauss-southwell", "", "block with the largest gradient norm"},
		{"blocks", "jacobi", "Facchinei et al. (2014)", "all blocks from the same point, in parallel"},
	}
}

// ParseStep reads a step rule written as in Catalog: "unit", "armijo",
// "const:0.1", "invsqrt:0.5", "harmonic:1", "recursive:1,0.99". The
// parameters are validated (ValidateStep): a zero, negative, NaN or
// infinite constant is an error wrapping both ErrStepParam and ErrMethod.
// A valid rule may still violate condition (8); that is checked by
// BSUM.Validate, not here.
func ParseStep(s string) (StepRule, error) {
	name, arg, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	var nums []float64
	if arg != "" {
		for _, f := range strings.Split(arg, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("solvers: step %s: %s is not a number: %w", quote.Quote(s), quote.Quote(f), ErrMethod)
			}
			nums = append(nums, v)
		}
	}
	want := func(n int) error {
		if len(nums) != n {
			return fmt.Errorf("solvers: step %q takes %d parameter(s), got %d: %w", name, n, len(nums), ErrMethod)
		}
		return nil
	}
	var r StepRule
	n := 0
	switch name {
	case "unit":
		r = Unit{}
	case "armijo":
		r = Armijo{}
	case "const", "constant":
		r, n = Constant{C: first(nums)}, 1
	case "invsqrt":
		r, n = InvSqrt{C: first(nums)}, 1
	case "harmonic":
		r, n = Harmonic{C: first(nums)}, 1
	case "recursive":
		n = 2
		if len(nums) == 2 {
			r = &Recursive{Alpha0: nums[0], T: nums[1]}
		}
	default:
		return nil, fmt.Errorf("solvers: unknown step rule %s (want unit, armijo, const:C, invsqrt:C, harmonic:C, recursive:A0,T): %w", quote.Quote(s), ErrMethod)
	}
	if err := want(n); err != nil {
		return nil, err
	}
	if err := ValidateStep(r); err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrMethod)
	}
	return r, nil
}

func first(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return x[0]
}

// Options are the knobs ByName reads; zero values take each solver's
// default.
type Options struct {
	// Step overrides the step rule of bp (default harmonic:1) and bp-clr
	// (default const:0.1, its parameter is the learning rate).
	Step StepRule
	// Gamma is γ of gd (default 1) and proxl1 (default 1).
	Gamma float64
	// Lambda is λ of proxl1 (default 1e-3).
	Lambda float64
	// Eta is AdaGrad's rate (default 0.1).
	Eta float64
	// Blocks and Batches override the block and batch rules.
	Blocks  BlockRule
	Batches Batches
	// Uncertified lets a step rule that violates condition (8) run (the
	// result then reports Certified false).
	Uncertified bool
}

// ByName returns a named solver (see Catalog) configured by o. Negative,
// NaN or infinite Gamma, Lambda or Eta and a step rule whose parameters are
// invalid (ValidateStep) are errors wrapping ErrMethod.
func ByName(name string, o Options) (BSUM, error) {
	def := func(v, d float64) float64 {
		if v == 0 {
			return d
		}
		return v
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"Gamma", o.Gamma}, {"Lambda", o.Lambda}, {"Eta", o.Eta}} {
		if !(c.v >= 0) || math.IsInf(c.v, 0) {
			return BSUM{}, fmt.Errorf("solvers: solver %s: %s = %v must be a finite number ≥ 0 (0 takes the default): %w", quote.Quote(name), c.name, c.v, ErrMethod)
		}
	}
	if o.Step != nil {
		if err := ValidateStep(o.Step); err != nil {
			return BSUM{}, fmt.Errorf("solvers: solver %s: %w (%w)", quote.Quote(name), err, ErrMethod)
		}
	}
	var m BSUM
	name = strings.ToLower(name)
	switch name {
	case "bp":
		step := o.Step
		if step == nil {
			step = Harmonic{C: 1}
		}
		m = BP(step)
		if step.Condition8() != nil {
			m.Uncertified = true
		}
	case "bp-clr":
		rate := 0.1
		if c, ok := o.Step.(Constant); ok {
			rate = c.C
		}
		m = BPCLR(rate)
	case "gd":
		m = GD(def(o.Gamma, 1))
	case "lm":
		m = LM()
	case "lm-hessian":
		m = LMHessian()
	case "hf":
		m = HessianFree(HFOptions{})
	case "proxl1":
		m = ProxL1(def(o.Lambda, 1e-3), def(o.Gamma, 1))
	case "exact-bcd":
		m = ExactBCD()
	case "adagrad":
		m = AdaGrad(def(o.Eta, 0.1))
	default:
		return BSUM{}, fmt.Errorf("solvers: unknown solver %s (want bp, gd, lm, lm-hessian, hf, proxl1, exact-bcd, bp-clr, adagrad): %w", quote.Quote(name), ErrMethod)
	}
	if o.Step != nil && name != "bp" && name != "bp-clr" {
		m.Step = o.Step
		m.Name += " " + o.Step.Name()
	}
	m.Blocks = o.Blocks
	m.Batches = o.Batches
	m.Uncertified = m.Uncertified || o.Uncertified
	return m, m.Validate()
}

// ParseBlocks reads a block rule name.
func ParseBlocks(s string) (BlockRule, error) {
	rules := []BlockRule{Cyclic, ReverseCyclic, Random, GaussSouthwell, Jacobi}
	names := make([]string, len(rules))
	for i, r := range rules {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
		names[i] = r.String()
	}
	return 0, fmt.Errorf("solvers: unknown block rule %s (want %s): %w", quote.Quote(s), strings.Join(names, ", "), ErrMethod)
}

package surrogate

import (
	"fmt"
	"sync"
)

// Damping is Levenberg-Marquardt control of the second-order bound's γ_j
// (SecondOrder.Adaptive), with Nielsen's update rule (H. B. Nielsen,
// "Damping parameter in Marquardt's method", 1999; as in jaxopt's
// LevenbergMarquardt).
//
// For a trial direction D the gain ratio
//
//	ρ = (F(W^(k)) − F(D)) / (G(W^(k)) − G(D)),   F = f_j + λ‖·‖₁, G = g_j + λ‖·‖₁,
//
// compares the actual decrease (Problem.Eval at D) with the decrease
// predicted by the damped bound g_j of (A.1) that D minimises. If ρ > 0 the
// step is accepted and γ ← γ·max(Decrease, 1 − (2ρ − 1)³), ν ← Increase;
// otherwise it is rejected (counted in Info.Rejected), γ ← γ·ν, ν ← 2ν and
// the bound is minimised again. After MaxRejections rejected trials
// Direction returns the null step D = W^(k) (f unchanged) with
// Info.Rejected = MaxRejections. γ stays in [Min, Max].
//
// A Damping holds per-block state (γ_j, ν_j), sized by Reset and grown on
// demand; it is safe for concurrent use by different blocks. Do not copy a
// Damping after first use. solvers.Minimize gives each run a fresh Damping
// with the same settings, so one value may serve concurrent runs there.
type Damping struct {
	// Init is the starting γ_j. If Init is 0, it defaults to 1e-2.
	Init float64
	// Min and Max bound γ_j. If Min is 0, it defaults to 1e-10; if Max is 0,
	// it defaults to 1e10.
	Min, Max float64
	// Decrease is the smallest factor an accepted step multiplies γ_j by.
	// If Decrease is 0, it defaults to 1/3.
	Decrease float64
	// Increase is the first factor ν a rejection multiplies γ_j by; ν
	// doubles with every further consecutive rejection. If Increase is 0,
	// it defaults to 2.
	Increase float64
	// MaxRejections is the number of rejected trials after which the null
	// step is returned. If MaxRejections is 0, it defaults to 10.
	MaxRejections int

	mu    sync.Mutex
	gamma []float64
	nu    []float64
}

// dampingParams is a Damping's settings with defaults applied.
type dampingParams struct {
	Init, Min, Max, Decrease, Increase float64
	MaxRejections                      int
}

func (d *Damping) withDefaults() dampingParams {
	p := dampingParams{
		Init:          orDefault(d.Init, 1e-2),
		Min:           orDefault(d.Min, 1e-10),
		Max:           orDefault(d.Max, 1e10),
		Decrease:      orDefault(d.Decrease, 1.0/3),
		Increase:      orDefault(d.Increase, 2),
		MaxRejections: d.MaxRejections,
	}
	if p.MaxRejections == 0 {
		p.MaxRejections = 10
	}
	return p
}

func (d *Damping) validate() error {
	p := d.withDefaults()
	for _, c := range []struct {
		name string
		v    float64
	}{{"Init", p.Init}, {"Min", p.Min}, {"Max", p.Max}, {"Decrease", p.Decrease}, {"Increase", p.Increase}} {
		if err := checkPositive("Damping."+c.name, c.v); err != nil {
			return err
		}
	}
	switch {
	case p.Min > p.Max:
		return fmt.Errorf("surrogate: Damping.Min = %g exceeds Max = %g", p.Min, p.Max)
	case p.Decrease > 1:
		return fmt.Errorf("surrogate: Damping.Decrease = %g must be at most 1", p.Decrease)
	case p.Increase <= 1:
		return fmt.Errorf("surrogate: Damping.Increase = %g must exceed 1", p.Increase)
	case p.MaxRejections < 0:
		return fmt.Errorf("surrogate: Damping.MaxRejections = %d must not be negative", p.MaxRejections)
	}
	return nil
}

// Reset sets every block's γ_j to Init and ν_j to Increase, for a run over
// blocks blocks.
func (d *Damping) Reset(blocks int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gamma = make([]float64, blocks)
	d.nu = make([]float64, blocks)
	p := d.withDefaults()
	for j := range d.gamma {
		d.gamma[j], d.nu[j] = p.Init, p.Increase
	}
}

// Gamma returns the current γ_j of block j (Init before its first step).
func (d *Damping) Gamma(j int) float64 {
	g, _ := d.state(j)
	return g
}

func (d *Damping) state(j int) (gamma, nu float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if j >= 0 && j < len(d.gamma) && d.gamma[j] > 0 {
		return d.gamma[j], d.nu[j]
	}
	p := d.withDefaults()
	return p.Init, p.Increase
}

func (d *Damping) set(j int, gamma, nu float64) {
	if j < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.gamma) <= j {
		d.gamma = append(d.gamma, 0)
		d.nu = append(d.nu, 0)
	}
	d.gamma[j], d.nu[j] = gamma, nu
}

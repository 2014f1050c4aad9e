package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/bsum-go/bsum/solvers"
	"github.com/bsum-go/bsum/surrogate"
)

// methods maps a -methods name to a constructor. Each call returns a fresh
// value: Recursive caches its steps and the adaptive surrogates keep state,
// so no two runs share one.
var methods = map[string]func(cfg config) solvers.BSUM{
	"bp-armijo":    func(cfg config) solvers.BSUM { return bp(cfg, solvers.Armijo{Sigma: cfg.ArmijoSigma}) },
	"bp-harmonic":  func(cfg config) solvers.BSUM { return bp(cfg, solvers.Harmonic{C: cfg.HarmonicC}) },
	"bp-recursive": func(cfg config) solvers.BSUM { return bp(cfg, &solvers.Recursive{Alpha0: cfg.RecAlpha0, T: cfg.RecT}) },
	"adagrad":      func(cfg config) solvers.BSUM { return solvers.AdaGrad(cfg.Eta) },
	// AdaGrad's diagonal metric as the surrogate with Armijo steps instead
	// of the unit step: Result.Certified by the Armijo rule, though the
	// metric is no upper bound (see surrogate.AdaGrad).
	"adagrad-armijo": func(cfg config) solvers.BSUM {
		return solvers.BSUM{Name: fmt.Sprintf("AdaGrad metric (η=%g), Armijo", cfg.Eta),
			Surrogate: &surrogate.AdaGrad{Eta: cfg.Eta}, Step: solvers.Armijo{Sigma: cfg.ArmijoSigma}}
	},
	"lm-small": func(cfg config) solvers.BSUM {
		lm := &surrogate.SecondOrder{Curvature: surrogate.GaussNewton, Solver: surrogate.CG, CGMaxIter: cfg.CGIters, Adaptive: &surrogate.Damping{}}
		return solvers.BSUM{
			Name:      fmt.Sprintf("LM (GN-CG ≤%d) on blocks ≤ %d weights, BP (γ=%g) elsewhere, Armijo", cfg.CGIters, cfg.LMMax, cfg.Gamma),
			Surrogate: &perBlock{Small: lm, Large: surrogate.FirstOrder{Gamma: cfg.Gamma}, MaxSmall: cfg.LMMax},
			Step:      solvers.Armijo{Sigma: cfg.ArmijoSigma},
		}
	},
	"hf": func(cfg config) solvers.BSUM {
		return solvers.HessianFree(solvers.HFOptions{CGIters: cfg.CGIters})
	},
}

// bp is backpropagation with the given step rule and the first-order
// bound's weight cfg.Gamma (1 is the paper's BP; a smaller γ lengthens the
// direction D = W − ∇f/γ, so α/γ is the learning rate).
func bp(cfg config, step solvers.StepRule) solvers.BSUM {
	m := solvers.BP(step)
	if cfg.Gamma != 1 {
		m.Surrogate = surrogate.FirstOrder{Gamma: cfg.Gamma}
		m.Name += fmt.Sprintf(", γ=%g", cfg.Gamma)
	}
	return m
}

func methodNames() []string {
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// perBlock is a surrogate that bounds each block by Small when it has at
// most MaxSmall weights and by Large otherwise: second-order bounds where
// the block is small enough for curvature to pay, first-order ones on the
// big input layer. Large may be any surrogate, e.g. a matrix-free
// second-order one (surrogate.HessianFree) for the 200k-weight block.
//
// It is as safe for concurrent use as Small and Large are (the adaptive
// ones of package surrogate are not: give each run its own; solvers resets
// it in place at the start of a run through Reset, as the example builds a
// fresh value per run).
type perBlock struct {
	Small, Large surrogate.Surrogate
	MaxSmall     int
}

func (s *perBlock) pick(p surrogate.Problem) surrogate.Surrogate {
	if p.Block().Size() <= s.MaxSmall {
		return s.Small
	}
	return s.Large
}

// Name implements surrogate.Surrogate.
func (s *perBlock) Name() string {
	return fmt.Sprintf("%s (≤%d weights) / %s", s.Small.Name(), s.MaxSmall, s.Large.Name())
}

// Needs implements surrogate.Surrogate: the union of both surrogates' needs.
func (s *perBlock) Needs() surrogate.Needs {
	a, b := s.Small.Needs(), s.Large.Needs()
	return surrogate.Needs{HVP: a.HVP || b.HVP, GaussNewton: a.GaussNewton || b.GaussNewton,
		Hessian: a.Hessian || b.Hessian, Eval: a.Eval || b.Eval,
		Convex: a.Convex || b.Convex, Concave: a.Concave || b.Concave}
}

// Direction implements surrogate.Surrogate.
func (s *perBlock) Direction(ctx context.Context, p surrogate.Problem, d []float64) (surrogate.Info, error) {
	return s.pick(p).Direction(ctx, p, d)
}

// Reset implements surrogate.Resetter for whichever part keeps state.
func (s *perBlock) Reset(blocks int) {
	for _, part := range []surrogate.Surrogate{s.Small, s.Large} {
		if r, ok := part.(surrogate.Resetter); ok {
			r.Reset(blocks)
		}
	}
}

// checkMethods reports the first unknown method name.
func checkMethods(names []string) error {
	for _, n := range names {
		if _, ok := methods[n]; !ok {
			return fmt.Errorf("unknown method %q (want %v)", n, methodNames())
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no method (want some of %v)", methodNames())
	}
	return nil
}

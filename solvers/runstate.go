package solvers

import "github.com/bsum-go/bsum/surrogate"

// SurrogateForker is implemented by a surrogate that keeps state between the
// iterations of a run (adaptive damping, accumulated gradients). Fork returns
// an independent surrogate in its starting state for a run over blocks
// blocks. Minimize calls it once per run and uses the copy, so the method
// value itself is never changed and can be shared by concurrent runs.
//
// The package's own stateful surrogates (*surrogate.AdaGrad and
// surrogate.SecondOrder with Adaptive damping, by value or pointer) are
// forked by Minimize without it. A stateful surrogate that implements only
// surrogate.Resetter is reset in place at the start of every run: such a
// value must not be shared by runs that overlap in time.
type SurrogateForker interface {
	Fork(blocks int) surrogate.Surrogate
}

// StepForker is implemented by a step rule that keeps state between the
// iterations of a run. Fork returns an independent rule in its starting
// state; Minimize calls it once per run (as SurrogateForker). *Recursive is
// forked without it.
type StepForker interface {
	Fork() StepRule
}

// forRun returns m with its own copy of every part that keeps state during a
// run, so one BSUM value can drive concurrent runs that do not interact.
func (m BSUM) forRun(blocks int) BSUM {
	switch s := m.Surrogate.(type) {
	case SurrogateForker:
		m.Surrogate = s.Fork(blocks)
	case *surrogate.AdaGrad:
		c := &surrogate.AdaGrad{Eta: s.Eta, Eps: s.Eps}
		c.Reset(blocks)
		m.Surrogate = c
	case *surrogate.SecondOrder:
		c := *s
		c.Adaptive = freshDamping(s.Adaptive, blocks)
		m.Surrogate = &c
	case surrogate.SecondOrder:
		s.Adaptive = freshDamping(s.Adaptive, blocks)
		m.Surrogate = s
	case *surrogate.HessianFree:
		// Its damping and warm-start vectors are per-run state: a shared
		// value would let concurrent runs mix them.
		c := &surrogate.HessianFree{CurvatureBatch: s.CurvatureBatch, CurvatureFraction: s.CurvatureFraction,
			CGMaxIter: s.CGMaxIter, CGTol: s.CGTol, Progress: s.Progress, WarmStart: s.WarmStart,
			InnerTol: s.InnerTol, MaxInner: s.MaxInner, Damping: freshDamping(s.Damping, blocks)}
		c.Reset(blocks)
		m.Surrogate = c
	case surrogate.Resetter:
		s.Reset(blocks)
	}
	switch s := m.Step.(type) {
	case StepForker:
		m.Step = s.Fork()
	case *Recursive:
		m.Step = &Recursive{Alpha0: s.Alpha0, T: s.T}
	}
	return m
}

// freshDamping is a new Damping with d's settings and its starting state (nil
// for nil).
func freshDamping(d *surrogate.Damping, blocks int) *surrogate.Damping {
	if d == nil {
		return nil
	}
	c := &surrogate.Damping{Init: d.Init, Min: d.Min, Max: d.Max, Decrease: d.Decrease, Increase: d.Increase, MaxRejections: d.MaxRejections}
	c.Reset(blocks)
	return c
}

package main

import (
	"fmt"

	"github.com/bsum-go/bsum/solvers"
)

// role says how a method enters the claims.
type role int

const (
	// proposed: one of the paper's proposed BSUM step rules (judged).
	proposed role = iota
	// baseline: a method the paper compares against (BP-CLR, AdaGrad).
	baseline
	// extra: drawn in the figure for reference, not part of any claim.
	extra
)

// methodSpec is one curve of a figure: a method family with one free
// constant. Make returns a fresh method (step rules may carry state) for
// a value of that constant.
type methodSpec struct {
	Name  string
	Role  role
	Param string    // the constant's name as printed; "" if none
	Fixed float64   // the constant without -tune (the paper's or, where it gives none, this example's)
	Grid  []float64 // the values -tune tries (Fixed is one of them)
	Make  func(k float64) solvers.BSUM
}

// The -tune grids. One log-spaced grid for every constant, restricted to
// the values each rule admits: c/(2k) needs c < 2 and the recursive rule
// 0 < t < 1 for condition (8) (so t = 0.99, "setting 1", replaces 1), and
// setting 2's α(0) ≤ 1. c/√k, BP-CLR's α and AdaGrad's η are unrestricted
// (those runs are uncertified anyway).
var (
	gridAll  = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10}
	gridLE1  = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1}
	gridT    = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.99}
	gridHarm = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 1.9}
)

// Constants the paper does not give, used without -tune.
const (
	cInvSqrt  = 1.0 // c of c/√k
	cHarmonic = 1.0 // c of c/(2k)
	clrRate   = 0.1 // BP-CLR learning rate
	adaEta    = 0.1 // AdaGrad rate
	gdGamma   = 1.0 // GD: step 1/γ
)

func invSqrt() methodSpec {
	return methodSpec{Name: "Prop, α=c/√k", Role: proposed, Param: "c", Fixed: cInvSqrt, Grid: gridAll,
		Make: func(c float64) solvers.BSUM { return solvers.BPUncertified(solvers.InvSqrt{C: c}) }}
}

func harmonic() methodSpec {
	return methodSpec{Name: "Prop, α=c/(2k)", Role: proposed, Param: "c", Fixed: cHarmonic, Grid: gridHarm,
		Make: func(c float64) solvers.BSUM { return solvers.BP(solvers.Harmonic{C: c}) }}
}

// setting1 is the recursive rule α(k+1) = α(k)(1 − tα(k)), α(0) = 1, with
// the paper's t = 0.99 unless tuned.
func setting1(b solvers.Batches, name string) methodSpec {
	return methodSpec{Name: name, Role: proposed, Param: "t", Fixed: 0.99, Grid: gridT,
		Make: func(t float64) solvers.BSUM {
			m := solvers.BP(&solvers.Recursive{Alpha0: 1, T: t})
			m.Batches = b
			return m
		}}
}

// setting2 is the recursive rule with t = 0.9 and α(0) = 0.001 (Figure
// A.1); -tune varies α(0).
func setting2() methodSpec {
	return methodSpec{Name: "Prop, setting 2", Role: proposed, Param: "α(0)", Fixed: 0.001, Grid: gridLE1,
		Make: func(a0 float64) solvers.BSUM { return solvers.BP(&solvers.Recursive{Alpha0: a0, T: 0.9}) }}
}

func bpCLR() methodSpec {
	return methodSpec{Name: "BP-CLR", Role: baseline, Param: "α", Fixed: clrRate, Grid: gridAll,
		Make: func(a float64) solvers.BSUM { return solvers.BPCLR(a) }}
}

func adaGrad() methodSpec {
	return methodSpec{Name: "AdaGrad", Role: baseline, Param: "η", Fixed: adaEta, Grid: gridAll,
		Make: func(eta float64) solvers.BSUM { return solvers.AdaGrad(eta) }}
}

func gd() methodSpec {
	return methodSpec{Name: "GD", Role: extra, Param: "γ", Fixed: gdGamma, Grid: []float64{gdGamma},
		Make: func(g float64) solvers.BSUM { return solvers.GD(g) }}
}

func lm() methodSpec {
	return methodSpec{Name: "LM", Role: extra, Make: func(float64) solvers.BSUM { return solvers.LM() }}
}

// figureSpec is one of the paper's figures: its network and its curves.
type figureSpec struct {
	ID      string // 2a, 2b, a1
	Title   string
	Problem problem
	Methods []methodSpec
}

// batchName labels Figure 2(b)'s curves.
func batchName(b solvers.Batches) string { return "Prop, setting 1, " + b.String() }

// Figure 2(b)'s batch rules, in the order of the claim (B = 50 < 100 < 200,
// then the growing batch).
var figure2bBatches = []solvers.Batches{solvers.FixedBatch(50), solvers.FixedBatch(100), solvers.FixedBatch(200), solvers.GrowingBatch()}

// figures returns the paper's figures; withExtras adds the reference curves
// that no claim is about (GD and LM in 2(a); BP-CLR, AdaGrad and LM in A.1),
// drawn only when figures are written.
func figures(withExtras bool) []figureSpec {
	f2a := figureSpec{ID: "2a", Title: "Figure 2(a): BodyFat, l2 loss, logistic", Problem: problemL2,
		Methods: []methodSpec{invSqrt(), setting1(solvers.FullBatch(), "Prop, setting 1"), harmonic(), bpCLR(), adaGrad()}}
	f2b := figureSpec{ID: "2b", Title: "Figure 2(b): stochastic variant, setting 1", Problem: problemL2}
	for _, b := range figure2bBatches {
		f2b.Methods = append(f2b.Methods, setting1(b, batchName(b)))
	}
	fa1 := figureSpec{ID: "a1", Title: "Figure A.1: exponential loss (c=1), softplus", Problem: problemExp,
		Methods: []methodSpec{setting2(), harmonic(), invSqrt()}}
	if withExtras {
		f2a.Methods = append(f2a.Methods, gd(), lm())
		// The A.1 claim judges the proposed rules only; the paper's
		// baselines are drawn, with LM, as in its figure.
		clr, ada := bpCLR(), adaGrad()
		clr.Role, ada.Role = extra, extra
		fa1.Methods = append(fa1.Methods, clr, ada, lm())
	}
	return []figureSpec{f2a, f2b, fa1}
}

// figureByID returns the figures a -figure value selects.
func figureByID(id string, withExtras bool) ([]figureSpec, error) {
	all := figures(withExtras)
	if id == "" || id == "all" {
		return all, nil
	}
	for _, f := range all {
		if f.ID == id {
			return []figureSpec{f}, nil
		}
	}
	return nil, fmt.Errorf("unknown figure %q (want 2a, 2b, a1 or all)", id)
}

// Package fdcheck computes central finite differences of a compiled
// graph.Program, the oracle that the derivative tests of every package
// compare exact gradients and Hessian-vector products against.
package fdcheck

import (
	"github.com/bsum-go/bsum/graph"
)

// Grad returns the central differences (f(w + ε e_i) − f(w − ε e_i))/(2ε)
// for every entry i of block j. The program's weights are left at w.
func Grad(p *graph.Program, w graph.Weights, j int, eps float64) ([]float64, error) {
	w2 := w.Clone()
	out := make([]float64, len(w[j]))
	for i := range out {
		w2[j][i] = w[j][i] + eps
		fp, err := objective(p, w2)
		if err != nil {
			return nil, err
		}
		w2[j][i] = w[j][i] - eps
		fm, err := objective(p, w2)
		if err != nil {
			return nil, err
		}
		w2[j][i] = w[j][i]
		out[i] = (fp - fm) / (2 * eps)
	}
	return out, p.SetWeights(w)
}

// HVP returns (∇_j f(w + εv) − ∇_j f(w − εv))/(2ε), the central difference
// of the block gradient along v (which moves block j only). The program's
// weights are left at w.
func HVP(p *graph.Program, w graph.Weights, j int, v []float64, eps float64) ([]float64, error) {
	w2 := w.Clone()
	n := len(w[j])
	gp, gm := make([]float64, n), make([]float64, n)
	for i := range v {
		w2[j][i] = w[j][i] + eps*v[i]
	}
	if err := p.SetWeights(w2); err != nil {
		return nil, err
	}
	if err := p.Grad(j, gp); err != nil {
		return nil, err
	}
	for i := range v {
		w2[j][i] = w[j][i] - eps*v[i]
	}
	if err := p.SetWeights(w2); err != nil {
		return nil, err
	}
	if err := p.Grad(j, gm); err != nil {
		return nil, err
	}
	for i := range gp {
		gp[i] = (gp[i] - gm[i]) / (2 * eps)
	}
	return gp, p.SetWeights(w)
}

func objective(p *graph.Program, w graph.Weights) (float64, error) {
	if err := p.SetWeights(w); err != nil {
		return 0, err
	}
	return p.Objective()
}

package solvers

import (
	"fmt"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// Objective returns f(W) on the whole data set, with the blocks' L1 terms
// (graph.L1) included, as a run's Result reports it. It evaluates on a
// program of its own, so it is safe for concurrent use, also beside runs on
// the same Net.
func Objective(net *graph.Net, data Data, w graph.Weights) (float64, error) {
	c := net.NewProgramCache()
	defer c.Release()
	p, err := c.Program(data.N)
	if err != nil {
		return 0, err
	}
	if err := p.SetBatch(data.X, data.Y); err != nil {
		return 0, fmt.Errorf("solvers: objective: %w", err)
	}
	if err := p.SetWeights(w); err != nil {
		return 0, fmt.Errorf("solvers: objective: %w", err)
	}
	f, err := p.Objective()
	if err != nil {
		return 0, err
	}
	for j, b := range net.Blocks() {
		if b.L1 > 0 {
			for _, v := range w[j] {
				f += b.L1 * math.Abs(v)
			}
		}
	}
	return f, nil
}

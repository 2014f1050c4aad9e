package main

import (
	"fmt"

	"github.com/bsum-go/bsum/graph"
)

// tailAverage is the running arithmetic mean of a sequence of weights
// (Polyak averaging over the iterates it is given): after n calls to add
// with W_1, …, W_n, mean is (1/n)·Σ W_i, updated in place as
// mean += (W_n − mean)/n. It copies what it is given and never writes to
// it, so averaging inside an observer leaves the run's iterates alone.
// It is not safe for concurrent use.
type tailAverage struct {
	mean graph.Weights
	n    int
}

// add folds w into the mean. Every call must give weights of the first
// call's shape.
func (a *tailAverage) add(w graph.Weights) error {
	if a.n == 0 {
		a.mean = w.Clone()
		a.n = 1
		return nil
	}
	if len(w) != len(a.mean) {
		return fmt.Errorf("averaging weights: %d blocks, want %d", len(w), len(a.mean))
	}
	for j := range w {
		if len(w[j]) != len(a.mean[j]) {
			return fmt.Errorf("averaging weights: block %d has %d weights, want %d", j, len(w[j]), len(a.mean[j]))
		}
	}
	a.n++
	inv := 1 / float64(a.n)
	for j, b := range w {
		m := a.mean[j]
		for i, v := range b {
			m[i] += (v - m[i]) * inv
		}
	}
	return nil
}

package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Set is a data set in the feature-major layout used by the trainer:
// X is In×N and Y is Out×N, each stored row-major, so X[i*N+n] is feature
// i of sample n and Y[k*N+n] is target k of sample n. A Set is a plain
// value: safe for concurrent reads, not for modification while others read
// it.
type Set struct {
	// X holds the inputs, In rows of N values.
	X []float64
	// Y holds the targets, Out rows of N values.
	Y []float64
	// In is the number of features (d0).
	In int
	// Out is the number of targets (dJ).
	Out int
	// N is the number of samples.
	N int
	// FeatureNames names the rows of X.
	FeatureNames []string
	// TargetNames names the rows of Y.
	TargetNames []string
	// Scaler is the scaling already applied to X and Y, or nil if the
	// values are raw.
	Scaler *Scaler
}

// Sample copies the features and targets of sample n into x (length In)
// and y (length Out), allocating them if they are nil, and returns them.
func (s *Set) Sample(n int, x, y []float64) ([]float64, []float64) {
	if n < 0 || n >= s.N {
		panic(fmt.Sprintf("dataset: sample %d out of range [0,%d)", n, s.N))
	}
	if x == nil {
		x = make([]float64, s.In)
	}
	if y == nil {
		y = make([]float64, s.Out)
	}
	for i := range s.In {
		x[i] = s.X[i*s.N+n]
	}
	for k := range s.Out {
		y[k] = s.Y[k*s.N+n]
	}
	return x, y
}

// Subset returns a new Set holding the samples idx, in that order. The
// values and names are copied; the Scaler pointer is shared. It panics if
// an index is out of range.
func (s *Set) Subset(idx []int) *Set {
	m := len(idx)
	out := &Set{
		X:            make([]float64, s.In*m),
		Y:            make([]float64, s.Out*m),
		In:           s.In,
		Out:          s.Out,
		N:            m,
		FeatureNames: slices.Clone(s.FeatureNames),
		TargetNames:  slices.Clone(s.TargetNames),
		Scaler:       s.Scaler,
	}
	for j, n := range idx {
		if n < 0 || n >= s.N {
			panic(fmt.Sprintf("dataset: sample %d out of range [0,%d)", n, s.N))
		}
		for i := range s.In {
			out.X[i*m+j] = s.X[i*s.N+n]
		}
		for k := range s.Out {
			out.Y[k*m+j] = s.Y[k*s.N+n]
		}
	}
	return out
}

// Split divides the samples at random into a training set of
// round(trainFrac·N) samples and a test set with the rest. Both keep the
// original sample order. The same rng state gives the same split; a nil
// rng takes the first samples for training without shuffling. Split panics
// if trainFrac is not in [0, 1].
//
// Split does not refit the Scaler: if the Set was built from all rows, its
// scaling has seen the test rows. To fit on training rows only, split the
// [Table] first (see [Table.Split]).
func (s *Set) Split(trainFrac float64, rng *rand.Rand) (train, test *Set) {
	tr, te := splitIndices(s.N, trainFrac, rng)
	return s.Subset(tr), s.Subset(te)
}

// splitIndices returns sorted, disjoint training and test indices that
// together cover 0..n-1.
func splitIndices(n int, trainFrac float64, rng *rand.Rand) (train, test []int) {
	if !(trainFrac >= 0 && trainFrac <= 1) {
		panic(fmt.Sprintf("dataset: trainFrac %v not in [0, 1]", trainFrac))
	}
	nTrain := int(math.Round(trainFrac * float64(n)))
	var perm []int
	if rng == nil {
		perm = make([]int, n)
		for i := range perm {
			perm[i] = i
		}
	} else {
		perm = rng.Perm(n)
	}
	train = slices.Clone(perm[:nTrain])
	test = slices.Clone(perm[nTrain:])
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

package solvers

import "fmt"

// BlockRule chooses which blocks an iteration updates.
type BlockRule int

const (
	// Cyclic updates block j = k mod J (the seed's Algorithm 1).
	Cyclic BlockRule = iota
	// Random updates one block drawn uniformly (seeded).
	Random
	// GaussSouthwell updates the block with the largest gradient norm at
	// W^(k) (it evaluates every block gradient each iteration).
	GaussSouthwell
	// Jacobi computes every block's direction from the same W^(k),
	// concurrently on goroutines, then updates all blocks (the parallel
	// scheme of Facchinei et al., 2014). The blocks' steps are scaled
	// together by an Armijo backtracking on the joint update, so every
	// iteration decreases f on its batch (or is a null step).
	Jacobi
)

// String names the rule.
func (r BlockRule) String() string {
	switch r {
	case Cyclic:
		return "cyclic"
	case Random:
		return "random"
	case GaussSouthwell:
		return "gauss-southwell"
	case Jacobi:
		return "jacobi"
	}
	return fmt.Sprintf("BlockRule(%d)", int(r))
}

// Batches chooses the mini-batch size B_k of iteration k.
type Batches struct {
	// Size is a fixed batch size; 0 means the full data set.
	Size int
	// Growing makes B_k = min(k, N) (the seed's Section 4.1.2, Figure 2(b)).
	Growing bool
}

// FullBatch uses every sample each iteration.
func FullBatch() Batches { return Batches{} }

// FixedBatch samples b columns (without replacement) each iteration.
func FixedBatch(b int) Batches { return Batches{Size: b} }

// GrowingBatch uses B_k = min(k, N).
func GrowingBatch() Batches { return Batches{Growing: true} }

func (b Batches) size(k, n int) int {
	switch {
	case b.Growing:
		return min(k, n)
	case b.Size > 0:
		return min(b.Size, n)
	}
	return n
}

// String describes the batching.
func (b Batches) String() string {
	switch {
	case b.Growing:
		return "B=min(k,N)"
	case b.Size > 0:
		return fmt.Sprintf("B=%d", b.Size)
	}
	return "full batch"
}

package solvers

import (
	"fmt"
	"math/rand/v2"
)

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
	// ReverseCyclic updates block j = J − 1 − (k mod J): the last block
	// first, then down to the first, the order in which backpropagation
	// reaches the layers. It is Cyclic with the blocks relabelled, so every
	// guarantee of Cyclic holds. On a layered network it is also cheaper:
	// updating a block leaves every activation below it valid, so a sweep
	// over one batch (Batches.Hold = J) runs the expensive lower layers'
	// forward pass once, where Cyclic, which changes the first layer first,
	// runs it again for every later block.
	ReverseCyclic
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
	case ReverseCyclic:
		return "reverse-cyclic"
	}
	return fmt.Sprintf("BlockRule(%d)", int(r))
}

// Batches chooses the mini-batch B_k of iteration k. A Batches value is
// configuration only: the sampling state (permutation, position, random
// stream) belongs to each run, so one value may serve concurrent runs.
type Batches struct {
	// Size is a fixed batch size; 0 means the full data set. A Size above
	// N is N.
	Size int
	// Growing makes B_k = min(k, N) (the seed's Section 4.1.2, Figure 2(b)).
	Growing bool
	// Epochs, with Size > 0, walks the data in epochs instead of sampling
	// each batch independently: every epoch is a fresh seeded permutation
	// of the N samples, cut into consecutive batches of Size. The last
	// partial batch of an epoch is not dropped and not shrunk (a smaller
	// batch would compile another program): it is completed with the first
	// samples of the next epoch's permutation (a fixed-size cyclic wrap).
	// So every batch has Size columns, every sample appears exactly once in
	// each span of N consecutive draws (positions eN … (e+1)N − 1 of the
	// stream), and after m batches the run has seen exactly m·Size/N epochs
	// (Record.Epoch). A wrapped batch may hold one sample twice (once from
	// each permutation). The permutations come from a stream of their own
	// seeded with Settings.Seed, so every method given the same seed and
	// Size sees the same samples in the same order.
	Epochs bool
	// Hold, if > 1, keeps each drawn batch for Hold consecutive iterations
	// before drawing the next: with Hold = J and Cyclic blocks, one batch
	// serves a whole sweep, so every block is updated once per batch (as a
	// backpropagation step updates every layer). A held batch counts once
	// in Record.Epoch. 0 and 1 draw a new batch every iteration. It applies
	// to fixed-size batches (with or without Epochs).
	Hold int
}

// FullBatch uses every sample each iteration.
func FullBatch() Batches { return Batches{} }

// FixedBatch samples b columns (without replacement) each iteration,
// independently of the other iterations.
func FixedBatch(b int) Batches { return Batches{Size: b} }

// Shuffled walks the data in epochs of consecutive batches of b columns
// from a seeded permutation per epoch, wrapping the last partial batch
// into the next epoch (see Batches.Epochs).
func Shuffled(b int) Batches { return Batches{Size: b, Epochs: true} }

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

// hold is the number of iterations a drawn batch serves (at least 1).
func (b Batches) hold() int {
	if b.Hold > 1 && !b.Growing && b.Size > 0 {
		return b.Hold
	}
	return 1
}

// validate checks the batch rule.
func (b Batches) validate() error {
	switch {
	case b.Size < 0:
		return fmt.Errorf("batch size %d must be ≥ 0", b.Size)
	case b.Hold < 0:
		return fmt.Errorf("batch hold %d must be ≥ 0", b.Hold)
	case b.Epochs && b.Size == 0:
		return fmt.Errorf("epochs need a fixed batch size (Size > 0)")
	case b.Epochs && b.Growing:
		return fmt.Errorf("epochs and growing batches exclude each other")
	}
	return nil
}

// String describes the batching.
func (b Batches) String() string {
	var s string
	switch {
	case b.Growing:
		return "B=min(k,N)"
	case b.Size > 0 && b.Epochs:
		s = fmt.Sprintf("B=%d, epochs", b.Size)
	case b.Size > 0:
		s = fmt.Sprintf("B=%d", b.Size)
	default:
		return "full batch"
	}
	if h := b.hold(); h > 1 {
		s += fmt.Sprintf(", held %d iterations", h)
	}
	return s
}

// epochStream is a run's walk through the data in epochs (Batches.Epochs):
// a stream of permutations of 0…n−1, one per epoch, read b at a time. It
// belongs to one run and is not safe for concurrent use.
type epochStream struct {
	rng  *rand.Rand
	perm []int
	pos  int // next unread position in perm; len(perm) means draw a new one
}

func newEpochStream(n int, seed uint64) *epochStream {
	e := &epochStream{rng: rand.New(rand.NewPCG(seed, 0x65706f6368)), perm: make([]int, n)}
	e.pos = n
	return e
}

// next writes the next len(dst) sample indices of the stream into dst.
func (e *epochStream) next(dst []int) {
	for i := range dst {
		if e.pos == len(e.perm) {
			for c := range e.perm {
				e.perm[c] = c
			}
			e.rng.Shuffle(len(e.perm), func(a, b int) { e.perm[a], e.perm[b] = e.perm[b], e.perm[a] })
			e.pos = 0
		}
		dst[i] = e.perm[e.pos]
		e.pos++
	}
}

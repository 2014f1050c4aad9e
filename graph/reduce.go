package graph

// Reducer sums partial results across the participants of a data-parallel
// evaluation: the processes (MPI ranks) that each hold a contiguous part of
// the samples. Everything a BSUM method needs from the data is such a sum
// (the objective, block gradients, Hessian-vector and Gauss-Newton products,
// explicit Gauss-Newton matrices), so one seam serves every method: the
// surrogates and solvers see sums, never shards or ranks.
//
// Within one process the samples are further split into column shards run
// on goroutines and added in shard order (see Sharded); a Reducer adds
// those per-process sums across processes. Local is the one-process
// Reducer; the MPI implementation lives behind the build tag mpi.
//
// Implementations must add in an order that depends only on Size (not on
// timing), so that a given participant count is bitwise reproducible, and
// must leave every participant with the same bits.
type Reducer interface {
	// Rank is this participant's index, 0 ≤ Rank < Size.
	Rank() int
	// Size is the number of participants.
	Size() int
	// Sum replaces x, on every participant, by the element-wise sum of the
	// x of all participants. Every participant calls Sum with the same
	// length, in the same sequence of calls.
	Sum(x []float64) error
	// Broadcast copies the x of participant root to every participant.
	Broadcast(x []float64, root int) error
}

// Local is the Reducer of a single process: Sum and Broadcast leave x as
// it is. It is safe for concurrent use.
type Local struct{}

// Rank returns 0.
func (Local) Rank() int { return 0 }

// Size returns 1.
func (Local) Size() int { return 1 }

// Sum leaves x unchanged (the sum over one participant).
func (Local) Sum(x []float64) error { return nil }

// Broadcast leaves x unchanged.
func (Local) Broadcast(x []float64, root int) error { return nil }

// ShardRange returns the contiguous sample range [lo, hi) that participant
// rank of size holds when n samples are split as evenly as possible (the
// first n mod size participants get one more). Data loaders and the
// sharded evaluator use it so that every participant agrees on the split.
func ShardRange(n, rank, size int) (lo, hi int) {
	if size <= 0 || rank < 0 || rank >= size || n <= 0 {
		return 0, 0
	}
	q, r := n/size, n%size
	lo = rank*q + min(rank, r)
	hi = lo + q
	if rank < r {
		hi++
	}
	return lo, hi
}

// Package graph turns a network declared as a Gorgonia expression graph into
// the objective of the seed paper (Ghauch et al., eq. (2)),
//
//	f(W) = ℓ(H(X), Y) + Σ_j λ_j‖W_j‖²_F,
//
// over weight blocks W_1..W_J, and computes everything a BSUM surrogate
// needs: f, the block gradients ∇_{W_j} f, exact block Hessian-vector
// products ∇²_{W_j} f · V, Gauss-Newton products J_jᵀ∇²_H ℓ J_j V, and the
// explicit block Hessian and Gauss-Newton matrices.
//
// A BuildFunc declares the architecture: it receives the input node X (d0×B,
// one column per sample) and declares blocks with Builder.Weight; any
// Gorgonia expression of them is allowed (package layers has ready layers).
// New checks the declaration once; Net.Program compiles one Program per batch
// size (cached, least recently used first out), and a Program is re-used by
// rebinding weights and batches, never rebuilt.
//
// Concurrency: a Net is a description, safe to share between goroutines. A
// Program is mutable (memo tables, bound values) and belongs to one goroutine
// at a time. Net.Program hands every caller the same shared Program per batch
// size, for sequential use; a run that may overlap others takes exclusive
// programs from a ProgramCache of its own (Net.NewProgramCache), which draws
// on a pool of programs released by earlier runs. solvers.Minimize does so,
// and concurrent runs on one Net equal lone runs bit for bit.
//
// Every core: a Sharded evaluator splits a batch's columns into contiguous
// shards (ShardRange), evaluates each on its own Program on up to GOMAXPROCS
// goroutines and adds the per-shard means weighted by n_s/N in shard order,
// so its results are bitwise reproducible for a given shard count and equal
// the one-Program results to rounding; a Reducer then sums across processes
// (Local for one). Program and Sharded both implement Evaluator, the
// interface the surrogates and solvers use; ProgramCache.Evaluator hands out
// either, and AutoShards keeps small problems on one Program.
//
// Derivatives are symbolic. Gorgonia's own Grad stores derivatives on the
// nodes and returns stale values when asked to differentiate twice, so this
// package runs a reverse sweep of its own over Gorgonia's public API
// (Sort, ordered children, SDOp.SymDiff, DiffWRT), keeping adjoints in a map
// local to each sweep; applied to ⟨∇f, V⟩ it gives exact Hessian-vector
// products (reverse over reverse). Every derivative is checked against
// finite differences in the tests.
//
// Values are computed by a memoising evaluator of this package rather than
// Gorgonia's TapeMachine (whose register reuse has been reported to corrupt
// values, gorgonia issue #576). Binding an input invalidates only what
// depends on it, so a block step that changes W_j reuses Z_0..Z_{j−1}.
// Common ops (elementwise arithmetic and functions, matrix products, sums,
// repeats, reshapes, and ops implementing FastOp) run as allocation-free
// kernels into per-node buffers; every other op runs through its own Do.
package graph

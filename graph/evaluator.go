package graph

// Evaluator is what a BSUM method asks of the data: f, its block
// gradients, curvature products and explicit block matrices on a bound
// batch at bound weights. *Program evaluates a batch in one piece; *Sharded
// splits its columns into shards evaluated concurrently and adds the
// results in a fixed order (and across processes through a Reducer). The
// surrogates and solvers use an Evaluator and never learn where the sums
// came from.
//
// An Evaluator is not safe for concurrent use (both implementations write
// memo tables on every read); use each from one goroutine at a time.
type Evaluator interface {
	// Batch is the number of columns this evaluator holds (for a rank of a
	// data-parallel evaluation, its own columns).
	Batch() int
	// Net is the network evaluated.
	Net() *Net
	// SetBatch binds X (d0×B) and Y (dJ×B), row-major, one column per sample.
	SetBatch(x, y []float64) error
	// SetInput binds X alone, for Output.
	SetInput(x []float64) error
	// BatchValues returns the bound X and Y (read-only views).
	BatchValues() (x, y []float64, err error)
	// SetWeights binds all blocks.
	SetWeights(w Weights) error
	// SetBlock binds block j alone.
	SetBlock(j int, w []float64) error
	// Objective is f = ℓ + Σ_j λ_j‖W_j‖²_F.
	Objective() (float64, error)
	// DataLoss is ℓ alone.
	DataLoss() (float64, error)
	// Output copies H(X) (dJ×B) into dst.
	Output(dst []float64) error
	// Grad copies ∇_{W_j} f into dst.
	Grad(j int, dst []float64) error
	// HVP copies ∇²_{W_j} f · v into dst.
	HVP(j int, v, dst []float64) error
	// GaussNewton copies (J_jᵀ∇²_H ℓ J_j + 2λ_j I) v into dst.
	GaussNewton(j int, v, dst []float64) error
	// Hessian fills dst (p×p) with the explicit block Hessian.
	Hessian(j int, dst []float64) error
	// GaussNewtonMatrix fills dst (p×p) with the explicit block
	// Gauss-Newton matrix.
	GaussNewtonMatrix(j int, dst []float64) error
	// PrepareCurvature builds the second-order nodes now.
	PrepareCurvature() error
}

var (
	_ Evaluator = (*Program)(nil)
	_ Evaluator = (*Sharded)(nil)
)

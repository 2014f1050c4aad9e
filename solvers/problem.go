package solvers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/surrogate"
)

// blockProblem is surrogate.Problem over a graph.Evaluator (one compiled
// program or column shards): the block function f_j(·; W_{-j}^(k)) at the
// current iterate.
type blockProblem struct {
	prog  graph.Evaluator
	j     int
	blk   graph.Block
	point []float64 // W_j^(k), owned by the driver
	f     float64
	grad  []float64
	l1    float64
	moved bool // the program's block j holds a trial point, not W_j^(k)
	// columns is the batch size B over all participants (prog.Batch() in
	// a one-process run); parallel marks a data-parallel run.
	columns  int
	parallel bool
	cert     func() surrogate.Certificate
	// stats counts the evaluations asked of the program through this
	// problem (and, set by the driver, the ones made to build it).
	stats Stats

	// Curvature mini-batches (surrogate.CurvatureSampler), set by
	// run.subsample: the run's programs, all weights W^(k), and the seed of
	// this block update's column stream.
	sub  *subBatches
	w    graph.Weights
	seed [2]uint64
	rng  *rand.Rand
}

var (
	_ surrogate.Problem          = (*blockProblem)(nil)
	_ surrogate.CurvatureSampler = (*blockProblem)(nil)
)

func (p *blockProblem) Index() int                         { return p.j }
func (p *blockProblem) Block() graph.Block                 { return p.blk }
func (p *blockProblem) Point() []float64                   { return p.point }
func (p *blockProblem) Value() float64                     { return p.f }
func (p *blockProblem) Gradient() []float64                { return p.grad }
func (p *blockProblem) L1() float64                        { return p.l1 }
func (p *blockProblem) Certificate() surrogate.Certificate { return p.cert() }

func (p *blockProblem) restore() error {
	if !p.moved {
		return nil
	}
	p.moved = false
	return p.prog.SetBlock(p.j, p.point)
}

func (p *blockProblem) HVP(v, dst []float64) error {
	if err := p.restore(); err != nil {
		return err
	}
	p.stats.HVP++
	return p.prog.HVP(p.j, v, dst)
}

func (p *blockProblem) GaussNewton(v, dst []float64) error {
	if err := p.restore(); err != nil {
		return err
	}
	p.stats.GaussNewton++
	return p.prog.GaussNewton(p.j, v, dst)
}

func (p *blockProblem) Hessian(dst []float64) error {
	if err := p.restore(); err != nil {
		return err
	}
	p.stats.Hessian++
	return p.prog.Hessian(p.j, dst)
}

func (p *blockProblem) GaussNewtonMatrix(dst []float64) error {
	if err := p.restore(); err != nil {
		return err
	}
	p.stats.GaussNewtonMatrix++
	return p.prog.GaussNewtonMatrix(p.j, dst)
}

func (p *blockProblem) Eval(w, grad []float64) (float64, error) {
	if err := p.prog.SetBlock(p.j, w); err != nil {
		return 0, err
	}
	p.moved = true
	p.stats.Objective++
	f, err := p.prog.Objective()
	if err != nil {
		return 0, err
	}
	if grad != nil {
		p.stats.Gradient++
		if err := p.prog.Grad(p.j, grad); err != nil {
			return 0, err
		}
	}
	return f, nil
}

// subBatches holds a run's private programs for curvature mini-batches: one
// per block (so the Jacobi rule's concurrent blocks never share one) and
// per size (only the last size is kept). It is safe for concurrent use.
type subBatches struct {
	mu    sync.Mutex
	progs map[int]*subProgram
}

// subProgram is a program for a curvature mini-batch and its buffers.
type subProgram struct {
	prog   *graph.Program
	xb, yb []float64
	perm   []int
}

// program returns block j's mini-batch program for m columns, compiling it
// on first use.
func (s *subBatches) program(net *graph.Net, j, m int) (*subProgram, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp, ok := s.progs[j]; ok && sp.prog.Batch() == m {
		return sp, nil
	}
	prog, err := net.NewProgram(m)
	if err != nil {
		return nil, err
	}
	if s.progs == nil {
		s.progs = map[int]*subProgram{}
	}
	sp := &subProgram{prog: prog, xb: make([]float64, net.In()*m), yb: make([]float64, net.Out()*m)}
	s.progs[j] = sp
	return sp, nil
}

// curvatureStream tags the column streams of curvature mini-batches, so
// they never coincide with the run's batch and block stream.
const curvatureStream = 0x6866637572766174

// subsample lets bp draw curvature mini-batches for iteration k: from the
// run's programs, at the run's weights, with a column stream seeded by
// (Settings.Seed, k, j). The stream is derived, not the run's own, so a
// method that draws curvature mini-batches sees the same batches and blocks
// as one that does not, and concurrent blocks draw independently and
// reproducibly.
func (r *run) subsample(bp *blockProblem, k int) {
	bp.sub, bp.w = &r.sub, r.w
	bp.seed = [2]uint64{r.s.Seed ^ curvatureStream, uint64(k)<<20 ^ uint64(bp.j)}
}

// BatchColumns is the current batch size B.
func (p *blockProblem) BatchColumns() int {
	if p.columns > 0 {
		return p.columns
	}
	return p.prog.Batch()
}

// SampleCurvature draws m distinct columns of the current batch (partial
// Fisher-Yates on this update's seeded stream, then sorted), binds them and
// W^(k) to block j's mini-batch program, and returns its curvature
// products. m = B returns the batch's own products. The products are
// counted in Stats.GaussNewton and Stats.HVP like the batch's.
func (p *blockProblem) SampleCurvature(m int) (surrogate.SampledCurvature, error) {
	b := p.BatchColumns()
	if m < 1 || m > b {
		return nil, fmt.Errorf("solvers: block %q: curvature mini-batch of %d columns from a batch of %d: %w", p.blk.Name, m, b, graph.ErrArgument)
	}
	if m == b {
		return &sampled{cols: identity(b), gn: p.GaussNewton, hvp: p.HVP}, nil
	}
	if p.parallel {
		return nil, fmt.Errorf("solvers: block %q: curvature mini-batches of %d of %d columns are not supported in a data-parallel run: %w", p.blk.Name, m, b, ErrMethod)
	}
	if p.sub == nil || p.w == nil {
		return nil, fmt.Errorf("solvers: block %q: no curvature mini-batch programs for this problem: %w", p.blk.Name, ErrMethod)
	}
	x, y, err := p.prog.BatchValues()
	if err != nil {
		return nil, err
	}
	net := p.prog.Net()
	sp, err := p.sub.program(net, p.j, m)
	if err != nil {
		return nil, fmt.Errorf("solvers: block %q: curvature mini-batch program: %w", p.blk.Name, err)
	}
	if p.rng == nil {
		p.rng = rand.New(rand.NewPCG(p.seed[0], p.seed[1]))
	}
	if len(sp.perm) != b {
		sp.perm = make([]int, b)
	}
	for i := range sp.perm {
		sp.perm[i] = i
	}
	for i := 0; i < m; i++ {
		k := i + p.rng.IntN(b-i)
		sp.perm[i], sp.perm[k] = sp.perm[k], sp.perm[i]
	}
	cols := slices.Clone(sp.perm[:m])
	slices.Sort(cols)
	gather(sp.xb, x, net.In(), b, cols)
	gather(sp.yb, y, net.Out(), b, cols)
	if err := sp.prog.SetBatch(sp.xb, sp.yb); err != nil {
		return nil, err
	}
	if err := sp.prog.SetWeights(p.w); err != nil {
		return nil, err
	}
	prog, j, st := sp.prog, p.j, &p.stats
	return &sampled{
		cols: cols,
		gn: func(v, dst []float64) error {
			st.GaussNewton++
			return prog.GaussNewton(j, v, dst)
		},
		hvp: func(v, dst []float64) error {
			st.HVP++
			return prog.HVP(j, v, dst)
		},
	}, nil
}

// sampled is a surrogate.SampledCurvature.
type sampled struct {
	cols    []int
	gn, hvp func(v, dst []float64) error
}

func (s *sampled) Columns() []int                     { return s.cols }
func (s *sampled) GaussNewton(v, dst []float64) error { return s.gn(v, dst) }
func (s *sampled) HVP(v, dst []float64) error         { return s.hvp(v, dst) }

// gather copies columns cols of the rows×b matrix src into dst
// (rows×len(cols)), row-major.
func gather(dst, src []float64, rows, b int, cols []int) {
	m := len(cols)
	for i := 0; i < rows; i++ {
		row, out := src[i*b:(i+1)*b], dst[i*m:(i+1)*m]
		for c, col := range cols {
			out[c] = row[col]
		}
	}
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

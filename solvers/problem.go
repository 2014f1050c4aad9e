package solvers

import (
	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/surrogate"
)

// blockProblem is surrogate.Problem over a compiled graph.Program: the block
// function f_j(·; W_{-j}^(k)) at the current iterate.
type blockProblem struct {
	prog  *graph.Program
	j     int
	blk   graph.Block
	point []float64 // W_j^(k), owned by the driver
	f     float64
	grad  []float64
	l1    float64
	moved bool // the program's block j holds a trial point, not W_j^(k)
	cert  func() surrogate.Certificate
	// stats counts the evaluations asked of the program through this
	// problem (and, set by the driver, the ones made to build it).
	stats Stats
}

var _ surrogate.Problem = (*blockProblem)(nil)

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

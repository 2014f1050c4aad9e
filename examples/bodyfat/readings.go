package main

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/solvers"
)

// The two readings of the paper's loss normalisation. The seed's l2 loss
// (16) is a mean, (1/N)‖Y − H‖²_F, but its printed exponential-loss gradient
// (A.13), 2(H − Y)·exp((1/c)‖Y − H‖²_F), is that of a loss without the 1/N.
// The sum reading drops the 1/N and so multiplies the data-fit term by N:
//
//	l2           ‖Y − H‖²_F                      = N × (16)
//	exponential  Nc·exp(‖Y − H‖²_F/(Nc))          = N × (A.12)
//
// The exponential line is (A.12) with the 1/N dropped and its free constant
// c read as Nc; its gradient is (A.13) with that constant. (Keeping c = 1
// after dropping the 1/N, i.e. exp(‖Y − H‖²_F), makes f ≈ e^8 at the
// Glorot starts and every step-size method of Figure A.1 overflows at its
// first block update for every constant of the -tune grid; only AdaGrad,
// which is invariant to the scale of the gradient, survives. That variant
// is not offered.)
//
// Both are built exactly from the library's mean losses: the built scalar
// node is multiplied by the constant N, the number of training samples —
// not the batch size B, so a mini-batch of B samples gives N·(1/B)Σ_batch,
// the unbiased estimate of the summed loss. The BodyFat network has no
// regulariser, so f itself scales by N: the gradients, the block Lipschitz
// constants and hence the effect of every step size grow by N = 252.
const (
	readingMean = "mean"
	readingSum  = "sum"
)

var allReadings = []string{readingMean, readingSum}

// What one iteration on the x axis of the paper's figures is.
const (
	// xBlocks: one iteration is one block update (Algorithm 1's k); a step
	// rule sees k = the block-update count.
	xBlocks = "blocks"
	// xSweeps: one iteration is one cyclic sweep of all J blocks; every
	// block updated in sweep s uses the step rule's α at k = s, and a
	// budget of T iterations is T·J block updates.
	xSweeps = "sweeps"
)

// scaledLoss is ℓ_scaled = n·ℓ_inner: the sum reading of a mean loss.
// It reports the inner loss's Shape (a positive factor keeps convexity and
// monotonicity) and forwards the optional label check and sample
// separability (a scaled mean of per-sample terms is still a sum of
// per-sample terms, so the loss Hessian stays block diagonal by sample).
// It holds no mutable state and is safe for concurrent use.
type scaledLoss struct {
	inner graph.Loss
	n     float64
}

func (l scaledLoss) Name() string       { return l.inner.Name() }
func (l scaledLoss) Shape() graph.Shape { return l.inner.Shape() }

func (l scaledLoss) Build(h, y *G.Node) (*G.Node, error) {
	v, err := l.inner.Build(h, y)
	if err != nil {
		return nil, fmt.Errorf("sum reading of %s: %w", l.inner.Name(), err)
	}
	out, err := G.Mul(G.NewConstant(l.n, G.In(h.Graph())), v)
	if err != nil {
		return nil, fmt.Errorf("sum reading of %s: scale by %g: %w", l.inner.Name(), l.n, err)
	}
	return out, nil
}

func (l scaledLoss) SampleSeparable() bool {
	s, ok := l.inner.(graph.SampleSeparable)
	return ok && s.SampleSeparable()
}

func (l scaledLoss) CheckLabels(y []float64, rows, cols int) error {
	if c, ok := l.inner.(graph.LabelChecker); ok {
		return c.CheckLabels(y, rows, cols)
	}
	return nil
}

// problem is the network of one figure: activation and loss.
type problem struct {
	Activation string
	Loss       string  // losses.NameL2 or losses.NameExponential
	C          float64 // the exponential loss's c
}

var (
	problemL2  = problem{Activation: "logistic", Loss: losses.NameL2}
	problemExp = problem{Activation: "softplus", Loss: losses.NameExponential, C: 1}
)

// readingLoss is the data-fit term of problem pr under reading r for a
// data set of n samples.
func readingLoss(pr problem, r string, n int) (graph.Loss, error) {
	if n <= 0 {
		return nil, fmt.Errorf("reading %s: %d samples", r, n)
	}
	var mean graph.Loss
	switch pr.Loss {
	case losses.NameL2:
		mean = losses.L2()
	case losses.NameExponential:
		if !(pr.C > 0) {
			return nil, fmt.Errorf("exponential loss: c = %g must be > 0", pr.C)
		}
		mean = losses.Exponential(pr.C)
	default:
		return nil, fmt.Errorf("no readings for loss %q", pr.Loss)
	}
	switch r {
	case readingMean:
		return mean, nil
	case readingSum:
		return scaledLoss{inner: mean, n: float64(n)}, nil
	}
	return nil, fmt.Errorf("unknown reading %q (want %s or %s)", r, readingMean, readingSum)
}

// newNet builds the BodyFat network of problem pr under reading r.
func newNet(pr problem, r string, n int) (*graph.Net, error) {
	spec := models.BodyFat()
	spec.Activation = pr.Activation
	spec.Loss = pr.Loss
	if pr.Loss == losses.NameExponential {
		spec.LossParams = []float64{pr.C}
	}
	build, err := spec.Build()
	if err != nil {
		return nil, fmt.Errorf("bodyfat network: %w", err)
	}
	loss, err := readingLoss(pr, r, n)
	if err != nil {
		return nil, err
	}
	// One compiled program per batch size: the growing batch B = min(k, N)
	// visits every size up to N, and a worker reuses its net across runs.
	net, err := graph.New(spec.Sizes[0], build, loss, graph.Tikhonov(spec.Tikhonov), graph.L1(spec.L1), graph.MaxPrograms(n+8))
	if err != nil {
		return nil, fmt.Errorf("bodyfat network, %s reading: %w", r, err)
	}
	return net, nil
}

// perSweep makes a step rule count sweeps instead of block updates: the
// block update k (from 1) of a cyclic run over j blocks belongs to sweep
// ⌈k/j⌉, and the inner rule is asked for α at that sweep. Each block still
// sees the inner rule's sequence α(1), α(2), … over its own updates, so
// condition (8) holds exactly when it holds for the inner rule; Condition8
// is forwarded. Safe for concurrent use when the inner rule is.
type perSweep struct {
	inner solvers.StepRule
	j     int
}

func (p perSweep) Name() string { return p.inner.Name() + ", k = sweep" }

func (p perSweep) Alpha(s solvers.StepContext) (float64, error) {
	s.K = (s.K-1)/p.j + 1
	return p.inner.Alpha(s)
}

func (p perSweep) Condition8() error { return p.inner.Condition8() }

// forX adapts method m to the x-axis reading x on a network of j blocks.
// Unit steps (GD, LM, AdaGrad) do not depend on k and stay as they are (a
// unit step is how Validate recognises a Lemma 2 method).
func forX(m solvers.BSUM, x string, j int) solvers.BSUM {
	if x != xSweeps {
		return m
	}
	if _, unit := m.Step.(solvers.Unit); unit || m.Step == nil {
		return m
	}
	m.Step = perSweep{inner: m.Step, j: j}
	return m
}

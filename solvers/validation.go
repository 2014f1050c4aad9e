package solvers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
)

// Metric scores a network's predictions on a labelled set (the validation
// metric of Record.ValMetric). Implementations should be stateless, as the
// ones here are, so one value can serve concurrent runs.
type Metric interface {
	// Name is a short label for logs ("nMSE", "accuracy").
	Name() string
	// Score returns the metric of predictions h against targets y, both
	// rows×n, row-major, one column per sample.
	Score(h, y []float64, rows, n int) float64
}

// NormMSE is the normalised mean squared error
// ‖Y − H‖²_F / ‖Y − mean(Y)‖²_F, with the mean taken per output row (as
// Record.NormMSE): 0 is a perfect fit, 1 no better than predicting the
// mean. It is NaN when Y is constant in every row.
type NormMSE struct{}

// Name implements Metric.
func (NormMSE) Name() string { return "nMSE" }

// Score implements Metric.
func (NormMSE) Score(h, y []float64, rows, n int) float64 {
	var se, v float64
	for i := 0; i < rows; i++ {
		row := y[i*n : (i+1)*n]
		var mu float64
		for _, t := range row {
			mu += t
		}
		mu /= float64(n)
		for c, t := range row {
			d := t - h[i*n+c]
			se += d * d
			v += (t - mu) * (t - mu)
		}
	}
	if v == 0 {
		return math.NaN()
	}
	return se / v
}

// Accuracy is the share of samples classified correctly. With one output
// row a sample is predicted positive when h > Threshold and is positive
// when y > Label; with several rows the predicted class is the row of the
// largest h and the true class the row of the largest y (one-hot targets,
// or ±1 one-versus-rest codes).
type Accuracy struct {
	// Threshold splits one-row predictions: 0.5 for probabilities, 0 for
	// logits or ±1 scores.
	Threshold float64
	// Label splits one-row targets: 0.5 for 0/1 labels, 0 for ±1 labels.
	Label float64
}

// Name implements Metric.
func (Accuracy) Name() string { return "accuracy" }

// Score implements Metric.
func (a Accuracy) Score(h, y []float64, rows, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(a.correct(h, y, rows, n)) / float64(n)
}

// correct counts the samples classified correctly.
func (a Accuracy) correct(h, y []float64, rows, n int) int {
	correct := 0
	for c := 0; c < n; c++ {
		if rows == 1 {
			if (h[c] > a.Threshold) == (y[c] > a.Label) {
				correct++
			}
			continue
		}
		ph, py := 0, 0
		for i := 1; i < rows; i++ {
			if h[i*n+c] > h[ph*n+c] {
				ph = i
			}
			if y[i*n+c] > y[py*n+c] {
				py = i
			}
		}
		if ph == py {
			correct++
		}
	}
	return correct
}

// MetricFor returns the default validation metric for a loss: accuracy
// for the classification losses of package losses (cross-entropy on
// probabilities thresholded at 0.5; cross-entropy with logits, squared
// hinge, logistic and softmax cross-entropy on scores thresholded at 0 or
// by the largest row), normalised MSE for l2, exponential and any other
// loss.
func MetricFor(loss graph.Loss) Metric {
	if loss == nil {
		return NormMSE{}
	}
	switch loss.Name() {
	case losses.NameCrossEntropy:
		return Accuracy{Threshold: 0.5, Label: 0.5}
	case losses.NameCrossEntropyWithLogits, losses.NameSoftmaxCrossEntropy:
		return Accuracy{Threshold: 0, Label: 0.5}
	case losses.NameSquaredHinge, losses.NameLogistic:
		return Accuracy{Threshold: 0, Label: 0}
	}
	return NormMSE{}
}

// validator evaluates a run's validation set on a program of its own.
type validator struct {
	data   Data
	metric Metric
	prog   *graph.Program
	out    int
	h      []float64
	par    *parValidator // a data-parallel run's validation (then prog is nil)
}

func newValidator(net *graph.Net, v Data, m Metric) (*validator, error) {
	if v.N <= 0 || len(v.X) != net.In()*v.N || len(v.Y) != net.Out()*v.N {
		return nil, fmt.Errorf("solvers: validation data has N=%d, %d X values (want %d×N), %d Y values (want %d×N): %w", v.N, len(v.X), net.In(), len(v.Y), net.Out(), graph.ErrShape)
	}
	if m == nil {
		m = MetricFor(net.Loss())
	}
	// A private program: the run owns it, so concurrent runs on one net
	// do not share it.
	p, err := net.NewProgram(v.N)
	if err != nil {
		return nil, fmt.Errorf("solvers: validation program: %w", err)
	}
	if err := p.SetBatch(v.X, v.Y); err != nil {
		return nil, fmt.Errorf("solvers: validation data: %w", err)
	}
	return &validator{data: v, metric: m, prog: p, out: net.Out(), h: make([]float64, net.Out()*v.N)}, nil
}

// eval returns the data loss and the metric at w.
func (v *validator) eval(w graph.Weights) (float64, float64, error) {
	if v.par != nil {
		return v.par.evalPar(w)
	}
	if err := v.prog.SetWeights(w); err != nil {
		return 0, 0, err
	}
	loss, err := v.prog.DataLoss()
	if err != nil {
		return 0, 0, err
	}
	if err := v.prog.Output(v.h); err != nil {
		return 0, 0, err
	}
	return loss, v.metric.Score(v.h, v.data.Y, v.out, v.data.N), nil
}

// Split divides d into a training and a validation set: a share frac of
// the samples (rounded to the nearest count, at least one and leaving at
// least one for training), drawn uniformly without replacement by a PCG
// stream seeded with seed, goes to validation; both keep the samples in
// their original order. The same seed gives the same split. in is the
// number of rows of X (the network's input size).
func (d Data) Split(in int, frac float64, seed uint64) (train, val Data, err error) {
	if d.N < 2 || in <= 0 || len(d.X) != in*d.N || len(d.Y)%d.N != 0 {
		return Data{}, Data{}, fmt.Errorf("solvers: split: data with N=%d, %d X values for %d input rows, %d Y values: %w", d.N, len(d.X), in, len(d.Y), graph.ErrShape)
	}
	if !(frac > 0 && frac < 1) {
		return Data{}, Data{}, fmt.Errorf("solvers: split: validation fraction %v must lie in (0, 1): %w", frac, ErrSettings)
	}
	nv := int(math.Round(frac * float64(d.N)))
	nv = min(max(nv, 1), d.N-1)
	rng := rand.New(rand.NewPCG(seed, 0x76616c))
	isVal := make([]bool, d.N)
	for _, c := range rng.Perm(d.N)[:nv] {
		isVal[c] = true
	}
	out := len(d.Y) / d.N
	pick := func(want bool, n int) Data {
		s := Data{X: make([]float64, in*n), Y: make([]float64, out*n), N: n}
		c := 0
		for src := 0; src < d.N; src++ {
			if isVal[src] != want {
				continue
			}
			for i := 0; i < in; i++ {
				s.X[i*n+c] = d.X[i*d.N+src]
			}
			for i := 0; i < out; i++ {
				s.Y[i*n+c] = d.Y[i*d.N+src]
			}
			c++
		}
		return s
	}
	return pick(false, d.N-nv), pick(true, nv), nil
}

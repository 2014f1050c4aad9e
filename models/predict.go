package models

import (
	"fmt"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models/dataset"
)

// Output returns the network output H(x) of any network with weights w for
// x (d0×n, row-major, one column per sample, in the units the network was
// trained on, that is already scaled), as a dJ×n slice. It compiles a
// private program, so concurrent calls are safe.
func Output(net *graph.Net, w graph.Weights, x []float64, n int) ([]float64, error) {
	if net == nil {
		return nil, fmt.Errorf("models: output: nil network: %w", graph.ErrArgument)
	}
	if n <= 0 || len(x) != net.In()*n {
		return nil, fmt.Errorf("models: output: %d inputs for %d samples of %d features: %w", len(x), n, net.In(), graph.ErrShape)
	}
	p, err := net.NewProgram(n)
	if err != nil {
		return nil, fmt.Errorf("models: output: %w", err)
	}
	if err := p.SetInput(x); err != nil {
		return nil, fmt.Errorf("models: output: %w", err)
	}
	if err := p.SetWeights(w); err != nil {
		return nil, fmt.Errorf("models: output: %w", err)
	}
	out := make([]float64, net.Out()*n)
	if err := p.Output(out); err != nil {
		return nil, fmt.Errorf("models: output: %w", err)
	}
	return out, nil
}

// Predict returns the predictions of any network in the target's units:
// x (d0×n, row-major, one column per sample) holds raw features in data
// units, in the order of scaler.FeatureNames; they are standardised with
// scaler, run through the network with weights w, and the outputs mapped
// back with scaler.InverseY. A nil scaler means the network works in data
// units (Predict is then Output). Concurrent calls are safe.
func Predict(net *graph.Net, w graph.Weights, scaler *dataset.Scaler, x []float64, n int) ([]float64, error) {
	if net == nil {
		return nil, fmt.Errorf("models: predict: nil network: %w", graph.ErrArgument)
	}
	if scaler == nil {
		return Output(net, w, x, n)
	}
	if scaler.In() != net.In() || scaler.Out() != net.Out() {
		return nil, fmt.Errorf("models: predict: scaler maps %d features and %d targets, network has %d inputs and %d outputs: %w", scaler.In(), scaler.Out(), net.In(), net.Out(), graph.ErrShape)
	}
	if n <= 0 || len(x) != net.In()*n {
		return nil, fmt.Errorf("models: predict: %d inputs for %d samples of %d features: %w", len(x), n, net.In(), graph.ErrShape)
	}
	xs := make([]float64, len(x))
	scaler.TransformX(xs, x, n)
	out, err := Output(net, w, xs, n)
	if err != nil {
		return nil, err
	}
	scaler.InverseY(out, out, n)
	return out, nil
}

// Predict returns the model's predictions in the target's units for raw
// features x (d0×n, data units, in the order of Scaler.FeatureNames): see
// the package function Predict. A custom network's model must be attached
// first (LoadNet or Attach).
func (m *Model) Predict(x []float64, n int) ([]float64, error) {
	if m.net == nil {
		return nil, errUnattached
	}
	return Predict(m.net, m.Weights, m.Scaler, x, n)
}

// Output returns the network output for x already scaled as the network
// expects (see the package function Output).
func (m *Model) Output(x []float64, n int) ([]float64, error) {
	if m.net == nil {
		return nil, errUnattached
	}
	return Output(m.net, m.Weights, x, n)
}

var errUnattached = fmt.Errorf("models: the model is of a custom network: attach the network first (LoadNet, ReadNet or Model.Attach): %w", graph.ErrArgument)

// PredictTable scales the table's feature columns with the stored scaler,
// runs the network and maps outputs back to the target's units. It
// returns the dJ×n predictions and n.
func (m *Model) PredictTable(t *dataset.Table) ([]float64, int, error) {
	if m.Scaler == nil {
		return nil, 0, fmt.Errorf("models: the model has no scaler; use Predict with inputs in the network's units: %w", ErrModelFile)
	}
	if m.net == nil {
		return nil, 0, errUnattached
	}
	x, n, err := m.Scaler.ApplyFeatures(t)
	if err != nil {
		return nil, 0, err
	}
	out, err := Output(m.net, m.Weights, x, n)
	if err != nil {
		return nil, 0, err
	}
	m.Scaler.InverseY(out, out, n)
	return out, n, nil
}

package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models/dataset"
)

// FileFormat and FileVersion identify a bsum model file. A file is JSON:
//
//	{
//	  "format":  "bsum-model",
//	  "version": 1,
//	  "spec":    {Spec},                 // architecture, loss, regularisers
//	  "weights": [[…], …],               // one row-major array per block W1..WJ
//	  "scaler":  {dataset.Scaler},       // optional: feature/target scaling
//	  "meta":    {"solver": …, …}        // optional: free-form strings
//	}
const (
	FileFormat  = "bsum-model"
	FileVersion = 1
)

// ErrModelFile is wrapped by errors about a corrupted or mismatched file.
var ErrModelFile = errors.New("invalid model file")

// Model is a trained network: its architecture, weights and data scaling.
type Model struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Spec    Spec              `json:"spec"`
	Weights graph.Weights     `json:"weights"`
	Scaler  *dataset.Scaler   `json:"scaler,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`

	net *graph.Net
}

// NewModel checks weights against the spec and returns a Model.
func NewModel(spec Spec, w graph.Weights, scaler *dataset.Scaler) (*Model, error) {
	m := &Model{Format: FileFormat, Version: FileVersion, Spec: spec, Weights: w.Clone(), Scaler: scaler}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) check() error {
	if m.Format != FileFormat {
		return fmt.Errorf("models: format %q, want %q: %w", m.Format, FileFormat, ErrModelFile)
	}
	if m.Version != FileVersion {
		return fmt.Errorf("models: version %d, this build reads version %d: %w", m.Version, FileVersion, ErrModelFile)
	}
	net, err := m.Spec.Net()
	if err != nil {
		return fmt.Errorf("models: spec: %w (%w)", err, ErrModelFile)
	}
	if err := net.CheckWeights(m.Weights); err != nil {
		return fmt.Errorf("models: weights: %w (%w)", err, ErrModelFile)
	}
	if m.Scaler != nil {
		if err := m.Scaler.Validate(); err != nil {
			return fmt.Errorf("models: scaler: %w (%w)", err, ErrModelFile)
		}
		if m.Scaler.In() != net.In() || m.Scaler.Out() != net.Out() {
			return fmt.Errorf("models: scaler maps %d features and %d targets, network has %d inputs and %d outputs: %w", m.Scaler.In(), m.Scaler.Out(), net.In(), net.Out(), ErrModelFile)
		}
	}
	m.net = net
	return nil
}

// Net is the model's network.
func (m *Model) Net() *graph.Net { return m.net }

// Write encodes the model as indented JSON.
func (m *Model) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(m)
}

// Save writes the model to path atomically: to a temporary file in the same
// folder, synced, then renamed over path, so a crash never leaves a
// half-written model.
func (m *Model) Save(path string) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".bsum-model-*")
	if err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = m.Write(tmp); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	return nil
}

// Read decodes and validates a model. Unknown fields, a wrong format or
// version, weights that do not fit the spec or are not finite, and a scaler
// that does not fit the network are errors wrapping ErrModelFile.
func Read(r io.Reader) (*Model, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("models: decoding: %v: %w", err, ErrModelFile)
	}
	if dec.More() {
		return nil, fmt.Errorf("models: trailing data after the model: %w", ErrModelFile)
	}
	for _, b := range m.Weights {
		for _, v := range b {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("models: non-finite weight: %w", ErrModelFile)
			}
		}
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Load reads a model file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Predict returns the network output for x (d0×n, row-major, one column
// per sample, already scaled as the network expects) as a dJ×n slice.
func (m *Model) Predict(x []float64, n int) ([]float64, error) {
	if len(x) != m.net.In()*n {
		return nil, fmt.Errorf("models: predict: %d inputs for %d samples of %d features: %w", len(x), n, m.net.In(), graph.ErrShape)
	}
	p, err := m.net.NewProgram(n)
	if err != nil {
		return nil, err
	}
	if err := p.SetInput(x); err != nil {
		return nil, err
	}
	if err := p.SetWeights(m.Weights); err != nil {
		return nil, err
	}
	out := make([]float64, m.net.Out()*n)
	if err := p.Output(out); err != nil {
		return nil, err
	}
	return out, nil
}

// PredictTable scales the table's feature columns with the stored scaler,
// runs the network and maps outputs back to the target's units.
func (m *Model) PredictTable(t *dataset.Table) ([]float64, int, error) {
	if m.Scaler == nil {
		return nil, 0, fmt.Errorf("models: the model has no scaler; use Predict with scaled inputs: %w", ErrModelFile)
	}
	x, n, err := m.Scaler.ApplyFeatures(t)
	if err != nil {
		return nil, 0, err
	}
	out, err := m.Predict(x, n)
	if err != nil {
		return nil, 0, err
	}
	m.Scaler.InverseY(out, out, n)
	return out, n, nil
}

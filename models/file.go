package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
	"github.com/bsum-go/bsum/models/dataset"
)

// FileFormat and FileVersion identify a bsum model file: JSON, with
// "format" always FileFormat. FileVersion is the version this build
// writes; it reads versions 1 and 2.
//
// Version 2 stores any network, by block name:
//
//	{
//	  "format":  "bsum-model",
//	  "version": 2,
//	  "spec":    {Spec},                      // only for a built-in architecture
//	  "in": 13, "out": 1,                     // d0 and dJ
//	  "loss":    {"name": "l2", "params": []},
//	  "blocks":  [{"name": "W1", "rows": 10, "cols": 13,
//	               "tikhonov": 0, "l1": 0,   // the block's regularisers
//	               "values": […]}, …],        // row-major, rows·cols numbers
//	  "scaler":  {dataset.Scaler},            // optional: feature/target scaling
//	  "iter":    200,                         // optional: iterations run
//	  "meta":    {"solver": …, …}             // optional: free-form strings
//	}
//
// Version 1 (read only) had "spec" (required), "weights" (one row-major
// array per block W1..WJ, in the spec's order), "scaler" and "meta".
const (
	FileFormat  = "bsum-model"
	FileVersion = 2
)

// ErrModelFile is wrapped by errors about a corrupted or mismatched file.
var ErrModelFile = errors.New("invalid model file")

// LossInfo names the loss a model was trained with.
type LossInfo struct {
	// Name is the loss's name (graph.Loss.Name; losses.ByName knows the built-in ones).
	Name string `json:"name"`
	// Params are the loss's parameters, when known (from a Spec, or from a
	// loss that implements ParamLoss).
	Params []float64 `json:"params,omitempty"`
}

// ParamLoss is a loss that can report its parameters, so that a model file
// saved from a custom network records them (for instance the c of
// losses.Exponential).
type ParamLoss interface {
	graph.Loss
	Params() []float64
}

// Model is a trained network: its blocks (by name, with shapes and
// regularisers) and weights, the loss, the data scaling, the iterations
// run and free-form metadata. A Model whose Spec is set rebuilds its
// network on load; a custom network's model needs the network (see
// LoadNet). A Model is not safe for concurrent modification; Predict and
// Output may be called concurrently once it is set up.
type Model struct {
	// Version is the file version the model was read from; FileVersion for
	// a new model. Write always writes FileVersion.
	Version int
	// Spec is the built-in architecture, nil for a custom network.
	Spec *Spec
	// In and Out are the network's input and output sizes d0 and dJ.
	In, Out int
	// Loss is the loss the network was trained with.
	Loss LossInfo
	// Blocks describe the weight blocks, in the order of Weights.
	Blocks []BlockInfo
	// Weights holds one row-major array per block.
	Weights graph.Weights
	// Scaler maps data to the network's units and back; nil if none.
	Scaler *dataset.Scaler
	// Iter is the number of the last iteration run (solvers.Record.K); a
	// resumed run starts at Iter+1 (see Resume). 0 if unknown.
	Iter int
	// Meta is free-form metadata (the command line stores the solver,
	// the status, the date, …).
	Meta map[string]string

	net *graph.Net
}

// NewModel checks weights against a built-in spec and returns a Model
// holding copies of them.
func NewModel(spec Spec, w graph.Weights, scaler *dataset.Scaler) (*Model, error) {
	net, err := spec.Net()
	if err != nil {
		return nil, fmt.Errorf("models: spec: %w", err)
	}
	m, err := FromNet(net, w, scaler)
	if err != nil {
		return nil, err
	}
	s := spec.clone()
	m.Spec = &s
	m.Loss.Params = append([]float64(nil), spec.LossParams...)
	return m, nil
}

// FromNet returns a Model of any network, built-in or from a custom
// graph.BuildFunc: block names, shapes and regularisers, the loss name
// (and parameters if the loss is a ParamLoss), and copies of w and scaler.
// Load it back with LoadNet and a network built the same way.
func FromNet(net *graph.Net, w graph.Weights, scaler *dataset.Scaler) (*Model, error) {
	if net == nil {
		return nil, fmt.Errorf("models: nil network: %w", graph.ErrArgument)
	}
	if err := net.CheckWeights(w); err != nil {
		return nil, fmt.Errorf("models: weights: %w", err)
	}
	m := &Model{
		Version: FileVersion,
		In:      net.In(),
		Out:     net.Out(),
		Loss:    LossInfo{Name: net.Loss().Name()},
		Blocks:  blockInfos(net),
		Weights: w.Clone(),
		net:     net,
	}
	if pl, ok := net.Loss().(ParamLoss); ok {
		m.Loss.Params = append([]float64(nil), pl.Params()...)
	}
	if scaler != nil {
		if err := checkScaler(scaler, m.In, m.Out); err != nil {
			return nil, err
		}
		sc := cloneScaler(scaler)
		m.Scaler = &sc
	}
	return m, nil
}

func checkScaler(s *dataset.Scaler, in, out int) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("models: scaler: %w (%w)", err, ErrModelFile)
	}
	if s.In() != in || s.Out() != out {
		return fmt.Errorf("models: scaler maps %d features and %d targets, network has %d inputs and %d outputs: %w", s.In(), s.Out(), in, out, ErrModelFile)
	}
	return nil
}

func cloneScaler(s *dataset.Scaler) dataset.Scaler {
	c := *s
	c.FeatureNames = append([]string(nil), s.FeatureNames...)
	c.TargetNames = append([]string(nil), s.TargetNames...)
	for _, p := range []*[]float64{&c.Mean, &c.Std, &c.TargetMin, &c.TargetMax, &c.TargetMean, &c.TargetStd} {
		if *p != nil {
			*p = append([]float64(nil), *p...)
		}
	}
	return c
}

func (s Spec) clone() Spec {
	c := s
	c.Sizes = append([]int(nil), s.Sizes...)
	c.ActivationParams = append([]float64(nil), s.ActivationParams...)
	c.OutputParams = append([]float64(nil), s.OutputParams...)
	c.LossParams = append([]float64(nil), s.LossParams...)
	if s.ActivationParams == nil {
		c.ActivationParams = nil
	}
	if s.OutputParams == nil {
		c.OutputParams = nil
	}
	if s.LossParams == nil {
		c.LossParams = nil
	}
	return c
}

// Net is the model's network: rebuilt from Spec, or the one given to
// FromNet, LoadNet or Attach. It is nil for a custom network's model that
// was read but not attached.
func (m *Model) Net() *graph.Net { return m.net }

// Attach checks that net is the network the model was saved from, and
// makes it the model's network, ordering Blocks and Weights as net
// declares them. It is strict, as PyTorch's load_state_dict: every block
// of net must be in the model with the same shape, and the model may hold
// no other block; the input and output sizes, the loss name and each
// block's regularisers must agree. A *MismatchError lists every
// difference. Use WeightsFor to check names and shapes only (for instance
// to fine-tune with other regularisers).
func (m *Model) Attach(net *graph.Net) error {
	if net == nil {
		return fmt.Errorf("models: attach: nil network: %w", graph.ErrArgument)
	}
	perm, mis := matchBlocks(m.Blocks, net)
	if mis == nil {
		mis = &MismatchError{}
	}
	if net.In() != m.In {
		mis.Other = append(mis.Other, fmt.Sprintf("the input size is %d in the file, %d in the network", m.In, net.In()))
	}
	if net.Out() != m.Out {
		mis.Other = append(mis.Other, fmt.Sprintf("the output size is %d in the file, %d in the network", m.Out, net.Out()))
	}
	if name := net.Loss().Name(); name != m.Loss.Name {
		mis.Other = append(mis.Other, fmt.Sprintf("the loss is %s in the file, %q in the network", quote.Quote(m.Loss.Name), name))
	}
	if len(mis.Missing) == 0 && len(mis.Unexpected) == 0 {
		for j, b := range net.Blocks() {
			s := m.Blocks[perm[j]]
			if s.Tikhonov != b.Tikhonov || s.L1 != b.L1 {
				mis.Other = append(mis.Other, fmt.Sprintf("block %q has regularisers (Tikhonov %g, L1 %g) in the file, (%g, %g) in the network", b.Name, s.Tikhonov, s.L1, b.Tikhonov, b.L1))
			}
		}
	}
	if !mis.empty() {
		return mis
	}
	blocks := make([]BlockInfo, len(perm))
	w := make(graph.Weights, len(perm))
	for j, i := range perm {
		blocks[j], w[j] = m.Blocks[i], m.Weights[i]
	}
	m.Blocks, m.Weights, m.net = blocks, w, net
	return nil
}

// WeightsFor returns a copy of the model's weights in net's block order,
// matched by name. Every block of net must be saved with the same shape,
// and no other block may be saved; otherwise the *MismatchError lists
// what differs. Loss and regularisers are not compared.
func (m *Model) WeightsFor(net *graph.Net) (graph.Weights, error) {
	if net == nil {
		return nil, fmt.Errorf("models: nil network: %w", graph.ErrArgument)
	}
	return weightsFor(m.Blocks, m.Weights, net)
}

// Resume returns what solvers.Minimize needs to continue the run that
// produced the model: a copy of the weights (its w0 argument) and the
// iteration to start from (Settings.StartIter), Iter+1, so that step-size
// schedules, cyclic block order and iteration numbers continue and the
// two histories concatenate. Set Settings.MaxIter to the last iteration
// wanted (not a count). Surrogate state (LM's adaptive γ, AdaGrad's
// accumulators) and stateful step rules start afresh.
func (m *Model) Resume() (w0 graph.Weights, startIter int) {
	return m.Weights.Clone(), m.Iter + 1
}

// fileV1 is the version 1 layout.
type fileV1 struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Spec    Spec              `json:"spec"`
	Weights graph.Weights     `json:"weights"`
	Scaler  *dataset.Scaler   `json:"scaler,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// fileV2 is the version 2 layout (see FileFormat).
type fileV2 struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Spec    *Spec             `json:"spec,omitempty"`
	In      int               `json:"in"`
	Out     int               `json:"out"`
	Loss    LossInfo          `json:"loss"`
	Blocks  []savedBlock      `json:"blocks"`
	Scaler  *dataset.Scaler   `json:"scaler,omitempty"`
	Iter    int               `json:"iter,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

type savedBlock struct {
	BlockInfo
	Values []float64 `json:"values"`
}

// Write encodes the model as indented JSON in the current FileVersion.
func (m *Model) Write(w io.Writer) error {
	if err := m.validate(); err != nil {
		return err
	}
	f := fileV2{Format: FileFormat, Version: FileVersion, Spec: m.Spec, In: m.In, Out: m.Out, Loss: m.Loss,
		Scaler: m.Scaler, Iter: m.Iter, Meta: m.Meta}
	f.Blocks = make([]savedBlock, len(m.Blocks))
	for j, b := range m.Blocks {
		f.Blocks[j] = savedBlock{BlockInfo: b, Values: m.Weights[j]}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("models: encoding: %w", err)
	}
	return nil
}

// validate checks the fields a caller may have edited before a write.
func (m *Model) validate() error {
	if err := checkSizes(m.In, m.Out); err != nil {
		return err
	}
	if m.Loss.Name == "" {
		return fmt.Errorf("models: no loss name: %w", ErrModelFile)
	}
	if err := checkBlocks(m.Blocks, m.Weights, ErrModelFile); err != nil {
		return err
	}
	if m.Iter < 0 {
		return fmt.Errorf("models: iteration count %d < 0: %w", m.Iter, ErrModelFile)
	}
	if m.Scaler != nil {
		return checkScaler(m.Scaler, m.In, m.Out)
	}
	return nil
}

func checkSizes(in, out int) error {
	if in <= 0 || out <= 0 || in > maxDim || out > maxDim {
		return fmt.Errorf("models: input size %d and output size %d must be positive: %w", in, out, ErrModelFile)
	}
	return nil
}

// Save writes the model to path atomically: to a temporary file
// .bsum-model-<digits> in the same folder, synced, then renamed over path,
// so a crash never leaves a half-written model. Temporary files of that
// exact name left in the folder by an earlier, killed process (older than
// this process) are removed first. The file is created with mode 0644
// (subject to the umask).
func (m *Model) Save(path string) error {
	if err := writeAtomic(path, modelTempPrefix, m.Write); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	return nil
}

// Read decodes and validates a model file of version 1 or 2. Unknown
// fields, a wrong format or version, weights that do not fit their blocks
// or are not finite, a spec that does not match the saved blocks, and a
// scaler that does not fit the network are errors wrapping ErrModelFile.
// A model with a Spec has its network rebuilt; a custom network's model
// is returned unattached (Net is nil; see Attach and LoadNet), which is
// enough to export its weights.
func Read(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("models: reading: %w", err)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("models: decoding: %s: %w", jsonError(err), ErrModelFile)
	}
	if head.Format != FileFormat {
		return nil, fmt.Errorf("models: format %s, want %q: %w", quote.Quote(head.Format), FileFormat, ErrModelFile)
	}
	switch head.Version {
	case 1:
		return readV1(data)
	case 2:
		return readV2(data)
	}
	return nil, fmt.Errorf("models: version %d, this build reads versions 1 and %d: %w", head.Version, FileVersion, ErrModelFile)
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("models: decoding: %s: %w", jsonError(err), ErrModelFile)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("models: trailing data after the model: %w", ErrModelFile)
	}
	return nil
}

func readV1(data []byte) (*Model, error) {
	var f fileV1
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	if err := checkSpecLimits(f.Spec); err != nil {
		return nil, err
	}
	net, err := f.Spec.Net()
	if err != nil {
		return nil, fmt.Errorf("models: spec: %w (%w)", err, ErrModelFile)
	}
	if err := net.CheckWeights(f.Weights); err != nil {
		return nil, fmt.Errorf("models: weights: %w (%w)", err, ErrModelFile)
	}
	m, err := FromNet(net, f.Weights, f.Scaler)
	if err != nil {
		return nil, err
	}
	s := f.Spec.clone()
	m.Spec, m.Version, m.Meta = &s, 1, f.Meta
	m.Loss.Params = append([]float64(nil), f.Spec.LossParams...)
	// The command line recorded the iterations run in the metadata.
	if k, err := strconv.Atoi(f.Meta["iterations"]); err == nil && k >= 0 {
		m.Iter = k
	}
	return m, nil
}

func readV2(data []byte) (*Model, error) {
	var f fileV2
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	m := &Model{Version: 2, Spec: f.Spec, In: f.In, Out: f.Out, Loss: f.Loss, Scaler: f.Scaler, Iter: f.Iter, Meta: f.Meta}
	m.Blocks = make([]BlockInfo, len(f.Blocks))
	m.Weights = make(graph.Weights, len(f.Blocks))
	for j, b := range f.Blocks {
		m.Blocks[j], m.Weights[j] = b.BlockInfo, b.Values
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	if k, err := strconv.Atoi(f.Meta["iterations"]); err == nil && k >= 0 && m.Iter == 0 {
		m.Iter = k // written by a command line that recorded it only in the metadata
	}
	if f.Spec == nil {
		return m, nil
	}
	if err := checkSpecLimits(*f.Spec); err != nil {
		return nil, err
	}
	net, err := f.Spec.Net()
	if err != nil {
		return nil, fmt.Errorf("models: spec: %w (%w)", err, ErrModelFile)
	}
	if err := m.Attach(net); err != nil {
		return nil, fmt.Errorf("models: the spec does not describe the saved blocks: %w (%w)", err, ErrModelFile)
	}
	return m, nil
}

// checkSpecLimits refuses specs too large to build from a file.
func checkSpecLimits(s Spec) error {
	if len(s.Sizes) > 1024 {
		return fmt.Errorf("models: spec has %d layers: %w", len(s.Sizes), ErrModelFile)
	}
	for _, n := range s.Sizes {
		if n > maxDim {
			return fmt.Errorf("models: spec layer size %d: %w", n, ErrModelFile)
		}
	}
	for j := 1; j < len(s.Sizes); j++ {
		if s.Sizes[j] > 0 && s.Sizes[j-1] > 0 && s.Sizes[j]*(s.Sizes[j-1]+1) > maxWeights {
			return fmt.Errorf("models: spec block %d is %d×%d: %w", j, s.Sizes[j], s.Sizes[j-1], ErrModelFile)
		}
	}
	return nil
}

// Load reads a model file (see Read).
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

// ReadNet reads a model (see Read) and attaches net (see Attach): the way
// to load a network built from a custom graph.BuildFunc. Build net with
// the same BuildFunc, loss and regularisers it was trained with.
func ReadNet(r io.Reader, net *graph.Net) (*Model, error) {
	m, err := Read(r)
	if err != nil {
		return nil, err
	}
	if err := m.Attach(net); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadNet reads a model file and attaches net (see ReadNet).
func LoadNet(path string, net *graph.Net) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	m, err := ReadNet(f, net)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// jsonError is a JSON decoding error's text with what it echoes of the file
// bounded: an unknown field's name is quoted with internal/quote, any other
// text longer than 200 bytes is cut (encoding/json's other messages name
// types and offsets, not values, but a file is not to be trusted).
func jsonError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		if u, uerr := strconv.Unquote(name); uerr == nil {
			return "json: unknown field " + quote.Quote(u)
		}
	}
	if len(msg) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		return fmt.Sprintf("%s… (%d bytes)", msg[:cut], len(msg))
	}
	return msg
}

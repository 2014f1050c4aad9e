// Package models holds ready network builders that every solver trains
// (multi-layer perceptrons, the seed paper's BodyFat network, deep linear
// networks and Toeplitz-constrained convolutional networks), and the files
// that keep a trained network.
//
// A model file (Model.Save, Load; format in FileFormat) stores any
// graph.Net by block name: shapes, loss, regularisers, the data scaler,
// the iterations run and free-form metadata, written atomically. A
// built-in Spec rebuilds its network on Load; a network from a custom
// graph.BuildFunc is loaded with LoadNet and a network built the same way,
// and a *MismatchError says exactly what differs (missing, unexpected and
// misshapen blocks, loss, regularisers), as PyTorch's strict
// load_state_dict does. Predict maps raw features to predictions in the
// target's units for any network; Model.Resume gives the weights and
// iteration from which solvers.Minimize continues a run.
//
// Model.SaveNPZ and LoadNPZ exchange weights and scaler with NumPy as an
// .npz archive, one (d_j, d_{j−1}) float64 array per block.
package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
)

// Kinds of architecture a Spec describes.
const (
	KindMLP        = "mlp"
	KindDeepLinear = "deep-linear"
	KindConv       = "conv"
)

// ErrSpec is wrapped by errors about an invalid Spec.
var ErrSpec = errors.New("invalid model spec")

// Spec is a serialisable description of a layered network: what a model
// file stores and what the command line builds.
type Spec struct {
	// Kind is KindMLP (default), KindDeepLinear or KindConv.
	Kind string `json:"kind"`
	// Sizes are d0, d1, …, dJ.
	Sizes []int `json:"sizes"`
	// Activation is the hidden layers' activation name (layers.ActivationByName);
	// ActivationParams its parameters. Ignored for deep linear networks.
	Activation       string    `json:"activation,omitempty"`
	ActivationParams []float64 `json:"activation_params,omitempty"`
	// Output is the last layer's activation; empty means Activation.
	Output       string    `json:"output,omitempty"`
	OutputParams []float64 `json:"output_params,omitempty"`
	// Bias folds a bias column into each dense block.
	Bias bool `json:"bias,omitempty"`
	// Loss is the loss name (losses.ByName) and LossParams its parameters.
	Loss       string    `json:"loss"`
	LossParams []float64 `json:"loss_params,omitempty"`
	// Tikhonov and L1 are λ for every block.
	Tikhonov float64 `json:"tikhonov,omitempty"`
	L1       float64 `json:"l1,omitempty"`
}

// ParseSizes reads "13-10-10-10-1" (or comma-separated) layer sizes.
func ParseSizes(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ',' })
	if len(fields) < 2 {
		return nil, fmt.Errorf("models: architecture %s: need at least an input and an output size, like 13-10-1: %w", quote.Quote(s), ErrSpec)
	}
	sizes := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("models: architecture %s: size %s is not a positive integer: %w", quote.Quote(s), quote.Quote(f), ErrSpec)
		}
		sizes[i] = n
	}
	return sizes, nil
}

// Validate checks the spec and resolves its names.
func (s Spec) Validate() error {
	_, _, _, err := s.resolve()
	return err
}

func (s Spec) resolve() (hidden, out layers.Activation, loss graph.Loss, err error) {
	if len(s.Sizes) < 2 {
		return nil, nil, nil, fmt.Errorf("models: %d sizes, need d0 and at least one layer: %w", len(s.Sizes), ErrSpec)
	}
	for i, n := range s.Sizes {
		if n <= 0 {
			return nil, nil, nil, fmt.Errorf("models: size %d of layer %d: %w", n, i, ErrSpec)
		}
	}
	switch s.Kind {
	case "", KindMLP, KindConv:
		name := s.Activation
		if name == "" {
			name = "logistic"
		}
		if hidden, err = layers.ActivationByName(name, s.ActivationParams...); err != nil {
			return nil, nil, nil, fmt.Errorf("models: %w", err)
		}
		out = hidden
		if s.Output != "" {
			if out, err = layers.ActivationByName(s.Output, s.OutputParams...); err != nil {
				return nil, nil, nil, fmt.Errorf("models: output: %w", err)
			}
		}
		if s.Kind == KindConv && s.Bias {
			return nil, nil, nil, fmt.Errorf("models: a conv network has no bias (the bias column is not on the Toeplitz subspace): %w", ErrSpec)
		}
	case KindDeepLinear:
		hidden, out = layers.Identity(), layers.Identity()
	default:
		return nil, nil, nil, fmt.Errorf("models: unknown kind %s (want %s, %s or %s): %w", quote.Quote(s.Kind), KindMLP, KindDeepLinear, KindConv, ErrSpec)
	}
	lname := s.Loss
	if lname == "" {
		lname = "l2"
	}
	if loss, err = losses.ByName(lname, s.LossParams...); err != nil {
		return nil, nil, nil, fmt.Errorf("models: %w", err)
	}
	if !(s.Tikhonov >= 0) || !(s.L1 >= 0) {
		return nil, nil, nil, fmt.Errorf("models: regularisation λ (Tikhonov %v, L1 %v) must be ≥ 0: %w", s.Tikhonov, s.L1, ErrSpec)
	}
	return hidden, out, loss, nil
}

// Build returns the spec's graph builder (blocks W1..WJ).
func (s Spec) Build() (graph.BuildFunc, error) {
	hidden, out, _, err := s.resolve()
	if err != nil {
		return nil, err
	}
	sizes := append([]int(nil), s.Sizes...)
	kind, bias := s.Kind, s.Bias
	return func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := x
		for j := 1; j < len(sizes); j++ {
			act := hidden
			if j == len(sizes)-1 {
				act = out
			}
			name := fmt.Sprintf("W%d", j)
			var opts []layers.DenseOption
			if bias {
				opts = append(opts, layers.WithBias())
			}
			switch kind {
			case KindConv:
				h = layers.Conv(b, name, sizes[j], h, act)
			case KindDeepLinear:
				h = layers.Linear(b, name, sizes[j], h, opts...)
			default:
				h = layers.Dense(b, name, sizes[j], h, act, opts...)
			}
		}
		return h, b.Err()
	}, nil
}

// Net builds the network: the architecture, its loss and regularisers.
func (s Spec) Net() (*graph.Net, error) {
	build, err := s.Build()
	if err != nil {
		return nil, err
	}
	_, _, loss, _ := s.resolve()
	net, err := graph.New(s.Sizes[0], build, loss, graph.Tikhonov(s.Tikhonov), graph.L1(s.L1))
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return net, nil
}

// MLP describes a dense feed-forward network with one activation on every
// layer and the l2 loss; change the fields of the result for other choices.
func MLP(activation string, sizes ...int) Spec {
	return Spec{Kind: KindMLP, Sizes: sizes, Activation: activation, Loss: "l2"}
}

// BodyFat is the seed paper's Section 6 network: J = 4 blocks, 13-10-10-10-1,
// logistic activations on every layer, l2 loss (16), no biases, no
// regularisation.
func BodyFat() Spec { return MLP("logistic", 13, 10, 10, 10, 1) }

// DeepLinear is a deep linear network (identity activations) with l2 loss,
// whose block problems are linear least squares (Section 5.2).
func DeepLinear(sizes ...int) Spec {
	return Spec{Kind: KindDeepLinear, Sizes: sizes, Loss: "l2"}
}

// Conv is a 1-D convolutional network: every block is constrained to the
// d_j×d_{j−1} Toeplitz matrices of circular convolution (Section 5.2).
func Conv(activation string, sizes ...int) Spec {
	return Spec{Kind: KindConv, Sizes: sizes, Activation: activation, Loss: "l2"}
}

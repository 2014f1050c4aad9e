package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bsum-go/bsum/graph"
	G "gorgonia.org/gorgonia"
)

// ToeplitzSet is the linear subspace of Rows×Cols matrices that perform a
// circular convolution with stride 1 (the seed paper's Section 5.2):
//
//	W[r][c] = h[(r − c) mod Cols],   h ∈ R^Cols,
//
// so that, for x ∈ R^Cols,
//
//	(W x)[r] = Σ_c h[(r − c) mod n] x[c] = (h ⊛ x)[r mod n],  n = Cols,
//
// where (h ⊛ x)[k] = Σ_j h[j] x[(k − j) mod n] is the circular convolution
// of the filter h with x. For Rows < Cols the output is the first Rows
// entries of h ⊛ x; for Rows > Cols it repeats periodically. Entries are
// constant along wrapped diagonals, so every such matrix is Toeplitz (the
// paper's T_j); the subspace has Cols free parameters (a general, non-wrapped
// Toeplitz matrix would have Rows + Cols − 1). It is a linear subspace (the
// paper says affine, which it also is).
//
// Each row of W meets every wrapped diagonal (equivalence class
// m = (r − c) mod Cols) exactly once, so every class has Rows entries and
// the Euclidean projection replaces each entry by the mean of its class.
type ToeplitzSet struct{ Rows, Cols int }

var _ graph.Set = ToeplitzSet{}

func (s ToeplitzSet) check(w []float64) {
	if s.Rows <= 0 || s.Cols <= 0 || len(w) != s.Rows*s.Cols {
		panic(fmt.Sprintf("layers: ToeplitzSet %d×%d used with %d weights", s.Rows, s.Cols, len(w)))
	}
}

// Filter returns the filter h ∈ R^Cols of the projection of w (row-major
// Rows×Cols): h[m] is the mean of the entries of w on the wrapped diagonal
// (r − c) mod Cols = m. For w in the subspace it is w's filter. It panics
// if len(w) ≠ Rows·Cols.
func (s ToeplitzSet) Filter(w []float64) []float64 {
	s.check(w)
	n := s.Cols
	h := make([]float64, n)
	for r := 0; r < s.Rows; r++ {
		row := w[r*n : (r+1)*n]
		m := r % n // class of (r, 0)
		for _, v := range row {
			h[m] += v
			if m--; m < 0 {
				m = n - 1
			}
		}
	}
	inv := 1 / float64(s.Rows)
	for i := range h {
		h[i] *= inv
	}
	return h
}

// Expand writes the matrix W[r][c] = h[(r − c) mod Cols] into w (row-major
// Rows×Cols). It panics if len(h) ≠ Cols or len(w) ≠ Rows·Cols.
func (s ToeplitzSet) Expand(h, w []float64) {
	s.check(w)
	if len(h) != s.Cols {
		panic(fmt.Sprintf("layers: ToeplitzSet %d×%d: filter has %d entries, want %d", s.Rows, s.Cols, len(h), s.Cols))
	}
	n := s.Cols
	for r := 0; r < s.Rows; r++ {
		row := w[r*n : (r+1)*n]
		m := r % n
		for c := range row {
			row[c] = h[m]
			if m--; m < 0 {
				m = n - 1
			}
		}
	}
}

// Project overwrites w with its Euclidean projection onto the subspace:
// every entry becomes the mean of its wrapped diagonal. It panics if
// len(w) ≠ Rows·Cols (a wiring error: graph.Net only passes the block it was
// declared with).
func (s ToeplitzSet) Project(w []float64) { s.Expand(s.Filter(w), w) }

// String names the set.
func (s ToeplitzSet) String() string {
	return fmt.Sprintf("circular-convolution Toeplitz %d×%d", s.Rows, s.Cols)
}

// ToeplitzGlorot is a graph.Initializer that starts on the circular
// convolution subspace: it draws the Cols filter taps from N(0, 2/(rows+cols))
// (Glorot's variance) and expands them, so every entry has Glorot's variance.
// (Drawing a dense Glorot matrix and projecting would also land on the
// subspace, but averaging Rows independent entries shrinks the taps' standard
// deviation by √Rows.)
func ToeplitzGlorot(rng *rand.Rand, rows, cols int, w []float64) {
	sd := math.Sqrt(2 / float64(rows+cols))
	h := make([]float64, cols)
	for i := range h {
		h[i] = sd * rng.NormFloat64()
	}
	ToeplitzSet{Rows: rows, Cols: cols}.Expand(h, w)
}

// Conv declares a circular-convolution layer act(W·x): a Dense layer whose
// out×in block is constrained to ToeplitzSet{out, in} (graph.WithSet) and
// initialised on it by ToeplitzGlorot. x is in×B. Errors are sticky as for
// Dense. Options: WithBlockOptions may replace the initializer; WithBias is
// rejected, since a bias column is not part of the convolution subspace.
func Conv(b *graph.Builder, name string, out int, x *G.Node, act Activation, opts ...DenseOption) *G.Node {
	in, _, ok := checkInput(b, "conv", name, out, x, act)
	if !ok {
		return nil
	}
	cfg := denseConfig{block: []graph.BlockOption{
		graph.WithSet(ToeplitzSet{Rows: out, Cols: in}),
		graph.WithInit(ToeplitzGlorot),
	}}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.bias {
		b.Fail(fmt.Errorf("layers: conv layer %q: WithBias is not supported (the bias column is not on the Toeplitz subspace): %w", name, graph.ErrArgument))
		return nil
	}
	cfg.block = append(cfg.block, graph.WithSet(ToeplitzSet{Rows: out, Cols: in})) // the set cannot be overridden
	return layer(b, "conv", name, out, x, act, cfg)
}

// LinearSubspace marks the circular-convolution matrices as a linear
// subspace (graph.Subspace): Project is the orthogonal projector onto it.
func (ToeplitzSet) LinearSubspace() {}

var _ graph.Subspace = ToeplitzSet{}

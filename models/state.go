package models

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
)

// ErrMismatch is wrapped by a *MismatchError: saved weights that do not
// fit a network.
var ErrMismatch = errors.New("saved weights do not match the network")

// BlockInfo describes one saved weight block W_j: its name, its shape
// (rows×cols, stored row-major) and the regularisers it was trained with.
type BlockInfo struct {
	// Name is the block's name in the network (graph.Builder.Weight).
	Name string `json:"name"`
	// Rows and Cols are d_j and d_{j−1} (d_{j−1}+1 with a folded bias).
	Rows int `json:"rows"`
	Cols int `json:"cols"`
	// Tikhonov and L1 are the block's λ_j (graph.Block.Tikhonov, L1).
	Tikhonov float64 `json:"tikhonov,omitempty"`
	L1       float64 `json:"l1,omitempty"`
}

// Size is the number of weights in the block.
func (b BlockInfo) Size() int { return b.Rows * b.Cols }

func (b BlockInfo) shape() string { return fmt.Sprintf("%d×%d", b.Rows, b.Cols) }

// blockInfos describes the blocks of a network.
func blockInfos(net *graph.Net) []BlockInfo {
	blocks := net.Blocks()
	out := make([]BlockInfo, len(blocks))
	for j, b := range blocks {
		out[j] = BlockInfo{Name: b.Name, Rows: b.Rows, Cols: b.Cols, Tikhonov: b.Tikhonov, L1: b.L1}
	}
	return out
}

// ShapeMismatch is a block whose saved shape differs from the network's.
type ShapeMismatch struct {
	// Name is the block's name.
	Name string
	// Saved and Net are the shapes as rows, cols.
	Saved, Net [2]int
}

// MismatchError says exactly how saved weights differ from a network, in
// the manner of PyTorch's strict load_state_dict: blocks the network
// declares that the file lacks, blocks in the file that the network does
// not declare, blocks whose shapes differ, and other differences (input
// and output sizes, the loss, regularisers). Test for it with errors.As;
// it wraps ErrMismatch.
type MismatchError struct {
	// Missing are blocks of the network absent from the saved weights.
	Missing []string
	// Unexpected are saved blocks the network does not declare.
	Unexpected []string
	// Shapes are blocks present on both sides with different shapes.
	Shapes []ShapeMismatch
	// Other lists further differences, one sentence each.
	Other []string
}

func (e *MismatchError) empty() bool {
	return len(e.Missing) == 0 && len(e.Unexpected) == 0 && len(e.Shapes) == 0 && len(e.Other) == 0
}

// Error lists every difference.
func (e *MismatchError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing from the file: "+quote.List(e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected in the file (the network has no such block): "+quote.List(e.Unexpected))
	}
	for _, s := range e.Shapes {
		parts = append(parts, fmt.Sprintf("block %s is %d×%d in the file, %d×%d in the network", quote.Quote(s.Name), s.Saved[0], s.Saved[1], s.Net[0], s.Net[1]))
	}
	parts = append(parts, e.Other...)
	return "models: the saved weights do not match the network: " + strings.Join(parts, "; ")
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// matchBlocks maps saved blocks onto the network's by name. perm[j] is the
// index in saved of the network's block j. The error (nil if none) lists
// missing, unexpected and misshapen blocks.
func matchBlocks(saved []BlockInfo, net *graph.Net) (perm []int, mis *MismatchError) {
	return matchByName(saved, net.Blocks())
}

// matchByName maps saved blocks onto blocks by name (see matchBlocks).
func matchByName(saved []BlockInfo, blocks []graph.Block) (perm []int, mis *MismatchError) {
	mis = &MismatchError{}
	index := make(map[string]int, len(saved))
	for i, b := range saved {
		index[b.Name] = i
	}
	perm = make([]int, len(blocks))
	used := make([]bool, len(saved))
	for j, b := range blocks {
		i, ok := index[b.Name]
		if !ok {
			mis.Missing = append(mis.Missing, b.Name)
			continue
		}
		perm[j], used[i] = i, true
		if s := saved[i]; s.Rows != b.Rows || s.Cols != b.Cols {
			mis.Shapes = append(mis.Shapes, ShapeMismatch{Name: b.Name, Saved: [2]int{s.Rows, s.Cols}, Net: [2]int{b.Rows, b.Cols}})
		}
	}
	for i, b := range saved {
		if !used[i] {
			mis.Unexpected = append(mis.Unexpected, b.Name)
		}
	}
	if mis.empty() {
		return perm, nil
	}
	return perm, mis
}

// checkBlocks validates saved blocks and their weights: unique non-empty
// names, positive shapes, one finite value per entry. Errors wrap sentinel
// (ErrModelFile or ErrNPZ).
func checkBlocks(blocks []BlockInfo, w graph.Weights, sentinel error) error {
	if len(blocks) == 0 {
		return fmt.Errorf("models: no weight blocks: %w", sentinel)
	}
	if len(w) != len(blocks) {
		return fmt.Errorf("models: %d blocks but %d weight arrays: %w", len(blocks), len(w), sentinel)
	}
	seen := make(map[string]bool, len(blocks))
	for j, b := range blocks {
		if b.Name == "" {
			return fmt.Errorf("models: block %d has no name: %w", j+1, sentinel)
		}
		if seen[b.Name] {
			return fmt.Errorf("models: block %s saved twice: %w", quote.Quote(b.Name), sentinel)
		}
		seen[b.Name] = true
		if b.Rows <= 0 || b.Cols <= 0 || b.Rows > maxDim || b.Cols > maxDim || b.Rows*b.Cols > maxWeights {
			return fmt.Errorf("models: block %s has shape %s: %w", quote.Quote(b.Name), b.shape(), sentinel)
		}
		if len(w[j]) != b.Size() {
			return fmt.Errorf("models: block %s is %s but has %d weights: %w", quote.Quote(b.Name), b.shape(), len(w[j]), sentinel)
		}
		if !graph.Weights([][]float64{w[j]}).AllFinite() {
			return fmt.Errorf("models: block %s has a non-finite weight: %w", quote.Quote(b.Name), sentinel)
		}
		if !(b.Tikhonov >= 0) || !(b.L1 >= 0) || b.Tikhonov > maxFloat || b.L1 > maxFloat {
			return fmt.Errorf("models: block %s has regulariser λ (Tikhonov %v, L1 %v), want finite ≥ 0: %w", quote.Quote(b.Name), b.Tikhonov, b.L1, sentinel)
		}
	}
	return nil
}

// Limits on what a file may declare, so that a corrupted shape cannot make
// a reader allocate without bound.
const (
	maxDim     = 1 << 24
	maxWeights = 1 << 28
	maxFloat   = 1.7976931348623157e308
)

// weightsFor returns the saved weights in the network's block order,
// checking names and shapes.
func weightsFor(saved []BlockInfo, w graph.Weights, net *graph.Net) (graph.Weights, error) {
	perm, mis := matchBlocks(saved, net)
	if mis != nil {
		return nil, mis
	}
	out := make(graph.Weights, len(perm))
	for j, i := range perm {
		out[j] = append([]float64(nil), w[i]...)
	}
	return out, nil
}

package models

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/layers"
)

func TestSpecs(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		blocks []string
		sizes  []int // block sizes
		chain  bool
	}{
		{"bodyfat", BodyFat(), []string{"W1", "W2", "W3", "W4"}, []int{130, 100, 100, 10}, true},
		{"mlp-bias", Spec{Sizes: []int{3, 4, 2}, Activation: "tanh", Output: "identity", Bias: true, Loss: "l2"}, []string{"W1", "W2"}, []int{16, 10}, true},
		{"deep-linear", DeepLinear(3, 3, 2), []string{"W1", "W2"}, []int{9, 6}, true},
		{"conv", Conv("softplus", 8, 8, 4), []string{"W1", "W2"}, []int{64, 32}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := tc.spec.Net()
			require.NoError(t, err)
			var names []string
			var sizes []int
			for _, b := range net.Blocks() {
				names = append(names, b.Name)
				sizes = append(sizes, b.Size())
			}
			assert.Equal(t, tc.blocks, names)
			assert.Equal(t, tc.sizes, sizes)
			_, ok := net.Chain()
			assert.Equal(t, tc.chain, ok)
		})
	}
}

func TestConvWeightsStartToeplitz(t *testing.T) {
	net, err := Conv("softplus", 6, 6, 3).Net()
	require.NoError(t, err)
	w := net.Init(rand.New(rand.NewPCG(1, 1)))
	for j, b := range net.Blocks() {
		proj := append([]float64(nil), w[j]...)
		layers.ToeplitzSet{Rows: b.Rows, Cols: b.Cols}.Project(proj)
		assert.InDeltaSlice(t, w[j], proj, 1e-15, "block %s starts on the subspace", b.Name)
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		msg  string
	}{
		{Spec{Sizes: []int{3}}, "need d0"},
		{Spec{Sizes: []int{3, 0}}, "size 0"},
		{Spec{Sizes: []int{3, 1}, Activation: "nope"}, "nope"},
		{Spec{Sizes: []int{3, 1}, Loss: "nope"}, "nope"},
		{Spec{Sizes: []int{3, 1}, Kind: "rnn"}, "unknown kind"},
		{Spec{Sizes: []int{3, 1}, Tikhonov: -1}, "must be ≥ 0"},
		{Spec{Kind: KindConv, Sizes: []int{3, 1}, Bias: true}, "no bias"},
	}
	for _, tc := range tests {
		err := tc.spec.Validate()
		require.Error(t, err, "%+v", tc.spec)
		assert.Contains(t, err.Error(), tc.msg)
	}
	_, err := ParseSizes("13-x-1")
	assert.ErrorIs(t, err, ErrSpec)
	s, err := ParseSizes("13-10-10-10-1")
	require.NoError(t, err)
	assert.Equal(t, []int{13, 10, 10, 10, 1}, s)
}

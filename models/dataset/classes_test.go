package dataset

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArgmaxColumns(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		m       []float64
		rows, n int
		want    []int
	}{
		{"one row", []float64{3, -1}, 1, 2, []int{0, 0}},
		{"3×4", []float64{
			0.1, 0.7, 0.2, 5,
			0.8, 0.1, 0.2, 5,
			0.1, 0.2, 0.6, -1}, 3, 4, []int{1, 0, 2, 0}},
		{"ties go first", []float64{1, 2, 1, 2}, 2, 2, []int{0, 0}},
		{"NaN skipped", []float64{nan, 1, 0.5, nan, 0.2, 0}, 3, 2, []int{1, 0}},
		{"all NaN", []float64{nan, nan}, 2, 1, []int{0}},
		{"-Inf and +Inf", []float64{math.Inf(-1), 0, math.Inf(1), 1}, 2, 2, []int{1, 1}},
		{"no columns", []float64{}, 3, 0, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ArgmaxColumns(tc.m, tc.rows, tc.n))
		})
	}
	assert.Panics(t, func() { ArgmaxColumns([]float64{1, 2, 3}, 2, 2) })
	assert.Panics(t, func() { ArgmaxColumns(nil, 0, 0) })
}

func TestSetLabelsFashion(t *testing.T) {
	train, _, err := FashionMNIST(FashionMNISTOptions{Dir: fakeFashion(t, 13, 2)})
	require.NoError(t, err)
	labels := train.Labels()
	require.Len(t, labels, 13)
	for j, l := range labels {
		assert.Equal(t, j%10, l)
	}
}

func TestConfusion(t *testing.T) {
	truth := []int{0, 0, 1, 2, 2, 2}
	pred := []int{0, 1, 1, 2, 0, 2}
	c, err := Confusion(truth, pred, 3)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 1, 0}, {0, 1, 0}, {1, 0, 2}}, c)
	tests := []struct {
		name        string
		truth, pred []int
		k           int
		has         string
	}{
		{"lengths", []int{0}, []int{0, 1}, 2, "1 true classes, 2 predictions"},
		{"no classes", nil, nil, 0, "0 classes"},
		{"truth out of range", []int{0, 3}, []int{0, 0}, 3, "sample 1: class 3 predicted as 0"},
		{"prediction negative", []int{0}, []int{-1}, 3, "sample 0: class 0 predicted as -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Confusion(tc.truth, tc.pred, tc.k)
			assert.ErrorContains(t, err, tc.has)
		})
	}
}

package losses

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestFamilyDerivatives checks each derivative order of every pointwise
// family against central differences of the order below.
func TestFamilyDerivatives(t *testing.T) {
	cases := []struct {
		fam family
		xs  []float64
		ys  []float64
		max int
	}{
		{famSoftplus, []float64{-30, -5, -0.7, 0, 0.3, 2, 12, 30}, []float64{0}, 4},
		{famSqPlus, []float64{-2, -0.3, 0.2, 0.9, 3}, []float64{0}, 4},
		{famBCE, []float64{0.01, 0.2, 0.5, 0.77, 0.99}, []float64{0, 0.3, 1}, 5},
	}
	for _, c := range cases {
		for k := 1; k <= c.max; k++ {
			for _, x := range c.xs {
				for _, y := range c.ys {
					eps := 1e-6 * math.Max(1, math.Abs(x))
					if c.fam == famBCE {
						eps = 1e-7 * x * (1 - x)
					}
					fd := (c.fam.eval(k-1, x+eps, y) - c.fam.eval(k-1, x-eps, y)) / (2 * eps)
					got := c.fam.eval(k, x, y)
					assert.InDelta(t, fd, got, 1e-6*math.Max(1, math.Abs(fd)), "%v order %d at x=%v y=%v", c.fam, k, x, y)
				}
			}
		}
	}
	// Values and tails.
	assert.Equal(t, 800.0, famSoftplus.eval(0, 800, 0))
	assert.Equal(t, math.Exp(-800), famSoftplus.eval(0, -800, 0))
	assert.InDelta(t, math.Log(2), famSoftplus.eval(0, 0, 0), 1e-16)
	assert.Equal(t, 1.0, famSoftplus.eval(1, 800, 0))
	assert.Equal(t, 0.0, famSoftplus.eval(2, 800, 0))
	assert.InDelta(t, 16+math.Log1p(math.Exp(-16)), famSoftplus.eval(0, 16, 0), 1e-15)
	assert.Equal(t, 0.0, famBCE.eval(0, 0, 0), "0·log 0 is 0")
	assert.Equal(t, 0.0, famBCE.eval(0, 1, 1), "0·log 0 is 0")
	assert.True(t, math.IsInf(famBCE.eval(0, 0, 1), 1))
	assert.Equal(t, 1.0, famBCE.eval(1, 0, 0))
	assert.Equal(t, 1.0, famBCE.eval(2, 0, 0))
	assert.Equal(t, 0.0, famSqPlus.eval(3, 2, 0))
}

func TestPointwiseOpDo(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{-800, 0, 3, 800}))
	v, err := pointwiseOp{fam: famSoftplus}.Do(x)
	require.NoError(t, err)
	assert.Equal(t, []float64{math.Exp(-800), math.Log(2), 3 + math.Log1p(math.Exp(-3)), 800}, v.Data())
	assert.Equal(t, tensor.Shape{2, 2}, v.Shape())

	// A transposed view is materialised first.
	xt := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	require.NoError(t, xt.T())
	v, err = pointwiseOp{fam: famSqPlus}.Do(xt)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 16, 4, 25, 9, 36}, v.Data())

	f := G.F64(-2)
	v, err = pointwiseOp{fam: famSqPlus, order: 1}.Do(&f)
	require.NoError(t, err)
	assert.Equal(t, 0.0, float64(*v.(*G.F64)))

	_, err = pointwiseOp{fam: famBCE}.Do(x)
	assert.Error(t, err, "bce needs two operands")
	x32 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	_, err = pointwiseOp{fam: famSoftplus}.Do(x32)
	assert.Error(t, err)

	m, err := colMaxOp{}.Do(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, -5, 3, 2, -7, 0})))
	require.NoError(t, err)
	assert.Equal(t, []float64{2, -5, 3}, m.Data())
	assert.Equal(t, tensor.Shape{1, 3}, m.Shape())

	// Distinct families and orders hash differently (Gorgonia merges equal hashes).
	seen := map[uint32]string{}
	for _, fam := range []family{famSoftplus, famSqPlus, famBCE} {
		for k := 0; k < 4; k++ {
			op := pointwiseOp{fam: fam, order: k}
			s := fmt.Sprint(op)
			_, dup := seen[op.Hashcode()]
			assert.False(t, dup, s)
			seen[op.Hashcode()] = s
		}
	}
	_, err = pointwiseOp{fam: famSoftplus, order: 4}.SymDiff(nil, nil, nil)
	assert.Error(t, err)
}

package models_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/layers"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// TestResumedHistoryConcatenates trains 40 iterations in one run, and 20
// then 20 more after a save and a load; the second history continues the
// first (k = 21..40) and together they equal the single run's, bit for
// bit, as do the final weights. The methods are stateless between
// iterations (the step rule is a function of k), so the resumed run takes
// exactly the same decisions.
func TestResumedHistoryConcatenates(t *testing.T) {
	set, err := dataset.BodyFatRegression()
	require.NoError(t, err)
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}
	custom := func(b *graph.Builder, x *G.Node) (*G.Node, error) {
		h := layers.Dense(b, "W1", 6, x, layers.Tanh(), layers.WithBias())
		return layers.Dense(b, "W2", 1, h, layers.Logistic()), b.Err()
	}
	tests := []struct {
		name   string
		spec   *models.Spec
		method solvers.BSUM
	}{
		{"bodyfat spec, BP harmonic", ptrSpec(models.BodyFat()), solvers.BP(solvers.Harmonic{C: 1})},
		{"custom net, GD", nil, solvers.GD(2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newNet := func() *graph.Net {
				if tc.spec != nil {
					net, err := tc.spec.Net()
					require.NoError(t, err)
					return net
				}
				net, err := graph.New(set.In, custom, losses.L2(), graph.Tikhonov(1e-4))
				require.NoError(t, err)
				return net
			}
			net := newNet()
			w0 := net.Init(rand.New(rand.NewPCG(4, 4)))
			ctx := context.Background()
			whole, err := solvers.Minimize(ctx, net, data, w0, tc.method, solvers.Settings{MaxIter: 40})
			require.NoError(t, err)
			first, err := solvers.Minimize(ctx, net, data, w0, tc.method, solvers.Settings{MaxIter: 20})
			require.NoError(t, err)

			var m *models.Model
			if tc.spec != nil {
				m, err = models.NewModel(*tc.spec, first.Weights, set.Scaler)
			} else {
				m, err = models.FromNet(net, first.Weights, set.Scaler)
			}
			require.NoError(t, err)
			m.Iter = first.Last().K
			path := filepath.Join(t.TempDir(), "m.json")
			require.NoError(t, m.Save(path))

			var back *models.Model
			if tc.spec != nil {
				back, err = models.Load(path)
			} else {
				back, err = models.LoadNet(path, newNet())
			}
			require.NoError(t, err)
			w, start := back.Resume()
			assert.Equal(t, 21, start)
			second, err := solvers.Minimize(ctx, back.Net(), data, w, tc.method, solvers.Settings{StartIter: start, MaxIter: 40})
			require.NoError(t, err)

			joined := append(append([]solvers.Record(nil), first.History...), second.History...)
			require.Len(t, joined, len(whole.History))
			for i, r := range joined {
				want := whole.History[i]
				assert.Equal(t, i+1, r.K)
				assert.Equal(t, want.K, r.K)
				assert.Equal(t, want.Blocks, r.Blocks, "k=%d", r.K)
				assert.Equal(t, want.F, r.F, "k=%d", r.K)
				assert.Equal(t, want.NormMSE, r.NormMSE, "k=%d", r.K)
				assert.Equal(t, want.Alpha, r.Alpha, "k=%d", r.K)
			}
			assert.Equal(t, whole.Weights, second.Weights, "final weights bit for bit")
			assert.Less(t, whole.F, whole.History[0].F, "the runs made progress")
		})
	}
}

func ptrSpec(s models.Spec) *models.Spec { return &s }

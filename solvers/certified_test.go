package solvers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bsum-go/bsum/solvers"
)

func TestCertifiedNeedsFullBatchForLemma2(t *testing.T) {
	withBatches := func(m solvers.BSUM, b solvers.Batches) solvers.BSUM { m.Batches = b; return m }
	tests := []struct {
		name string
		m    solvers.BSUM
		want bool
		why  string
	}{
		{"LM full batch", solvers.LM(), true, ""},
		{"LM fixed batch", withBatches(solvers.LM(), solvers.FixedBatch(32)), false, "Lemma 2"},
		{"GD growing batch", withBatches(solvers.GD(1), solvers.GrowingBatch()), false, "B=min(k,N)"},
		{"HF fixed batch", withBatches(solvers.HessianFree(solvers.HFOptions{}), solvers.FixedBatch(64)), false, "full batch only"},
		{"BP harmonic mini-batch", withBatches(solvers.BP(solvers.Harmonic{C: 1}), solvers.FixedBatch(32)), true, ""},
		{"BP-CLR", solvers.BPCLR(0.1), false, "condition (8)"},
		{"AdaGrad", solvers.AdaGrad(0.1), false, "condition (8)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.m.Certified())
			why := tc.m.WhyUncertified()
			if tc.want {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tc.why)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each figure runs end to end (shortened), writes its PNG and CSV, and
// reports finite numbers and a verdict for every claim.
func TestFigures(t *testing.T) {
	iters := 120
	if testing.Short() {
		iters = 40
	}
	for _, fig := range []string{"2a", "2b", "a1"} {
		t.Run(fig, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Figure, cfg.Iters, cfg.Out = fig, iters, t.TempDir()
			var out bytes.Buffer
			sum, err := run(context.Background(), cfg, &out, io.Discard)
			require.NoError(t, err)
			require.NotEmpty(t, sum.Curves)
			for _, c := range sum.Curves {
				require.NoError(t, c.Err, c.Name)
				require.NotNil(t, c.Result, c.Name)
				assert.Len(t, c.Result.History, iters, c.Name)
				assert.False(t, math.IsNaN(c.Result.NormMSE) || math.IsInf(c.Result.NormMSE, 0), c.Name)
				assert.Less(t, c.Result.F, c.Result.History[0].F*1.5+1, c.Name)
			}
			require.NotEmpty(t, sum.Claims)
			for _, f := range sum.Files {
				st, err := os.Stat(f)
				require.NoError(t, err)
				assert.Greater(t, st.Size(), int64(100))
			}
			assert.Contains(t, out.String(), "claims of the paper's Section 6")
		})
	}
	cfg := defaultConfig()
	cfg.Figure = "3c"
	_, err := run(context.Background(), cfg, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "unknown figure")
}

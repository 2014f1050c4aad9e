package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/bsum-go/bsum/layers"
)

// TestRun trains both networks briefly and checks the constraint, the
// parameter counts, that training lowered f and that the convolutional
// network denoises the held-out signals.
func TestRun(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	cfg.NTest = 300
	cfg.LMIters, cfg.GDIters = 8, 800
	if testing.Short() {
		cfg.LMIters, cfg.GDIters = 4, 300
	}
	var buf bytes.Buffer
	sum, err := run(context.Background(), cfg, &buf)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	t.Log("\n" + buf.String())

	if sum.ConvFree != 2*cfg.Len || sum.ConvStored != 2*cfg.Len*cfg.Len || sum.DenseParams != 2*cfg.Len*cfg.Len {
		t.Errorf("parameters: conv %d free / %d stored, dense %d; want %d / %d / %d",
			sum.ConvFree, sum.ConvStored, sum.DenseParams, 2*cfg.Len, 2*cfg.Len*cfg.Len, 2*cfg.Len*cfg.Len)
	}
	if len(sum.Runs) != 4 {
		t.Fatalf("got %d runs, want 4", len(sum.Runs))
	}
	for i, r := range sum.Runs {
		name := r.Net + "/" + r.Solver
		for _, v := range []float64{r.F0, r.F, r.TrainNMSE, r.TestNMSE} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite value in %+v", name, r)
			}
		}
		if !(r.F < 0.2*r.F0) {
			t.Errorf("%s: f went from %g to %g, want at least a 5× decrease", name, r.F0, r.F)
		}
		if i%2 == 0 && r.Rises != 0 {
			t.Errorf("%s: LM's objective rose %d times; its damping accepts only decreasing steps", name, r.Rises)
		}
		conv := i < 2
		if conv {
			if !(r.MaxToeplitzDev <= 1e-12) {
				t.Errorf("%s: a constrained block is %g from the Toeplitz set, want ≤ 1e-12", name, r.MaxToeplitzDev)
			}
			if !(r.TestNMSE < 0.7*sum.NoDenoise) {
				t.Errorf("%s: test NMSE %g, want well below not denoising (%g)", name, r.TestNMSE, sum.NoDenoise)
			}
		} else {
			if !math.IsNaN(r.MaxToeplitzDev) {
				t.Errorf("%s: the dense network has no constrained block, got deviation %g", name, r.MaxToeplitzDev)
			}
			if !(r.DenseDev > 1e-3) {
				t.Errorf("%s: unconstrained first block is %g from the Toeplitz set; expected it to leave the set", name, r.DenseDev)
			}
		}
	}
	// Same solver, same budget: the 64-parameter convolutional network
	// generalises better than the 2048-parameter dense one.
	for i := 0; i < 2; i++ {
		if c, d := sum.Runs[i], sum.Runs[i+2]; !(c.TestNMSE < d.TestNMSE) {
			t.Errorf("%s: conv test NMSE %g, dense %g; want conv lower", c.Solver, c.TestNMSE, d.TestNMSE)
		}
	}

	if st, err := os.Stat(sum.PNG); err != nil || st.Size() == 0 {
		t.Errorf("plot %s missing or empty: %v", sum.PNG, err)
	}
	f, err := os.Open(sum.CSV)
	if err != nil {
		t.Fatalf("curves: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", sum.CSV, err)
	}
	if want := 1 + 2*(cfg.LMIters+cfg.GDIters); len(recs) != want {
		t.Errorf("%s has %d lines, want %d", sum.CSV, len(recs), want)
	}
	for _, rec := range recs[1:] {
		y, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
			t.Fatalf("%s: bad value in %v: %v", sum.CSV, rec, err)
		}
	}
}

// TestToeplitzDistance checks the measurement itself: zero on the set,
// positive off it.
func TestToeplitzDistance(t *testing.T) {
	s := layers.ToeplitzSet{Rows: 4, Cols: 4}
	w := make([]float64, s.Rows*s.Cols)
	s.Expand([]float64{1, 2, 3, 4}, w)
	if d := toeplitzDistance(s, w); d != 0 {
		t.Errorf("distance of a Toeplitz matrix = %g, want 0", d)
	}
	w[1] += 1
	if d := toeplitzDistance(s, w); !(d > 0.5) {
		t.Errorf("distance after perturbing one entry = %g, want > 0.5", d)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRun runs the example end to end and checks that exact block
// coordinate descent decreases f monotonically, that both methods end near
// the best value, and that the curves are written and finite.
func TestRun(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	if testing.Short() {
		cfg.BCDIters, cfg.GDIters, cfg.TryIters = 300, 2000, 200
	}
	var buf bytes.Buffer
	sum, err := run(context.Background(), cfg, &buf)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	t.Log("\n" + buf.String())

	if !strings.Contains(sum.Certificate, "affine") {
		t.Errorf("block W1 certificate %q, want the affine (deep linear) case", sum.Certificate)
	}
	bcd := sum.BCD
	if len(bcd.History) != cfg.BCDIters {
		t.Fatalf("ExactBCD ran %d iterations, want %d", len(bcd.History), cfg.BCDIters)
	}
	prev := bcd.F0
	for k, f := range bcd.History {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			t.Fatalf("ExactBCD f(%d) = %v", k+1, f)
		}
		if f > prev*(1+1e-12) {
			t.Errorf("ExactBCD is not monotone: f(%d) = %.15g > f(%d) = %.15g", k+1, f, k, prev)
		}
		prev = f
	}
	if bcd.Rises != 0 {
		t.Errorf("ExactBCD reported %d rises", bcd.Rises)
	}
	if !(bcd.F < 0.05*bcd.F0) {
		t.Errorf("ExactBCD f went from %g to %g only", bcd.F0, bcd.F)
	}
	if !(sum.GD.F < 0.1*sum.GD.F0) {
		t.Errorf("GD f went from %g to %g only", sum.GD.F0, sum.GD.F)
	}
	// Per iteration, the exact block minimiser beats one gradient step.
	if k := min(len(bcd.History), len(sum.GD.History)) - 1; !(bcd.History[k] < sum.GD.History[k]) {
		t.Errorf("after %d iterations ExactBCD has f = %g, GD f = %g; want ExactBCD lower", k+1, bcd.History[k], sum.GD.History[k])
	}
	if !testing.Short() {
		// With the full budget both converge, ExactBCD in fewer iterations.
		if bcd.ItersTo == 0 || sum.GD.ItersTo == 0 || bcd.ItersTo >= sum.GD.ItersTo {
			t.Errorf("iterations to %g: ExactBCD %d, GD %d; want both reached and ExactBCD fewer", cfg.RelTol, bcd.ItersTo, sum.GD.ItersTo)
		}
	}
	if !(sum.L0 > 0) || !(sum.GD.Gamma > 0) {
		t.Errorf("L0 = %g, γ = %g, want positive", sum.L0, sum.GD.Gamma)
	}
	found := false
	for _, tr := range sum.Tries {
		if tr.Gamma == sum.GD.Gamma {
			found = !math.IsNaN(tr.F)
		}
	}
	if !found {
		t.Errorf("the chosen γ = %g is not a successful try in %+v", sum.GD.Gamma, sum.Tries)
	}

	for _, p := range []string{sum.PlotF, sum.PlotGap} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("plot %s missing or empty: %v", p, err)
		}
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
	if want := 1 + cfg.BCDIters + cfg.GDIters; len(recs) != want {
		t.Errorf("%s has %d lines, want %d", sum.CSV, len(recs), want)
	}
	for _, rec := range recs[1:] {
		y, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) || y <= 0 {
			t.Fatalf("%s: bad value in %v: %v", sum.CSV, rec, err)
		}
	}
}

// TestRunCanceled checks that a cancelled context stops the example with an
// error instead of a result.
func TestRunCanceled(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := run(ctx, cfg, new(bytes.Buffer)); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
}

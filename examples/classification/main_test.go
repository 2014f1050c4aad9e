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

// TestRun runs the example end to end with fewer iterations and checks
// that every run lowered the objective, beats the majority class on the
// held-out samples, and that the files exist and hold finite numbers.
func TestRun(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	cfg.LMIters, cfg.GDIters = 120, 1500
	if testing.Short() {
		cfg.LMIters, cfg.GDIters = 40, 400
	}
	var buf bytes.Buffer
	sum, err := run(context.Background(), cfg, &buf)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	t.Log("\n" + out)

	if len(sum.Rows) != 10 {
		t.Fatalf("got %d result rows, want 10 (5 losses × 2 solvers)", len(sum.Rows))
	}
	for _, r := range sum.Rows {
		name := r.Task + "/" + r.Loss + "/" + r.Solver
		for _, v := range []float64{r.F0, r.F, r.TrainAcc, r.TestAcc} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite value in %+v", name, r)
			}
		}
		if !(r.F < 0.7*r.F0) {
			t.Errorf("%s: f went from %g to %g, want a decrease by 30%% or more", name, r.F0, r.F)
		}
		chance, floor := sum.Chance2, 0.9
		if r.Task == "three-class" {
			chance, floor = sum.Chance3, 0.7
		}
		if r.TestAcc < floor || r.TestAcc < chance+0.2 {
			t.Errorf("%s: held-out accuracy %.3f, want ≥ %.2f and ≥ majority class %.3f + 0.2", name, r.TestAcc, floor, chance)
		}
		if r.TrainAcc < floor {
			t.Errorf("%s: training accuracy %.3f, want ≥ %.2f", name, r.TrainAcc, floor)
		}
		if strings.HasPrefix(r.Solver, "LM") && r.Rises != 0 {
			t.Errorf("%s: LM's objective rose %d times; its damping accepts only decreasing steps", name, r.Rises)
		}
		if !strings.Contains(out, r.Loss) {
			t.Errorf("report does not mention loss %s", r.Loss)
		}
	}
	if sum.Train2+sum.Test2 != cfg.N || sum.Test2 != cfg.N/4 {
		t.Errorf("two-class split %d/%d, want 75/25 of %d", sum.Train2, sum.Test2, cfg.N)
	}
	if sum.LogitsVsLogistic > 1e-6 {
		t.Errorf("cross-entropy with logits and logistic loss ended %g apart; they are the same function", sum.LogitsVsLogistic)
	}

	for _, png := range sum.PNGs {
		if st, err := os.Stat(png); err != nil || st.Size() == 0 {
			t.Errorf("plot %s missing or empty: %v", png, err)
		}
	}
	if len(sum.PNGs) != 2 {
		t.Errorf("got %d plots, want 2", len(sum.PNGs))
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
	want := 1 // header
	for _, r := range sum.Rows {
		want += r.Iters
	}
	if len(recs) != want {
		t.Errorf("%s has %d lines, want %d (header + one per iteration)", sum.CSV, len(recs), want)
	}
	for _, rec := range recs[1:] {
		y, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
			t.Fatalf("%s: bad value in %v: %v", sum.CSV, rec, err)
		}
	}
}

// TestRunRejectsBadConfig checks that an invalid configuration is an error,
// not a panic.
func TestRunRejectsBadConfig(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	cfg.GDGamma = 0
	if _, err := run(context.Background(), cfg, new(bytes.Buffer)); err == nil {
		t.Fatal("γ = 0 accepted")
	}
}

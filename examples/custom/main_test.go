package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/surrogate"
)

// TestRun trains the residual network briefly with every choice and checks
// the certificate verdict, the decrease of f and the written files.
func TestRun(t *testing.T) {
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	cfg.LMIters, cfg.BPIters = 60, 1000
	if testing.Short() {
		cfg.LMIters, cfg.BPIters = 30, 300
	}
	var buf bytes.Buffer
	sum, err := run(context.Background(), cfg, &buf)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	t.Log("\n" + out)

	if sum.Chain {
		t.Error("the residual graph was recognised as a plain chain")
	}
	if !strings.Contains(sum.CertifyReason, "not a verified chain") {
		t.Errorf("Certify reason %q, want the no-chain explanation", sum.CertifyReason)
	}
	if !errors.Is(sum.ExactBCDErr, surrogate.ErrNotCertified) {
		t.Errorf("ExactBCD error %v, want ErrNotCertified", sum.ExactBCDErr)
	}
	if want := []string{"W1 10×14", "W2 13×10", "W3 1×14"}; strings.Join(sum.Blocks, ",") != strings.Join(want, ",") {
		t.Errorf("blocks %v, want %v", sum.Blocks, want)
	}
	if len(sum.Rows) != len(choices) {
		t.Fatalf("got %d rows, want %d", len(sum.Rows), len(choices))
	}
	for _, r := range sum.Rows {
		if !strings.Contains(out, r.Line) {
			t.Errorf("the report does not print the line %q", r.Line)
		}
		for _, v := range []float64{r.F0, r.F, r.NormMSE, r.RMSE} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite value in %+v", r.Line, r)
			}
		}
		if !(r.F < r.F0) {
			t.Errorf("%s: f went from %g to %g", r.Line, r.F0, r.F)
		}
		// LM's damping and Armijo's rule accept only decreasing steps.
		if strings.Contains(r.Line, "LM") || strings.Contains(r.Line, "Armijo") {
			prev := r.F0
			for k, f := range r.History {
				if f > prev*(1+1e-12) {
					t.Errorf("%s: f rose at iteration %d: %.15g > %.15g", r.Line, k+1, f, prev)
					break
				}
				prev = f
			}
		}
	}
	lm, armijo := sum.Rows[0], sum.Rows[2]
	if !(lm.NormMSE < 0.2) {
		t.Errorf("LM normalised MSE %g, want < 0.2", lm.NormMSE)
	}
	if !(armijo.NormMSE < 0.5) {
		t.Errorf("BP Armijo normalised MSE %g, want < 0.5", armijo.NormMSE)
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
	if want := 1 + cfg.LMIters + 2*cfg.BPIters; len(recs) != want {
		t.Errorf("%s has %d lines, want %d", sum.CSV, len(recs), want)
	}
	for _, rec := range recs[1:] {
		y, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || math.IsNaN(y) || math.IsInf(y, 0) {
			t.Fatalf("%s: bad value in %v: %v", sum.CSV, rec, err)
		}
	}
}

// TestChoiceLinesMatchSource checks that each printed line is the source
// of the method call it labels (both in the package comment and in the
// choices table).
func TestChoiceLinesMatchSource(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range choices {
		call := strings.TrimPrefix(c.Line, "method := ")
		if n := strings.Count(string(src), "return "+call+" }"); n != 1 {
			t.Errorf("%q: found %d method functions returning %s, want 1", c.Line, n, call)
		}
		if !strings.Contains(string(src), "//\t"+c.Line+"\n") {
			t.Errorf("%q is not listed in the package comment", c.Line)
		}
	}
}

// TestResidualShapeErrors checks that a bad declaration is an error from
// graph.New, not a panic.
func TestResidualShapeErrors(t *testing.T) {
	if _, err := graph.New(13, residual(0), losses.L2()); !errors.Is(err, graph.ErrShape) {
		t.Errorf("hidden width 0: error %v, want graph.ErrShape", err)
	}
	cfg := defaultConfig()
	cfg.Out = t.TempDir()
	cfg.Hidden = 0
	if _, err := run(context.Background(), cfg, new(bytes.Buffer)); err == nil {
		t.Error("run accepted hidden width 0")
	}
}

//go:build mpi

package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"

	"github.com/bsum-go/bsum/models"
)

// savedRun is what compare and digest read from a model file: its weights
// and the objective f recorded in its metadata.
type savedRun struct {
	w [][]float64
	f float64
}

func loadRun(path string) (savedRun, error) {
	m, err := models.Load(path)
	if err != nil {
		return savedRun{}, err
	}
	f, err := strconv.ParseFloat(m.Meta["f"], 64)
	if err != nil {
		return savedRun{}, fmt.Errorf("%s: meta f %q: %w", path, m.Meta["f"], err)
	}
	return savedRun{w: m.Weights, f: f}, nil
}

// modelFiles runs compare or digest on args.
func modelFiles(mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	tol := fs.Float64("tol", 1e-12, "compare: largest relative difference allowed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if mode == "digest" {
		if fs.NArg() != 1 {
			return fmt.Errorf("want one model file, got %d", fs.NArg())
		}
		r, err := loadRun(fs.Arg(0))
		if err != nil {
			return err
		}
		h := fnv.New64a()
		var b [8]byte
		put := func(v float64) {
			u := math.Float64bits(v)
			for i := range b {
				b[i] = byte(u >> (8 * i))
			}
			h.Write(b[:])
		}
		n := 0
		for _, blk := range r.w {
			for _, v := range blk {
				put(v)
				n++
			}
		}
		put(r.f)
		fmt.Printf("%016x %d weights f=%.17g\n", h.Sum64(), n, r.f)
		return nil
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("want two model files, got %d", fs.NArg())
	}
	a, err := loadRun(fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := loadRun(fs.Arg(1))
	if err != nil {
		return err
	}
	if len(a.w) != len(b.w) {
		return fmt.Errorf("%d blocks against %d", len(a.w), len(b.w))
	}
	var worst float64
	for j := range a.w {
		if len(a.w[j]) != len(b.w[j]) {
			return fmt.Errorf("block %d: %d weights against %d", j+1, len(a.w[j]), len(b.w[j]))
		}
		for i, v := range a.w[j] {
			d := math.Abs(v-b.w[j][i]) / math.Max(1, math.Abs(v))
			if !(d <= worst) { // NaN counts as worst
				worst = d
			}
		}
	}
	df := math.Abs(a.f-b.f) / math.Abs(a.f)
	fmt.Printf("max relative weight difference %.3g, f difference %.3g (f %.17g against %.17g)\n", worst, df, a.f, b.f)
	if !(worst <= *tol) || !(df <= *tol) {
		return fmt.Errorf("differences exceed %g", *tol)
	}
	return nil
}

package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bsum-go/bsum/models"
)

// parseArch reads --arch: positive integer sizes separated by '-' (or ','),
// with no empty part, so that "2--3-1" and "2-3-1-" are refused rather than
// read as 2-3-1.
func parseArch(s string) ([]int, error) {
	t := strings.TrimSpace(s)
	sep := "-"
	if strings.Contains(t, ",") && !strings.Contains(t, "-") {
		sep = ","
	}
	parts := strings.Split(t, sep)
	for i, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%s: size %d of %d is empty; write the sizes as d0-d1-…-dJ, e.g. 13-10-1", q(s), i+1, len(parts))
		}
	}
	sizes, err := models.ParseSizes(t)
	if err != nil {
		return nil, err
	}
	if len(sizes) != len(parts) {
		return nil, fmt.Errorf("%s: mixes '-' and ','; write the sizes as d0-d1-…-dJ, e.g. 13-10-1", q(s))
	}
	return sizes, nil
}

// parseList splits a comma-separated flag value into trimmed items,
// refusing empty items ("a,,b", "a,") and repeated ones.
func parseList(flag, s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	seen := map[string]bool{}
	out := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, usageErrorf("%s %s: item %d of %d is empty; give comma-separated column names, e.g. %s area,rooms", flag, q(s), i+1, len(parts), flag)
		}
		if seen[p] {
			return nil, usageErrorf("%s %s: column %s is named twice", flag, q(s), q(p))
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}

// parseFloats reads a comma-separated list of numbers ("" is none).
func parseFloats(flag, s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usageErrorf("%s %s: %s is not a number", flag, q(s), q(strings.TrimSpace(p)))
		}
		out = append(out, v)
	}
	return out, nil
}

// memEstimate is the memory a training run is expected to need, in bytes,
// by part.
type memEstimate struct {
	weights, activations, curvature float64
}

func (m memEstimate) total() float64 { return m.weights + m.activations + m.curvature }

// Copies of the weights and of the per-sample layer values a run holds at
// once. The weights: current, last finite, gradient, direction, trial point
// and solver state; the activations: forward values, pre-activations and
// reverse-sweep deltas, and for the second-order solvers also the tangents
// of HVP / Gauss-Newton products. Measured on 2-20000-1 with N = 200
// (32 MB per copy): bp peaked at 182 MB RSS, lm at 481 MB.
const (
	weightCopies                = 8
	activationCopies            = 8
	secondOrderActivationCopies = 20
)

// estimateMemory estimates the memory of training a network of the given
// layer sizes (with biases if bias) on batches of b samples with the solver
// named solver and block rule jacobi (all blocks at once). Curvature
// matrices: the explicit p_j×p_j block matrix and its Cholesky factor, for
// the second-order solvers when p_j ≤ 1000 (their Cholesky limit; CG
// otherwise) and for exact-bcd always; with jacobi every block's at once.
func estimateMemory(sizes []int, bias bool, b, n int, solver string, jacobi bool) memEstimate {
	const f64 = 8
	var m memEstimate
	var maxCurv, sumCurv float64
	units := float64(sizes[0])
	for j := 1; j < len(sizes); j++ {
		in := float64(sizes[j-1])
		if bias {
			in++
		}
		p := float64(sizes[j]) * in
		m.weights += weightCopies * p * f64
		units += float64(sizes[j])
		explicit := false
		switch solver {
		case "lm", "lm-hessian":
			explicit = p <= 1000
		case "exact-bcd":
			explicit = true
		}
		if explicit {
			c := 2 * p * p * f64
			maxCurv = math.Max(maxCurv, c)
			sumCurv += c
		}
	}
	if solver == "adagrad" {
		m.weights += 2 * m.weights / weightCopies
	}
	copies := float64(activationCopies)
	switch solver {
	case "lm", "lm-hessian", "exact-bcd":
		copies = secondOrderActivationCopies
	}
	m.activations = copies * units * float64(b) * f64
	m.activations += 2 * float64(sizes[0]+sizes[len(sizes)-1]) * float64(n) * f64 // batch copies of X and Y
	m.curvature = maxCurv
	if jacobi {
		m.curvature = sumCurv
	}
	return m
}

// memAvailable returns the memory available to a new process in bytes
// (MemAvailable of /proc/meminfo) and whether it is known. Tests replace it.
var memAvailable = func() (float64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// checkMemory refuses a run whose estimated memory exceeds what the machine
// has available. Where the available memory is unknown (no /proc/meminfo)
// only estimates above maxAddressable are refused.
func checkMemory(est memEstimate) error {
	const maxAddressable = 1 << 47 // more than any machine's memory
	need := est.total()
	avail, known := memAvailable()
	detail := fmt.Sprintf("weights %s, activations %s, curvature matrices %s", bytesString(est.weights), bytesString(est.activations), bytesString(est.curvature))
	hint := "choose a smaller --arch or fewer data rows"
	if est.curvature > 0 {
		hint += ", or a solver without explicit curvature matrices (e.g. --solver bp)"
	}
	switch {
	case known && need > avail:
		return usageErrorf("this run needs about %s (%s) but the machine has %s available (MemAvailable in /proc/meminfo); %s",
			bytesString(need), detail, bytesString(avail), hint)
	case !known && need > maxAddressable:
		return usageErrorf("this run needs about %s (%s), more than any machine has (the available memory is unknown); %s",
			bytesString(need), detail, hint)
	}
	return nil
}

// bytesString formats a byte count with a binary unit.
func bytesString(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.3g %s", b, units[i])
}

// checkWritable checks that path can be created: it creates and removes a
// temporary file in path's folder.
func checkWritable(flag, path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("%s %s: folder %s does not exist; create it first", flag, path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageErrorf("%s %s is a folder; give a file name", flag, path)
	}
	f, err := os.CreateTemp(dir, ".bsum-check-*")
	if err != nil {
		return usageErrorf("%s %s: cannot write in folder %s: %w", flag, path, dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return usageErrorf("%s %s: cannot remove a test file from folder %s: %w", flag, path, dir, err)
	}
	return nil
}

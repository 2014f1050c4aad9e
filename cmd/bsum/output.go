package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/bsum-go/bsum/plots"
	"github.com/bsum-go/bsum/solvers"
)

// createTemp creates a new file in dir named .bsum-*ext with mode 0644
// (subject to the umask), like os.CreateTemp but readable by others as any
// file a user writes.
func createTemp(dir, ext string) (*os.File, error) {
	var last error
	for range 100 {
		name := filepath.Join(dir, ".bsum-"+strconv.FormatUint(rand.Uint64(), 36)+ext)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		last = err
	}
	return nil, last
}

// atomicWrite writes path through a temporary file in the same folder that
// is renamed over path once complete, so a crash or an error never leaves a
// half-written file. The file gets mode 0644, subject to the umask.
func atomicWrite(path string, write func(io.Writer) error) (err error) {
	tmp, err := createTemp(filepath.Dir(path), filepath.Ext(path))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// historyHeader names the columns of --history.
var historyHeader = []string{"k", "blocks", "block_names", "f", "nmse", "stationarity", "grad_norm", "alpha", "gamma", "batch", "elapsed_seconds"}

// validationHeader names the columns --history adds with --val-frac.
var validationHeader = []string{"val_loss", "val_metric"}

// writeHistory writes one CSV row per record. blocks are the indices of the
// updated blocks as in solvers.Record.Blocks (0-based: 0 is the first block,
// W1), separated by ';'; block_names are their names. With validation the
// rows end with the validation loss and metric (Record.ValLoss and
// ValMetric; NaN where no validation ran).
func writeHistory(w io.Writer, hist []solvers.Record, names []string, validation bool) error {
	cw := csv.NewWriter(w)
	header := historyHeader
	if validation {
		header = append(slices.Clone(historyHeader), validationHeader...)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, r := range hist {
		blocks := make([]string, len(r.Blocks))
		blockNames := make([]string, len(r.Blocks))
		for i, j := range r.Blocks {
			blocks[i] = strconv.Itoa(j)
			if j >= 0 && j < len(names) {
				blockNames[i] = names[j]
			}
		}
		row := []string{
			strconv.Itoa(r.K), strings.Join(blocks, ";"), strings.Join(blockNames, ";"), num(r.F), num(r.NormMSE),
			num(r.Stationarity), num(r.GradNorm), num(r.Alpha), num(r.Gamma),
			strconv.Itoa(r.Batch), num(r.Elapsed.Seconds()),
		}
		if validation {
			row = append(row, num(r.ValLoss), num(r.ValMetric))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// savePlot draws the normalised MSE per iteration on a log scale.
func savePlot(path string, f *trainFlags, s *trainSetup, hist []solvers.Record) (err error) {
	x := make([]float64, len(hist))
	y := make([]float64, len(hist))
	for i, r := range hist {
		x[i], y[i] = float64(r.K), r.NormMSE
	}
	fig := plots.Figure{
		Title:  fmt.Sprintf("%s on %s", s.method, f.data),
		XLabel: "iteration k",
		YLabel: "normalised MSE",
		LogY:   true,
		Series: []plots.Series{{Name: strings.ToLower(f.solver), X: x, Y: y}},
	}
	format, err := plots.FormatOf(path)
	if err != nil {
		return err
	}
	tmp, err := createTemp(filepath.Dir(path), filepath.Ext(path))
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	// Skipped points (f ≤ 0 or non-finite) are noted in the figure's caption.
	if _, err = fig.Encode(tmp, format, plots.Options{}); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// progress is the progress bar of a training run; the zero value (no bar)
// does nothing.
type progress struct {
	bar    *progressbar.ProgressBar
	max    int
	offset int // iterations done before this run (--init)
	last   time.Time
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a bar on w when w is a terminal and quiet is false.
func newProgress(w io.Writer, iters int, quiet bool) *progress {
	if quiet || !isTerminal(w) {
		return &progress{}
	}
	bar := progressbar.NewOptions(iters,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("training"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar, max: iters}
}

// update shows record r, at most ten times a second (and at the last
// iteration).
func (p *progress) update(r solvers.Record) {
	if p.bar == nil {
		return
	}
	k := r.K - p.offset
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || k >= p.max {
		p.last = now
		p.bar.Describe(fmt.Sprintf("f=%.4g nmse=%.4g", r.F, r.NormMSE))
		_ = p.bar.Set(min(k, p.max))
	}
}

// done removes the bar.
func (p *progress) done() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Clear()
	_ = p.bar.Exit()
}

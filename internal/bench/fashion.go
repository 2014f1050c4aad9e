package bench

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Sides of a Fashion-MNIST comparison (FashionRun.Side).
const (
	SideBsum  = "bsum"
	SideTorch = "torch"
)

// FashionTargets are the test accuracies whose training time the
// Fashion-MNIST comparison reports (issue 10 §5).
var FashionTargets = []float64{0.85, 0.88}

// FashionEpoch is the state of a Fashion-MNIST run at the end of an epoch.
type FashionEpoch struct {
	// Epoch is the number of passes over the training set so far (bsum's
	// may be slightly above an integer: its last batch of an epoch wraps
	// into the next one). Epoch 0 is the start.
	Epoch float64 `json:"epoch"`
	// TrainLoss is the mean batch objective over the epoch (NaN at epoch
	// 0; written as null in JSON).
	TrainLoss float64 `json:"-"`
	// TestAccuracy is the share of test images classified correctly.
	TestAccuracy float64 `json:"test_accuracy"`
	// TrainSeconds is the cumulative training time, test evaluations
	// excluded.
	TrainSeconds float64 `json:"train_seconds"`
}

// MarshalJSON writes TrainLoss as a number, or null when it is not finite
// (JSON has no NaN).
func (e FashionEpoch) MarshalJSON() ([]byte, error) {
	type plain FashionEpoch
	var loss *float64
	if !math.IsNaN(e.TrainLoss) && !math.IsInf(e.TrainLoss, 0) {
		loss = &e.TrainLoss
	}
	return json.Marshal(struct {
		plain
		TrainLoss *float64 `json:"train_loss"`
	}{plain(e), loss})
}

// FashionRun is one training run of one method with one seed on one side
// of the comparison, with the facts needed to read it. It is a plain
// value; not safe for concurrent mutation.
type FashionRun struct {
	// Side is SideBsum or SideTorch.
	Side string `json:"side"`
	// Method is bsum's -methods name, or "adam" for fashion.py.
	Method string `json:"method"`
	// Seed seeds the starting weights and the batch order.
	Seed uint64 `json:"seed"`
	// Threads is the thread setting the run was started with (GOMAXPROCS
	// and OPENBLAS_NUM_THREADS for bsum, --threads for fashion.py).
	Threads int `json:"threads"`
	// BLAS names the BLAS implementation and its threads as the program
	// itself reported them.
	BLAS string `json:"blas"`
	// Version is the Go or torch version.
	Version string `json:"version,omitempty"`
	// TrainN and TestN are the numbers of images used (0: unknown).
	TrainN int `json:"train_n,omitempty"`
	TestN  int `json:"test_n,omitempty"`
	// LoadStart and LoadEnd are the 1-minute load averages when the
	// program that made the run started and ended (-1: unknown).
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
	// Epochs are the epoch-end states in order.
	Epochs []FashionEpoch `json:"epochs"`
}

// SecondsPerEpoch is the median, over the epochs, of the training seconds
// per pass (Δ train seconds / Δ epoch between consecutive epoch ends, the
// first from the start at 0 s), so a single slow epoch on a shared machine
// does not move it. NaN without an epoch.
func (r FashionRun) SecondsPerEpoch() float64 {
	var per []float64
	prevE, prevT := 0.0, 0.0
	for _, p := range r.Epochs {
		if de := p.Epoch - prevE; de > 0 {
			per = append(per, (p.TrainSeconds-prevT)/de)
		}
		prevE, prevT = p.Epoch, p.TrainSeconds
	}
	return median(per)
}

// TimeTo is the training time at the first epoch end whose test accuracy
// is at least acc (epoch granularity on both sides), +Inf if none is.
func (r FashionRun) TimeTo(acc float64) float64 {
	for _, p := range r.Epochs {
		if p.TestAccuracy >= acc {
			return p.TrainSeconds
		}
	}
	return math.Inf(1)
}

// FinalAccuracy is the test accuracy after the last epoch (NaN without one).
func (r FashionRun) FinalAccuracy() float64 {
	if len(r.Epochs) == 0 {
		return math.NaN()
	}
	return r.Epochs[len(r.Epochs)-1].TestAccuracy
}

// ParseFashionCSV reads the epochs.csv that examples/fashion writes (one
// row per method, seed and epoch; columns found by their header names
// method, seed, epoch, test_accuracy, train_seconds and, if present,
// train_loss) into one FashionRun per method and seed, in the order they
// first appear, with Side SideBsum. Threads, BLAS and the loads are left
// for the caller.
func ParseFashionCSV(r io.Reader) ([]FashionRun, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("epochs.csv: empty")
		}
		return nil, fmt.Errorf("epochs.csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"method", "seed", "epoch", "test_accuracy", "train_seconds"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("epochs.csv: no %q column in header %q", need, strings.Join(head, ","))
		}
	}
	_, hasLoss := col["train_loss"]
	type key struct {
		method string
		seed   uint64
	}
	index := map[key]int{}
	var runs []FashionRun
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("epochs.csv: %w", err)
		}
		num := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[col[name]]), 64)
			if err != nil {
				return 0, fmt.Errorf("epochs.csv line %d: %s: %w", line, name, err)
			}
			return v, nil
		}
		seed, err := strconv.ParseUint(strings.TrimSpace(rec[col["seed"]]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("epochs.csv line %d: seed: %w", line, err)
		}
		var e FashionEpoch
		if e.Epoch, err = num("epoch"); err != nil {
			return nil, err
		}
		if e.TestAccuracy, err = num("test_accuracy"); err != nil {
			return nil, err
		}
		if e.TrainSeconds, err = num("train_seconds"); err != nil {
			return nil, err
		}
		e.TrainLoss = math.NaN()
		if hasLoss {
			if e.TrainLoss, err = num("train_loss"); err != nil {
				return nil, err
			}
		}
		if err := checkEpoch(e); err != nil {
			return nil, fmt.Errorf("epochs.csv line %d: %w", line, err)
		}
		k := key{strings.TrimSpace(rec[col["method"]]), seed}
		if k.method == "" {
			return nil, fmt.Errorf("epochs.csv line %d: empty method", line)
		}
		i, ok := index[k]
		if !ok {
			i = len(runs)
			index[k] = i
			runs = append(runs, FashionRun{Side: SideBsum, Method: k.method, Seed: seed, LoadStart: -1, LoadEnd: -1})
		}
		if n := len(runs[i].Epochs); n > 0 && !(e.Epoch > runs[i].Epochs[n-1].Epoch) {
			return nil, fmt.Errorf("epochs.csv line %d: %s seed %d: epoch %g after %g", line, k.method, seed, e.Epoch, runs[i].Epochs[n-1].Epoch)
		}
		runs[i].Epochs = append(runs[i].Epochs, e)
	}
	if len(runs) == 0 {
		return nil, errors.New("epochs.csv: no rows")
	}
	return runs, nil
}

// checkEpoch refuses values no run can have.
func checkEpoch(e FashionEpoch) error {
	switch {
	case !(e.Epoch >= 0) || math.IsInf(e.Epoch, 0):
		return fmt.Errorf("epoch %g", e.Epoch)
	case !(e.TestAccuracy >= 0 && e.TestAccuracy <= 1):
		return fmt.Errorf("test accuracy %g outside [0, 1]", e.TestAccuracy)
	case !(e.TrainSeconds >= 0) || math.IsInf(e.TrainSeconds, 0):
		return fmt.Errorf("training seconds %g", e.TrainSeconds)
	}
	return nil
}

// torchRecord is the part of a fashion.py JSON line that is read.
type torchRecord struct {
	Name         *string `json:"name"`
	Seed         uint64  `json:"seed"`
	Threads      int     `json:"threads"`
	TorchVersion string  `json:"torch_version"`
	TrainN       int     `json:"train_n"`
	TestN        int     `json:"test_n"`
	BLASInfo     struct {
		Summary string `json:"summary"`
	} `json:"blas_info"`
	Epochs []struct {
		Epoch        *float64 `json:"epoch"`
		TrainLoss    *float64 `json:"train_loss"`
		TestAccuracy *float64 `json:"test_accuracy"`
		TrainSeconds *float64 `json:"train_seconds"`
	} `json:"epochs"`
}

// ParseFashionTorch reads the standard output of
// internal/bench/pytorch/fashion.py: the human-readable lines are
// skipped, and every line starting with "{" must be a JSON record (name
// "fashion-<method>", one per seed) and becomes a FashionRun with Side
// SideTorch, its method (e.g. "adam"), seed, threads, torch version, the
// BLAS summary fashion.py found (library, kernels, threads) and its
// epochs. The loads are left for the caller.
func ParseFashionTorch(r io.Reader) ([]FashionRun, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<24)
	var runs []FashionRun
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(text, "{") {
			continue
		}
		var rec torchRecord
		if err := json.Unmarshal([]byte(text), &rec); err != nil {
			return nil, fmt.Errorf("fashion.py output line %d: %w", line, err)
		}
		if rec.Name == nil || !strings.HasPrefix(*rec.Name, "fashion-") {
			return nil, fmt.Errorf("fashion.py output line %d: record without a \"fashion-…\" name", line)
		}
		run := FashionRun{Side: SideTorch, Method: strings.TrimPrefix(*rec.Name, "fashion-"), Seed: rec.Seed, Threads: rec.Threads,
			BLAS: rec.BLASInfo.Summary, Version: "torch " + rec.TorchVersion, TrainN: rec.TrainN, TestN: rec.TestN,
			LoadStart: -1, LoadEnd: -1}
		for i, e := range rec.Epochs {
			if e.Epoch == nil || e.TestAccuracy == nil || e.TrainSeconds == nil {
				return nil, fmt.Errorf("fashion.py output line %d: epoch %d lacks epoch, test_accuracy or train_seconds", line, i)
			}
			fe := FashionEpoch{Epoch: *e.Epoch, TestAccuracy: *e.TestAccuracy, TrainSeconds: *e.TrainSeconds, TrainLoss: math.NaN()}
			if e.TrainLoss != nil {
				fe.TrainLoss = *e.TrainLoss
			}
			if err := checkEpoch(fe); err != nil {
				return nil, fmt.Errorf("fashion.py output line %d, epoch %d: %w", line, i, err)
			}
			if i > 0 && !(fe.Epoch > run.Epochs[i-1].Epoch) {
				return nil, fmt.Errorf("fashion.py output line %d: epoch %g after %g", line, fe.Epoch, run.Epochs[i-1].Epoch)
			}
			run.Epochs = append(run.Epochs, fe)
		}
		if len(run.Epochs) == 0 {
			return nil, fmt.Errorf("fashion.py output line %d: no epochs", line)
		}
		runs = append(runs, run)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fashion.py output: %w", err)
	}
	if len(runs) == 0 {
		return nil, errors.New("fashion.py output: no JSON record")
	}
	return runs, nil
}

// FashionRow is one line of the comparison table: the runs of one side,
// method and thread setting over their seeds.
type FashionRow struct {
	Side, Method, BLAS string
	Threads, Seeds     int
	// SecondsPerEpoch and FinalAccuracy are medians over the seeds.
	SecondsPerEpoch, FinalAccuracy float64
	// TimeTo[i] is the median over the seeds of the time to
	// FashionTargets[i] (+Inf when the median seed did not reach it) and
	// Reached[i] the number of seeds that reached it.
	TimeTo  []float64
	Reached []int
	// LoadStart and LoadEnd are the first run's load at its start and the
	// last run's at its end.
	LoadStart, LoadEnd float64
}

// SummarizeFashion groups runs by side, method and threads, in the order
// they first appear, and takes medians over the seeds.
func SummarizeFashion(runs []FashionRun) []FashionRow {
	type key struct {
		side, method string
		threads      int
	}
	index := map[key]int{}
	var groups [][]FashionRun
	for _, r := range runs {
		k := key{r.Side, r.Method, r.Threads}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	rows := make([]FashionRow, len(groups))
	for i, g := range groups {
		row := FashionRow{Side: g[0].Side, Method: g[0].Method, BLAS: g[0].BLAS, Threads: g[0].Threads, Seeds: len(g),
			TimeTo: make([]float64, len(FashionTargets)), Reached: make([]int, len(FashionTargets)),
			LoadStart: g[0].LoadStart, LoadEnd: g[len(g)-1].LoadEnd}
		var spe, acc []float64
		for _, r := range g {
			spe = append(spe, r.SecondsPerEpoch())
			acc = append(acc, r.FinalAccuracy())
		}
		row.SecondsPerEpoch, row.FinalAccuracy = median(spe), median(acc)
		for t, target := range FashionTargets {
			var tt []float64
			for _, r := range g {
				v := r.TimeTo(target)
				if !math.IsInf(v, 1) {
					row.Reached[t]++
				}
				tt = append(tt, v)
			}
			row.TimeTo[t] = median(tt)
		}
		rows[i] = row
	}
	return rows
}

// WriteFashionTable prints rows as an aligned table whose BLAS column
// holds a key ([1], [2], …) into a legend of the full BLAS descriptions
// printed below it, then, when both sides are present, the best bsum value
// over the best torch value of seconds per epoch and of each time to
// target (below 1: bsum is faster). "—" marks a value the median seed did
// not reach (or an unknown one), k/n the seeds that reached a target.
func WriteFashionTable(w io.Writer, rows []FashionRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "side\tmethod\tthreads\tBLAS\tseeds\ts/epoch")
	for _, t := range FashionTargets {
		fmt.Fprintf(tw, "\tto %.2f (s)", t)
	}
	fmt.Fprint(tw, "\tfinal test acc\tload 1-min start→end\n")
	keys := map[string]int{}
	var legend []string
	for _, r := range rows {
		k, ok := keys[r.BLAS]
		if !ok {
			legend = append(legend, r.BLAS)
			k = len(legend)
			keys[r.BLAS] = k
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t[%d]\t%d\t%s", r.Side, r.Method, r.Threads, k, r.Seeds, fmtNum(r.SecondsPerEpoch, "%.3f"))
		for t := range FashionTargets {
			fmt.Fprintf(tw, "\t%s %d/%d", fmtNum(r.TimeTo[t], "%.2f"), r.Reached[t], r.Seeds)
		}
		fmt.Fprintf(tw, "\t%s\t%s→%s\n", fmtNum(r.FinalAccuracy, "%.4f"), fmtLoad(r.LoadStart), fmtLoad(r.LoadEnd))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("fashion table: %w", err)
	}
	for i, l := range legend {
		if l == "" {
			l = "unknown"
		}
		if _, err := fmt.Fprintf(w, "[%d] %s\n", i+1, l); err != nil {
			return fmt.Errorf("fashion table: %w", err)
		}
	}
	best := func(side string, f func(FashionRow) float64) float64 {
		b := math.Inf(1)
		for _, r := range rows {
			if v := f(r); r.Side == side && v < b {
				b = v
			}
		}
		return b
	}
	spe := func(r FashionRow) float64 { return r.SecondsPerEpoch }
	if math.IsInf(best(SideBsum, spe), 1) || math.IsInf(best(SideTorch, spe), 1) {
		return nil
	}
	parts := []string{"s/epoch " + fmtNum(best(SideBsum, spe)/best(SideTorch, spe), "%.3f")}
	for t, target := range FashionTargets {
		f := func(r FashionRow) float64 { return r.TimeTo[t] }
		ratio := best(SideBsum, f) / best(SideTorch, f)
		parts = append(parts, fmt.Sprintf("to %.2f %s", target, fmtNum(ratio, "%.3f")))
	}
	_, err := fmt.Fprintf(w, "best bsum / best torch (over methods and threads): %s\n", strings.Join(parts, ", "))
	if err != nil {
		return fmt.Errorf("fashion table: %w", err)
	}
	return nil
}

// fmtNum formats v, or "—" when it is NaN or infinite (not reached or
// unknown).
func fmtNum(v float64, format string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return fmt.Sprintf(format, v)
}

// fmtLoad formats a load average, "?" when unknown (negative).
func fmtLoad(v float64) string {
	if !(v >= 0) {
		return "?"
	}
	return fmt.Sprintf("%.2f", v)
}

// ParseFashionExampleLog reads the header examples/fashion prints to its
// standard output ("Fashion-MNIST: N training, M test images; …" and
// "Go …, GOMAXPROCS n, BLAS: …") and returns the BLAS description and
// the set sizes, each zero-valued when its line is missing.
func ParseFashionExampleLog(out string) (blas string, trainN, testN int) {
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Go "):
			if _, b, ok := strings.Cut(l, "BLAS: "); ok && blas == "" {
				blas = strings.TrimSpace(b)
			}
		case strings.HasPrefix(l, "Fashion-MNIST: ") && trainN == 0:
			var a, b int
			if n, _ := fmt.Sscanf(l, "Fashion-MNIST: %d training, %d test images", &a, &b); n == 2 && a >= 0 && b >= 0 {
				trainN, testN = a, b
			}
		}
	}
	return blas, trainN, testN
}

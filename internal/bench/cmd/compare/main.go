// Command compare runs bsum's speed and memory measurements and, when
// PyTorch is importable, the matching internal/bench/pytorch/bench.py
// subcommand, and prints both timings, the ratio bsum/PyTorch, the BLAS
// kernels and thread counts of each side, and the load average.
//
//	go run ./internal/bench/cmd/compare -what step-bodyfat
//	go run -tags openblas ./internal/bench/cmd/compare -what step-large -torch-blas openblas
//
//	go run -tags openblas ./internal/bench/cmd/compare -what fashion -epochs 10 -threads 1,2
//
// -what is step-bodyfat, step-large, tta, memory, ops, fashion or all (all
// leaves out fashion, the longest). -what fashion runs examples/fashion and
// internal/bench/pytorch/fashion.py as subprocesses (fashion.go). See
// internal/bench/README.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bsum-go/bsum/internal/bench"
	"github.com/bsum-go/bsum/models/dataset"
)

type config struct {
	what         string
	python       string
	benchPy      string
	reps         int
	steps        int
	warmup       int
	threads      int
	threadList   []int
	torchBLAS    string
	ttaBudget    time.Duration
	ttaMaxIter   int
	seeds        string
	memSteps     int
	largeN       int
	opsCount     int
	fashion      fashionConfig
	torchBLASSet bool
}

// BLAS library directories for PyTorch, pinned with LD_LIBRARY_PATH like
// pytorch/run.sh does, so the result does not depend on where the system's
// libblas.so.3 alternative points.
const (
	openblasDir = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
	refBLASDirs = "/usr/lib/x86_64-linux-gnu/blas:/usr/lib/x86_64-linux-gnu/lapack"
)

func main() {
	var c config
	flag.StringVar(&c.what, "what", "all", "step-bodyfat, step-large, tta, memory, ops, fashion or all (all but fashion)")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python interpreter with torch (skipped when torch is missing)")
	flag.StringVar(&c.benchPy, "bench-py", "", "path of bench.py (default: internal/bench/pytorch/bench.py of the module)")
	flag.IntVar(&c.reps, "reps", 0, "timed repetitions (default 7 for step-bodyfat, 3 for step-large)")
	flag.IntVar(&c.steps, "steps", 0, "steps per repetition (default 2000 for step-bodyfat, 1 for step-large)")
	flag.IntVar(&c.warmup, "warmup", -1, "untimed warm-up steps (default 200 for step-bodyfat, 1 for step-large)")
	threads := flag.String("threads", "1", "GOMAXPROCS, OpenBLAS threads and torch threads; -what fashion takes a comma-separated list (one run of each side per value)")
	flag.StringVar(&c.torchBLAS, "torch-blas", "ref", "BLAS for PyTorch: ref (netlib reference, LD_LIBRARY_PATH="+refBLASDirs+"), openblas (LD_LIBRARY_PATH="+openblasDir+") or system (the libblas.so.3 alternative)")
	flag.DurationVar(&c.ttaBudget, "tta-budget", 10*time.Second, "time-to-accuracy wall-time cap per run (both sides)")
	flag.IntVar(&c.ttaMaxIter, "tta-max-iter", 200000, "time-to-accuracy iteration cap per run (bsum: block updates)")
	flag.StringVar(&c.seeds, "seeds", "1,2,3", "time-to-accuracy seeds")
	flag.IntVar(&c.memSteps, "mem-steps", 10000, "memory: number of BodyFat full steps")
	flag.IntVar(&c.largeN, "n", bench.LargeN, "step-large: number of samples")
	flag.IntVar(&c.opsCount, "ops-count", 3, "ops: runs of each testing.Benchmark (the median ns/op is shown)")
	fashionFlags(&c.fashion)
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { c.torchBLASSet = c.torchBLASSet || f.Name == "torch-blas" })
	var err error
	if c.threadList, err = parseThreads(*threads); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	c.threads = c.threadList[0]
	runtime.GOMAXPROCS(c.threads)
	bench.SetBLASThreads(c.threads)
	if c.benchPy == "" {
		c.benchPy = findBenchPy()
	}
	var whats []string
	if c.what == "all" {
		whats = []string{"step-bodyfat", "memory", "ops", "tta", "step-large"}
	} else {
		whats = strings.Split(c.what, ",")
	}
	for _, w := range whats {
		if w != "fashion" && len(c.threadList) > 1 {
			fmt.Fprintf(os.Stderr, "compare: -what %s takes one -threads value, not %v\n", w, c.threadList)
			os.Exit(2)
		}
	}
	header(c)
	for _, w := range whats {
		var err error
		switch w {
		case "step-bodyfat":
			err = stepBodyFat(c)
		case "step-large":
			err = stepLarge(c)
		case "tta":
			err = tta(c)
		case "memory":
			err = memory(c)
		case "ops":
			err = ops(c)
		case "fashion":
			err = fashion(c)
		default:
			err = fmt.Errorf("unknown -what %q", w)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
	}
}

func header(c config) {
	fmt.Printf("bsum: %s, GOMAXPROCS=%d, BLAS: %s\n", runtime.Version(), runtime.GOMAXPROCS(0), bench.BLASName())
	fmt.Printf("cpu: %s (%d cores), load average %s\n", cpuName(), runtime.NumCPU(), loadavg())
	if c.what == "fashion" {
		fmt.Println("pytorch: fashion.py, interpreter, BLAS and threads below")
	} else if ok, why := torchOK(c); ok {
		fmt.Printf("pytorch: %s %s, threads=%d, torch BLAS setting %q\n", c.python, c.benchPy, c.threads, c.torchBLAS)
	} else {
		fmt.Printf("pytorch: skipped (%s)\n", why)
	}
	fmt.Println()
}

// ---------------------------------------------------------------- timing

type stats struct{ median, min float64 }

func timeSteps(step func() error, warmup, reps, steps int) (stats, error) {
	for i := 0; i < warmup; i++ {
		if err := step(); err != nil {
			return stats{}, err
		}
	}
	per := make([]float64, reps)
	for r := range per {
		t0 := time.Now()
		for i := 0; i < steps; i++ {
			if err := step(); err != nil {
				return stats{}, err
			}
		}
		per[r] = time.Since(t0).Seconds() / float64(steps)
	}
	mn := math.Inf(1)
	for _, v := range per {
		mn = math.Min(mn, v)
	}
	return stats{bench.Median(per), mn}, nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func stepBodyFat(c config) error {
	reps, steps := orDefault(c.reps, 7), orDefault(c.steps, 2000)
	warm := c.warmup
	if warm < 0 {
		warm = 200
	}
	p, err := bench.SharedBodyFat()
	if err != nil {
		return err
	}
	s, err := bench.NewFullStep(p, bench.BodyFatStart(p), bench.LR)
	if err != nil {
		return err
	}
	fmt.Printf("== step-bodyfat: 13-10-10-10-1 logistic, l2, N=%d, forward+backward+update of all blocks, lr %g; %d reps × %d steps after %d warm-up, load %s\n",
		p.Data.N, bench.LR, reps, steps, warm, loadavg())
	go1, err := timeSteps(s.Step, warm, reps, steps)
	if err != nil {
		return err
	}
	fmt.Printf("bsum    : median %8.1f µs/step, min %8.1f µs/step (final loss %.6g)\n", go1.median*1e6, go1.min*1e6, s.Loss)
	data, cleanup, err := bodyfatCSV()
	if err != nil {
		return err
	}
	defer cleanup()
	recs, err := runPy(c, "step-bodyfat", "--data", data, "--threads", strconv.Itoa(c.threads),
		"--reps", strconv.Itoa(reps), "--steps", strconv.Itoa(steps), "--warmup", strconv.Itoa(warm))
	return printRatio(go1, recs, err)
}

func stepLarge(c config) error {
	reps, steps := orDefault(c.reps, 3), orDefault(c.steps, 1)
	warm := c.warmup
	if warm < 0 {
		warm = 1
	}
	p, err := bench.Large(c.largeN, 1)
	if err != nil {
		return err
	}
	s, err := bench.NewFullStep(p, p.Net.Init(bench.InitRNG(1)), bench.LR)
	if err != nil {
		return err
	}
	fmt.Printf("== step-large: 784-256-256-10 logistic, l2, N=%d synthetic, forward+backward+update, lr %g; %d reps × %d steps after %d warm-up, load %s\n",
		c.largeN, bench.LR, reps, steps, warm, loadavg())
	go1, err := timeSteps(s.Step, warm, reps, steps)
	if err != nil {
		return err
	}
	fmt.Printf("bsum    : median %8.1f ms/step, min %8.1f ms/step, RSS %.0f MB (%s)\n", go1.median*1e3, go1.min*1e3, float64(bench.VmRSS())/1024, bench.BLASName())
	recs, err := runPy(c, "step-large", "--threads", strconv.Itoa(c.threads), "--n", strconv.Itoa(c.largeN),
		"--reps", strconv.Itoa(reps), "--steps", strconv.Itoa(steps), "--warmup", strconv.Itoa(warm))
	return printRatio(go1, recs, err)
}

func printRatio(ours stats, recs []map[string]any, err error) error {
	if err != nil {
		if errors.Is(err, errNoTorch) {
			fmt.Printf("pytorch : skipped (%v)\n\n", err)
			return nil
		}
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("bench.py printed no record")
	}
	r := recs[0]
	med, _ := r["seconds_median"].(float64)
	mn, _ := r["seconds_min"].(float64)
	unit, f := "µs", 1e6
	if med > 0.01 {
		unit, f = "ms", 1e3
	}
	fmt.Printf("pytorch : median %8.1f %s/step, min %8.1f %s/step, torch %v, threads %v, BLAS: %s\n",
		med*f, unit, mn*f, unit, r["torch_version"], r["threads"], torchBLASSummary(r))
	if med > 0 {
		fmt.Printf("ratio bsum/PyTorch: %.3f (median), %.3f (min)\n", ours.median/med, ours.min/mn)
	}
	fmt.Println()
	return nil
}

func torchBLASSummary(r map[string]any) string {
	bi, _ := r["blas_info"].(map[string]any)
	env, _ := r["env"].(map[string]any)
	return fmt.Sprintf("%v (torch BLAS_INFO=%v, CPU capability %v), OPENBLAS_CORETYPE=%v, load %v",
		bi["summary"], bi["torch_BLAS_INFO"], bi["cpu_capability"], env["OPENBLAS_CORETYPE"], env["loadavg"])
}

// ---------------------------------------------------------------- memory

func memory(c config) error {
	var cps []int
	for _, k := range []int{1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000} {
		if k < c.memSteps {
			cps = append(cps, k)
		}
	}
	cps = append(cps, c.memSteps)
	fmt.Printf("== memory: load %s\n", loadavg())
	rep, err := bench.RunMemory(c.memSteps, cps)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	fmt.Println("pytorch : no memory subcommand in bench.py")
	fmt.Println()
	return nil
}

// ---------------------------------------------------------------- ops

func ops(c config) error {
	p, err := bench.SharedBodyFat()
	if err != nil {
		return err
	}
	fmt.Printf("== ops: BodyFat block operations (testing.Benchmark, ≥1 s each, median of %d), load %s\n", c.opsCount, loadavg())
	run := func(f func(b *testing.B)) testing.BenchmarkResult {
		var rs []testing.BenchmarkResult
		for i := 0; i < max(c.opsCount, 1); i++ {
			rs = append(rs, testing.Benchmark(f))
		}
		sort.Slice(rs, func(a, b int) bool { return rs[a].NsPerOp() < rs[b].NsPerOp() })
		return rs[len(rs)/2]
	}
	steps := []struct {
		name string
		f    func(b *testing.B)
	}{
		{"full step (all blocks)", func(b *testing.B) { bench.BenchFullStep(b, p) }},
		{"block step (Program, cyclic)", func(b *testing.B) { bench.BenchBlockStep(b, p) }},
		{"Minimize iteration (BP-CLR, no eval)", func(b *testing.B) { bench.BenchMinimizeIter(b, p, -1) }},
		{"Minimize iteration (BP-CLR, eval every 1)", func(b *testing.B) { bench.BenchMinimizeIter(b, p, 1) }},
	}
	for _, s := range steps {
		r := run(s.f)
		fmt.Printf("%-44s %10.1f µs %6d allocs/op %7d B/op\n", s.name, float64(r.NsPerOp())/1e3, r.AllocsPerOp(), r.AllocedBytesPerOp())
	}
	blocks := p.Net.Blocks()
	res := make([]map[string]testing.BenchmarkResult, len(blocks))
	for j := range blocks {
		res[j] = map[string]testing.BenchmarkResult{}
		for _, op := range bench.BlockOps {
			res[j][op] = run(func(b *testing.B) { bench.BenchBlockOp(b, p, j, op) })
		}
	}
	fmt.Printf("\n%-10s", "op")
	for _, b := range blocks {
		fmt.Printf(" | %-24s", fmt.Sprintf("%s (p=%d)", b.Name, b.Size()))
	}
	fmt.Printf("\n%-10s", "")
	for range blocks {
		fmt.Printf(" | %9s %6s %7s", "µs", "×grad", "allocs")
	}
	fmt.Println()
	for _, op := range bench.BlockOps {
		fmt.Printf("%-10s", op)
		for j := range blocks {
			r, g := res[j][op], res[j][bench.OpGrad]
			fmt.Printf(" | %9.1f %6.1f %7d", float64(r.NsPerOp())/1e3, float64(r.NsPerOp())/float64(g.NsPerOp()), r.AllocsPerOp())
		}
		fmt.Println()
	}
	fmt.Printf("%-10s", "hess/p·hvp")
	for j, b := range blocks {
		fmt.Printf(" | %9s %6.2f %7s", "", float64(res[j][bench.OpHessian].NsPerOp())/(float64(b.Size())*float64(res[j][bench.OpHVPWarm].NsPerOp())), "")
	}
	fmt.Println()
	fmt.Println("grad: Grad(j) after SetBlock(j) changed W_j (lower activations memoised); grad-full: after every block changed;")
	fmt.Println("hvp/gn: product after W_j changed; *-warm: same W, new direction; hessian/gnmatrix: explicit p×p at a changed W_j;")
	fmt.Println("lm-step: solvers.Minimize(LM) for one iteration on block j from w0 (includes run set-up and final full evaluation).")
	fmt.Println("hess/p·hvp: explicit Hessian time over p warm HVPs.")
	fmt.Printf("load after ops: %s\n", loadavg())
	// The whole network as one 340-weight block (bench.OneBlock): its
	// Gauss-Newton matrix has no one-pass assembly (not a declared chain),
	// so it is built from p products.
	one, err := bench.OneBlock(bench.BodyFatSizes)
	if err != nil {
		return err
	}
	op1 := &bench.Problem{Name: "bodyfat-1block", Net: one, Data: p.Data}
	fmt.Printf("\none block (all %d weights):\n", one.Blocks()[0].Size())
	g1 := run(func(b *testing.B) { bench.BenchBlockOp(b, op1, 0, bench.OpGrad) })
	for _, op := range bench.BlockOps {
		r := g1
		if op != bench.OpGrad {
			r = run(func(b *testing.B) { bench.BenchBlockOp(b, op1, 0, op) })
		}
		fmt.Printf("%-10s | %9.1f µs %6.1f ×grad %7d allocs\n", op, float64(r.NsPerOp())/1e3, float64(r.NsPerOp())/float64(g1.NsPerOp()), r.AllocsPerOp())
	}
	fmt.Println()
	return nil
}

// ---------------------------------------------------------------- tta

func tta(c config) error {
	var seeds []uint64
	var seedStrs []string
	for _, s := range strings.Split(c.seeds, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("bad seed %q", s)
		}
		seeds = append(seeds, v)
		seedStrs = append(seedStrs, strconv.FormatUint(v, 10))
	}
	fmt.Printf("== tta: BodyFat, seeded Glorot-normal start, wall time to normalised training MSE ≤ %v, median of seeds %v, cap %v or %d iterations per run, load %s\n",
		bench.Thresholds, seeds, c.ttaBudget, c.ttaMaxIter, loadavg())
	fmt.Println("bsum: one iteration = one block update (cyclic, full batch); full evaluation (f and NMSE on all 252 samples) after every iteration, inside the timing.")
	ctx := context.Background()
	// Untimed warm-up of every method, like bench.py's.
	for _, m := range bench.Methods() {
		if _, err := bench.RunTTA(ctx, m, []uint64{12345}, 20, time.Second); err != nil {
			return err
		}
	}
	type row struct {
		name    string
		median  []float64
		iters   []float64
		reached []int
	}
	var ours, theirs []row
	for _, m := range bench.Methods() {
		r, err := bench.RunTTA(ctx, m, seeds, c.ttaMaxIter, c.ttaBudget)
		if err != nil {
			return err
		}
		ours = append(ours, row{"bsum " + m.Name, r.Median, r.MedianIter, r.Reached})
	}
	data, cleanup, err := bodyfatCSV()
	if err != nil {
		return err
	}
	defer cleanup()
	recs, err := runPy(c, "tta", "--data", data, "--threads", strconv.Itoa(c.threads), "--seeds", strings.Join(seedStrs, ","),
		"--max-seconds", strconv.FormatFloat(c.ttaBudget.Seconds(), 'g', -1, 64), "--max-iter", strconv.Itoa(c.ttaMaxIter))
	torchNote := ""
	switch {
	case errors.Is(err, errNoTorch):
		torchNote = fmt.Sprintf("pytorch: skipped (%v)", err)
	case err != nil:
		return err
	default:
		byMethod := map[string]*row{}
		var order []string
		for _, r := range recs {
			m, _ := r["method"].(string)
			if byMethod[m] == nil {
				byMethod[m] = &row{name: "torch " + m}
				order = append(order, m)
			}
			rw := byMethod[m]
			sec, ok := r["seconds_median"].(float64)
			if !ok {
				sec = math.Inf(1)
			}
			it, ok := r["iterations_median"].(float64)
			if !ok {
				it = math.Inf(1)
			}
			reached, _ := r["reached"].(float64)
			rw.median = append(rw.median, sec)
			rw.iters = append(rw.iters, it)
			rw.reached = append(rw.reached, int(reached))
		}
		for _, m := range order {
			theirs = append(theirs, *byMethod[m])
		}
		if len(recs) > 0 {
			torchNote = "pytorch BLAS: " + torchBLASSummary(recs[0])
		}
	}
	fmt.Printf("%-18s", "method")
	for _, t := range bench.Thresholds {
		fmt.Printf(" | %-22s", fmt.Sprintf("NMSE ≤ %.2f: s (iters)", t))
	}
	fmt.Println()
	for _, r := range append(append([]row{}, ours...), theirs...) {
		fmt.Printf("%-18s", r.name)
		for i := range bench.Thresholds {
			if i >= len(r.median) || math.IsInf(r.median[i], 1) {
				fmt.Printf(" | %-22s", "—")
				continue
			}
			fmt.Printf(" | %-22s", fmt.Sprintf("%.4f (%.0f) %d/%d", r.median[i], r.iters[i], r.reached[i], len(seeds)))
		}
		fmt.Println()
	}
	if len(theirs) > 0 {
		fmt.Printf("%-18s", "best bsum/torch")
		for i := range bench.Thresholds {
			bo, bt := math.Inf(1), math.Inf(1)
			for _, r := range ours {
				bo = math.Min(bo, r.median[i])
			}
			for _, r := range theirs {
				if i < len(r.median) {
					bt = math.Min(bt, r.median[i])
				}
			}
			fmt.Printf(" | %-22s", fmt.Sprintf("%.3f", bo/bt))
		}
		fmt.Println()
	}
	fmt.Println(torchNote)
	fmt.Println("— : median not reached within the cap; k/n: seeds that reached it.")
	fmt.Println()
	return nil
}

// ---------------------------------------------------------------- python

var errNoTorch = errors.New("torch not importable")

func pyEnv(c config) []string {
	env := os.Environ()
	var ld string
	switch c.torchBLAS {
	case "openblas":
		ld = openblasDir
	case "ref":
		ld = refBLASDirs
	}
	if ld != "" {
		if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
			ld += ":" + old
		}
		env = append(env, "LD_LIBRARY_PATH="+ld)
	}
	return env
}

func torchOK(c config) (bool, string) {
	if _, err := os.Stat(c.python); err != nil {
		return false, c.python + " not found"
	}
	if _, err := os.Stat(c.benchPy); err != nil {
		return false, "bench.py not found at " + c.benchPy
	}
	cmd := exec.Command(c.python, "-c", "import torch")
	cmd.Env = pyEnv(c)
	if out, err := cmd.CombinedOutput(); err != nil {
		return false, fmt.Sprintf("%s -c 'import torch': %v %s", c.python, err, lastLine(string(out)))
	}
	return true, ""
}

func runPy(c config, args ...string) ([]map[string]any, error) {
	if ok, why := torchOK(c); !ok {
		return nil, fmt.Errorf("%w: %s", errNoTorch, why)
	}
	cmd := exec.Command(c.python, append([]string{c.benchPy}, args...)...)
	cmd.Env = pyEnv(c)
	cmd.Stderr = os.Stderr
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench.py %s: %w", args[0], err)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("bench.py output: %w", err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// bodyfatCSV writes the embedded BodyFat table (the data bsum trains on)
// to a temporary file for bench.py, so both sides use identical data.
func bodyfatCSV() (string, func(), error) {
	t, err := dataset.BodyFat()
	if err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp("", "bodyfat-*.csv")
	if err != nil {
		return "", nil, err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, strings.Join(t.Columns, ","))
	for _, row := range t.Rows {
		s := make([]string, len(row))
		for i, v := range row {
			s[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		fmt.Fprintln(w, strings.Join(s, ","))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		return "", nil, err
	}
	return f.Name(), func() { os.Remove(f.Name()) }, nil
}

// ---------------------------------------------------------------- facts

func findBenchPy() string {
	dir, err := os.Getwd()
	if err != nil {
		return "internal/bench/pytorch/bench.py"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "internal", "bench", "pytorch", "bench.py")
		}
		if filepath.Dir(d) == d {
			return "internal/bench/pytorch/bench.py"
		}
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1] // the exception line of a traceback
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bsum-go/bsum/internal/bench"
)

// fashionConfig holds the flags of -what fashion.
type fashionConfig struct {
	epochs        int
	trainN, testN int
	methods       string
	seeds         string
	batch         int
	out           string
	fashionPy     string
	extraArgs     string
	skip          bool
}

func fashionFlags(f *fashionConfig) {
	flag.IntVar(&f.epochs, "epochs", 10, "fashion: epochs on both sides")
	flag.IntVar(&f.trainN, "train-n", 0, "fashion: first N training images on both sides (0: all 60,000)")
	flag.IntVar(&f.testN, "test-n", 0, "fashion: first N test images on both sides (0: all 10,000)")
	flag.StringVar(&f.methods, "methods", "", "fashion: examples/fashion -methods (default: the example's own list)")
	flag.StringVar(&f.seeds, "fashion-seeds", "1", "fashion: comma-separated seeds, both sides")
	flag.IntVar(&f.batch, "batch", 128, "fashion: mini-batch size, both sides")
	flag.StringVar(&f.out, "fashion-out", filepath.Join("out", "fashion-compare"),
		"fashion: folder for the raw results (results.jsonl, one JSON run per line), the logs and each bsum run's epochs.csv and plots")
	flag.StringVar(&f.fashionPy, "fashion-py", "", "fashion: path of fashion.py (default: internal/bench/pytorch/fashion.py of the module)")
	flag.StringVar(&f.extraArgs, "fashion-args", "", "fashion: extra space-separated flags for examples/fashion (e.g. \"-hidden tanh\")")
	flag.BoolVar(&f.skip, "skip-torch", false, "fashion: run the bsum side only")
}

// parseThreads reads -threads: one positive count or a comma-separated list.
func parseThreads(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-threads %q: %q is not a positive count", s, f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-threads %q: no thread count", s)
	}
	return out, nil
}

// load1 is the 1-minute load average, -1 when unknown.
func load1() float64 {
	f := strings.Fields(loadavg())
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// moduleRoot is the folder with go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run compare from the bsum module", dir)
		}
	}
}

// goTool is the go command on PATH (`go run` puts the one that runs it
// first there).
func goTool() string { return "go" }

// threadEnv returns os.Environ with the thread variables set to n
// (replacing any inherited value).
func threadEnv(base []string, n int) []string {
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOMAXPROCS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS":
			continue
		}
		env = append(env, kv)
	}
	s := strconv.Itoa(n)
	return append(env, "GOMAXPROCS="+s, "OPENBLAS_NUM_THREADS="+s, "OMP_NUM_THREADS="+s)
}

// fashion runs examples/fashion (built once, with -tags openblas when this
// program has it) and fashion.py once per thread setting on the same
// subset, epochs, batch and seeds, prints the table and writes the raw
// runs to results.jsonl.
func fashion(c config) error {
	f := c.fashion
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if f.fashionPy == "" {
		f.fashionPy = filepath.Join(root, "internal", "bench", "pytorch", "fashion.py")
	}
	torchBLAS := c.torchBLAS
	if !c.torchBLASSet {
		// PyTorch's best BLAS here; the netlib reference would take
		// minutes per epoch.
		torchBLAS = "openblas"
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("fashion: output folder: %w", err)
	}
	startLoad := loadavg()
	fmt.Printf("== fashion: Fashion-MNIST 784-256-10, softmax cross-entropy, batch %d, %d epochs, train-n %d, test-n %d (0: all), seeds %s, threads %v; load %s\n",
		f.batch, f.epochs, f.trainN, f.testN, f.seeds, c.threadList, startLoad)
	fmt.Println("bsum: examples/fashion (methods", orStr(f.methods, "default")+"); torch: fashion.py, Adam lr 1e-3, BLAS setting "+strconv.Quote(torchBLAS)+". Subprocess logs go to stderr and", f.out)

	// Absolute: the build runs in the module root, the runs here.
	bin, err := filepath.Abs(filepath.Join(f.out, "fashion-example"))
	if err != nil {
		return fmt.Errorf("fashion: %w", err)
	}
	args := []string{"build", "-o", bin}
	if bench.OpenBLAS {
		args = append(args, "-tags", "openblas")
	}
	build := exec.Command(goTool(), append(args, "./examples/fashion")...)
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("fashion: building examples/fashion: %w", err)
	}
	var runs []bench.FashionRun
	torchNote := ""
	for _, t := range c.threadList {
		rs, err := fashionBsum(f, bin, t)
		if err != nil {
			return err
		}
		runs = append(runs, rs...)
		if f.skip {
			torchNote = "torch: skipped (-skip-torch)"
			continue
		}
		rs, err = fashionTorch(c, f, torchBLAS, t)
		switch {
		case errors.Is(err, errNoTorch):
			torchNote = fmt.Sprintf("torch: skipped (%v)", err)
		case err != nil:
			return err
		default:
			runs = append(runs, rs...)
		}
	}
	if err := writeJSONL(filepath.Join(f.out, "results.jsonl"), runs); err != nil {
		return err
	}
	fmt.Println()
	if err := bench.WriteFashionTable(os.Stdout, bench.SummarizeFashion(runs)); err != nil {
		return err
	}
	if torchNote != "" {
		fmt.Println(torchNote)
	}
	fmt.Println("s/epoch: median over epochs of training seconds per pass; to 0.85/0.88: training seconds (test evaluation excluded) at the first epoch end")
	fmt.Println("at that test accuracy, median over seeds (— not reached, k/n seeds reached); final test acc: median over seeds.")
	fmt.Printf("load average: %s at start, %s at end; raw runs in %s\n\n", startLoad, loadavg(), filepath.Join(f.out, "results.jsonl"))
	return nil
}

func orStr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// fashionBsum runs the example binary with t threads and reads its epochs.csv.
func fashionBsum(f fashionConfig, bin string, t int) ([]bench.FashionRun, error) {
	dir := filepath.Join(f.out, fmt.Sprintf("bsum-threads-%d", t))
	args := []string{"-epochs", strconv.Itoa(f.epochs), "-batch", strconv.Itoa(f.batch), "-train-n", strconv.Itoa(f.trainN),
		"-test-n", strconv.Itoa(f.testN), "-seeds", f.seeds, "-out", dir}
	if f.methods != "" {
		args = append(args, "-methods", f.methods)
	}
	args = append(args, strings.Fields(f.extraArgs)...)
	fmt.Fprintf(os.Stderr, "## GOMAXPROCS=%d OPENBLAS_NUM_THREADS=%d %s %s\n", t, t, bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Env = threadEnv(os.Environ(), t)
	out, err := runLogged(cmd, filepath.Join(f.out, fmt.Sprintf("bsum-threads-%d.log", t)))
	ls, le := out.load0, load1()
	if err != nil {
		return nil, fmt.Errorf("fashion: examples/fashion with %d threads: %w", t, err)
	}
	csvFile, err := os.Open(filepath.Join(dir, "epochs.csv"))
	if err != nil {
		return nil, fmt.Errorf("fashion: %w", err)
	}
	defer csvFile.Close()
	runs, err := bench.ParseFashionCSV(csvFile)
	if err != nil {
		return nil, fmt.Errorf("fashion: %s: %w", csvFile.Name(), err)
	}
	blas, trainN, testN := bench.ParseFashionExampleLog(out.stdout)
	if blas == "" {
		blas = bench.BLASName() + " (this build)"
	}
	for i := range runs {
		runs[i].Threads, runs[i].BLAS, runs[i].Version = t, blas, runtime.Version()
		runs[i].TrainN, runs[i].TestN = trainN, testN
		runs[i].LoadStart, runs[i].LoadEnd = ls, le
	}
	return runs, nil
}

// fashionTorch runs fashion.py with t threads.
func fashionTorch(c config, f fashionConfig, torchBLAS string, t int) ([]bench.FashionRun, error) {
	pc := c
	pc.torchBLAS, pc.benchPy = torchBLAS, f.fashionPy
	if ok, why := torchOK(pc); !ok {
		return nil, fmt.Errorf("%w: %s", errNoTorch, why)
	}
	args := []string{f.fashionPy, "--threads", strconv.Itoa(t), "--epochs", strconv.Itoa(f.epochs), "--batch", strconv.Itoa(f.batch),
		"--train-n", strconv.Itoa(f.trainN), "--test-n", strconv.Itoa(f.testN), "--seeds", f.seeds}
	fmt.Fprintf(os.Stderr, "## %s %s (torch BLAS %q)\n", c.python, strings.Join(args, " "), torchBLAS)
	cmd := exec.Command(c.python, args...)
	cmd.Env = threadEnv(pyEnv(pc), t)
	out, err := runLogged(cmd, filepath.Join(f.out, fmt.Sprintf("torch-threads-%d.log", t)))
	ls, le := out.load0, load1()
	if err != nil {
		return nil, fmt.Errorf("fashion: fashion.py with %d threads: %w", t, err)
	}
	runs, err := bench.ParseFashionTorch(strings.NewReader(out.stdout))
	if err != nil {
		return nil, fmt.Errorf("fashion: %w", err)
	}
	for i := range runs {
		runs[i].Threads = t // the setting; fashion.py reports the same
		runs[i].LoadStart, runs[i].LoadEnd = ls, le
		if runs[i].BLAS == "" {
			runs[i].BLAS = "torch BLAS setting " + torchBLAS
		}
	}
	return runs, nil
}

type logged struct {
	stdout string
	load0  float64
}

// runLogged runs cmd with its standard output kept, copied to stderr and
// to logPath, and its standard error copied to both.
func runLogged(cmd *exec.Cmd, logPath string) (logged, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return logged{}, fmt.Errorf("log file: %w", err)
	}
	defer lf.Close()
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, os.Stderr, lf)
	cmd.Stderr = io.MultiWriter(os.Stderr, lf)
	res := logged{load0: load1()}
	t0 := time.Now()
	err = cmd.Run()
	fmt.Fprintf(os.Stderr, "## %.1f s wall\n", time.Since(t0).Seconds())
	res.stdout = buf.String()
	return res, err
}

// writeJSONL writes one run per line.
func writeJSONL(path string, runs []bench.FashionRun) error {
	var b bytes.Buffer
	for _, r := range runs {
		for _, v := range []*float64{&r.LoadStart, &r.LoadEnd} {
			if math.IsNaN(*v) {
				*v = -1
			}
		}
		line, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("fashion: encoding %s %s seed %d: %w", r.Side, r.Method, r.Seed, err)
		}
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("fashion: %w", err)
	}
	return nil
}

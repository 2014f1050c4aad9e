package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/bench"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// config holds the example's settings (the command-line flags).
type config struct {
	// Epochs is the number of passes over the training set per run.
	Epochs int
	// Batch is the mini-batch size.
	Batch int
	// Methods are names of the methods table (methods.go).
	Methods []string
	// Seeds seed the starting weights and the batch order; each method
	// runs once per seed.
	Seeds []uint64
	// Hidden is the hidden activation: "relu", "tanh" or "logistic".
	Hidden string
	// Width is the number of hidden units.
	Width int
	// TrainN and TestN keep the first TrainN training and TestN test
	// images (0: all).
	TrainN, TestN int
	// Out is the folder for epochs.csv and the plots.
	Out string
	// Data is the folder with the IDX files ("" for the default).
	Data string
	// Blocks is "cyclic" (one batch per sweep of the blocks) or "jacobi".
	Blocks string
	// HarmonicC is C of bp-harmonic's α = C/(2k).
	HarmonicC float64
	// Gamma is γ of the first-order bound of the BP methods and of
	// lm-small's large blocks (1: the paper's BP).
	Gamma float64
	// Eta is AdaGrad's rate.
	Eta float64
	// LMMax is the largest block lm-small gives the Levenberg-Marquardt
	// bound; CGIters its conjugate-gradient budget.
	LMMax, CGIters int
	// Tikhonov is λ of λ‖W_j‖²_F on every block.
	Tikhonov float64
	// RecAlpha0 and RecT are α(0) and T of bp-recursive's α(k+1) =
	// α(k)(1 − Tα(k)); α(k) ≈ α(0)/(1 + Tα(0)k), so a small α(0) with a
	// small γ is a learning rate α(0)/γ that halves after 1/(Tα(0))
	// iterations, still within condition (8) for 0 < T < 1, 0 < α(0) ≤ 1.
	RecAlpha0, RecT float64
	// ArmijoSigma is σ of the Armijo rule's sufficient decrease (bp-armijo
	// and lm-small; 0: the solvers default 1e-4).
	ArmijoSigma float64
	// Standardize maps every pixel to its z-score over the training images
	// (dataset.FashionMNISTOptions.Standardize); false scales to [0, 1].
	Standardize bool
	CPUProfile  string // -cpuprofile: file for a CPU profile of the run
	// AverageFrom, if positive, keeps the running mean (Polyak / tail
	// average) of the weights after every batch's sweep from epoch
	// AverageFrom on (the sweeps whose record has Epoch > AverageFrom−1)
	// and reports its test accuracy beside the raw weights' at every epoch
	// end (none if AverageFrom > Epochs). The average is the observer's
	// own copy: the run's iterates, history and certificate are unchanged.
	// 0 turns it off.
	AverageFrom int
}

func defaultConfig() config {
	return config{
		Epochs:    10,
		Batch:     128,
		Methods:   []string{"bp-armijo", "bp-harmonic", "bp-recursive", "adagrad", "lm-small"},
		Seeds:     []uint64{1},
		Hidden:    "relu",
		Width:     256,
		Out:       filepath.Join("out", "fashion"),
		Blocks:    "cyclic",
		HarmonicC: 1,
		Gamma:     1,
		Eta:       0.01,
		LMMax:     5000,
		CGIters:   20,
		RecAlpha0: 1,
		RecT:      0.99,
	}
}

func (c config) validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("-epochs %d: need at least 1", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("-batch %d: need at least 1", c.Batch)
	case c.Width < 1:
		return fmt.Errorf("-width %d: need at least 1", c.Width)
	case c.TrainN < 0 || c.TestN < 0:
		return fmt.Errorf("-train-n %d and -test-n %d must not be negative", c.TrainN, c.TestN)
	case !(c.Gamma > 0):
		return fmt.Errorf("-gamma %v must be > 0", c.Gamma)
	case !(c.RecAlpha0 > 0 && c.RecAlpha0 <= 1 && c.RecT > 0 && c.RecT < 1):
		return fmt.Errorf("-rec-alpha0 %v and -rec-t %v: condition (8) needs 0 < α(0) ≤ 1 and 0 < T < 1", c.RecAlpha0, c.RecT)
	case !(c.ArmijoSigma >= 0 && c.ArmijoSigma < 1):
		return fmt.Errorf("-armijo-sigma %v: want 0 (the default 1e-4) or a value in (0, 1)", c.ArmijoSigma)
	case c.AverageFrom < 0:
		return fmt.Errorf("-average-from %d: want 0 (off) or an epoch ≥ 1", c.AverageFrom)
	case len(c.Seeds) == 0:
		return errors.New("no seed")
	case c.Hidden != "relu" && c.Hidden != "tanh" && c.Hidden != "logistic":
		return fmt.Errorf("-hidden %q: want relu, tanh or logistic", c.Hidden)
	}
	if _, err := solvers.ParseBlocks(c.Blocks); err != nil {
		return err
	}
	return checkMethods(c.Methods)
}

// spec is the 784-Width-10 network of the example.
func (c config) spec(in, out int) models.Spec {
	return models.Spec{Kind: models.KindMLP, Sizes: []int{in, c.Width, out}, Activation: c.Hidden, Output: "identity",
		Bias: true, Loss: "softmax-cross-entropy", Tikhonov: c.Tikhonov}
}

// epochPoint is the state of a run at the end of an epoch (or at the
// start, epoch 0, with a NaN TrainLoss).
type epochPoint struct {
	// Epoch is Record.Epoch of the record that completed the epoch
	// (samples seen / N, at least the epoch's number).
	Epoch float64
	// K is that record's iteration.
	K int
	// TrainLoss is the mean batch objective over the epoch's iterations
	// (each taken before its update, as PyTorch loops report it).
	TrainLoss float64
	// TestAcc is the test accuracy at the weights after the record.
	TestAcc float64
	// AvgTestAcc is the test accuracy of the tail average of the weights
	// (config.AverageFrom) at the record, NaN before averaging starts or
	// without it.
	AvgTestAcc float64
	// Train is the wall time of the run up to the record without the
	// test evaluations; Wall includes them.
	Train, Wall time.Duration
}

// runRow is one run of a method with a seed.
type runRow struct {
	Method, Name string
	Seed         uint64
	Points       []epochPoint
	Result       *solvers.Result
	// Err is the run's error (the other runs go on).
	Err error
}

// secondsPerEpoch is the mean training time per epoch (NaN before one).
func (r runRow) secondsPerEpoch() float64 {
	if len(r.Points) == 0 || r.Points[len(r.Points)-1].Epoch == 0 {
		return math.NaN()
	}
	last := r.Points[len(r.Points)-1]
	return last.Train.Seconds() / last.Epoch
}

// timeTo is the training time of the first epoch boundary at which the
// test accuracy reached acc (NaN if none did).
func (r runRow) timeTo(acc float64) float64 {
	for _, p := range r.Points {
		if p.TestAcc >= acc {
			return p.Train.Seconds()
		}
	}
	return math.NaN()
}

func (r runRow) finalAcc() float64 {
	if len(r.Points) == 0 {
		return math.NaN()
	}
	return r.Points[len(r.Points)-1].TestAcc
}

// finalAvgAcc is the last point's averaged-weights test accuracy (NaN
// without averaging).
func (r runRow) finalAvgAcc() float64 {
	if len(r.Points) == 0 {
		return math.NaN()
	}
	return r.Points[len(r.Points)-1].AvgTestAcc
}

// summary is what run returns.
type summary struct {
	Rows []runRow
	// TrainN and TestN are the sizes of the sets used.
	TrainN, TestN int
	// Files are the CSV and the plots written.
	Files []string
}

// run loads the data, trains every method with every seed, prints the
// per-epoch log and the summary table to w and writes the files.
func run(ctx context.Context, cfg config, w io.Writer) (summary, error) {
	return runRanks(ctx, cfg, w, nil)
}

// runRanks is run as one rank of a data-parallel job when red is not nil
// (under mpirun: main.go): every rank loads only its shard of the training
// and test images (dataset.FashionMNISTShard), trains on it with
// Settings.Partition, so that every rank holds the same weights, and adds
// its test counts to the others'; rank 0 alone prints and writes the files.
func runRanks(ctx context.Context, cfg config, w io.Writer, red graph.Reducer) (summary, error) {
	var sum summary
	if err := cfg.validate(); err != nil {
		return sum, err
	}
	blocks, _ := solvers.ParseBlocks(cfg.Blocks)
	opts := dataset.FashionMNISTOptions{Dir: cfg.Data, TrainN: cfg.TrainN, TestN: cfg.TestN, Standardize: cfg.Standardize}
	var train, test *dataset.Set
	var part *solvers.Partition
	trainN, testN := 0, 0
	if red != nil {
		tr, te, trSh, teSh, err := dataset.FashionMNISTShard(opts, red)
		if err != nil {
			return sum, err
		}
		train, test = tr, te
		part = &solvers.Partition{Reducer: red, Lo: trSh.Lo, N: trSh.N}
		trainN, testN = trSh.N, teSh.N
		if red.Rank() != 0 {
			w = io.Discard
		}
	} else {
		tr, te, err := dataset.FashionMNIST(opts)
		if err != nil {
			return sum, err
		}
		train, test = tr, te
		trainN, testN = train.N, test.N
	}
	root := red == nil || red.Rank() == 0
	sum.TrainN, sum.TestN = trainN, testN
	net, err := cfg.spec(train.In, train.Out).Net()
	if err != nil {
		return sum, err
	}
	if root {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return sum, fmt.Errorf("creating the output folder: %w", err)
		}
	}
	J := net.NumBlocks()
	hold := 1
	if blocks != solvers.Jacobi {
		hold = J
	}
	draws := (cfg.Epochs*trainN + min(cfg.Batch, trainN) - 1) / min(cfg.Batch, trainN)
	fmt.Fprintf(w, "Fashion-MNIST: %d training, %d test images; %d-%d-%d %s, softmax cross-entropy, batch %d, %d epochs (%d batches, %s blocks)\n",
		trainN, testN, train.In, cfg.Width, train.Out, cfg.Hidden, cfg.Batch, cfg.Epochs, draws, blocks)
	if red != nil {
		fmt.Fprintf(w, "data-parallel over %d MPI ranks: rank 0 holds %d training and %d test images\n", red.Size(), train.N, test.N)
	}
	pixels := "pixels in [0, 1]"
	if cfg.Standardize {
		pixels = "pixels standardised"
	}
	fmt.Fprintf(w, "%s, Tikhonov λ %g\n", pixels, cfg.Tikhonov)
	if cfg.AverageFrom > 0 {
		late := ""
		if cfg.AverageFrom > cfg.Epochs {
			late = fmt.Sprintf(" (after the last epoch, %d: nothing is averaged)", cfg.Epochs)
		}
		fmt.Fprintf(w, "also reporting the test accuracy of the mean weights after every batch from epoch %d on%s\n", cfg.AverageFrom, late)
	}
	fmt.Fprintf(w, "Go %s, GOMAXPROCS %d, BLAS: %s\n", runtime.Version(), runtime.GOMAXPROCS(0), bench.BLASName())
	data := solvers.Data{X: train.X, Y: train.Y, N: train.N}
	for _, seed := range cfg.Seeds {
		w0 := net.Init(rand.New(rand.NewPCG(seed, 1)))
		for _, name := range cfg.Methods {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			m := methods[name](cfg)
			m.Blocks = blocks
			m.Batches = solvers.Batches{Size: cfg.Batch, Epochs: true, Hold: hold}
			row := runRow{Method: name, Name: m.String(), Seed: seed}
			obs, err := newEpochObserver(net, test, hold, w, red)
			if err != nil {
				return sum, err
			}
			if cfg.AverageFrom > 0 {
				obs.avg, obs.avgFrom = &tailAverage{}, cfg.AverageFrom
			}
			fmt.Fprintf(w, "\n%s (seed %d): %s, %s\n", name, seed, m, m.Batches)
			if err := obs.start(w0); err != nil {
				return sum, err
			}
			s := solvers.Settings{MaxIter: draws * hold, Seed: seed, FullEvalEvery: -1, Observers: []solvers.Observer{obs}, Partition: part}
			row.Result, row.Err = solvers.Minimize(ctx, net, data, w0, m, s)
			row.Points = obs.points
			if row.Err != nil {
				fmt.Fprintf(w, "  failed: %v\n", row.Err)
			} else {
				fmt.Fprintf(w, "  %s (%s); final training objective on all %d images %.4f; certified %v\n",
					row.Result.Status, row.Result.Reason, trainN, row.Result.F, row.Result.Certified)
			}
			sum.Rows = append(sum.Rows, row)
		}
	}
	printTable(w, sum.Rows)
	if !root {
		return sum, nil
	}
	csvPath := filepath.Join(cfg.Out, "epochs.csv")
	if err := writeCSV(csvPath, sum.Rows); err != nil {
		return sum, err
	}
	sum.Files = append(sum.Files, csvPath)
	pngs, err := plotAccuracy(cfg.Out, sum.Rows)
	sum.Files = append(sum.Files, pngs...)
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "wrote %v\n", sum.Files)
	return sum, nil
}

// epochObserver reports a run at every epoch boundary: the mean batch
// objective over the epoch and the test accuracy, evaluated on a program
// of its own whose time it keeps out of the training time. It serves one
// run and is not safe for concurrent use.
type epochObserver struct {
	prog   *graph.Program
	labels []int
	h      []float64
	out    int
	w      io.Writer
	hold   int           // iterations per batch (Batches.Hold): epochs end with a sweep
	red    graph.Reducer // the ranks of a data-parallel run (their test counts are added), or nil

	epoch    int // epochs completed and reported
	lossSum  float64
	lossN    int
	evalTime time.Duration
	points   []epochPoint

	// avg, if not nil, averages the weights after every sweep whose
	// record has Epoch > avgFrom−1.
	avg     *tailAverage
	avgFrom int
}

func newEpochObserver(net *graph.Net, test *dataset.Set, hold int, w io.Writer, red graph.Reducer) (*epochObserver, error) {
	p, err := net.NewProgram(test.N)
	if err != nil {
		return nil, fmt.Errorf("test program: %w", err)
	}
	if err := p.SetBatch(test.X, test.Y); err != nil {
		return nil, fmt.Errorf("test data: %w", err)
	}
	return &epochObserver{prog: p, labels: test.Labels(), h: make([]float64, net.Out()*test.N), out: net.Out(), w: w, hold: max(hold, 1), red: red}, nil
}

// accuracy is the share of test images whose largest output is their label.
func (o *epochObserver) accuracy(w graph.Weights) (float64, error) {
	if err := o.prog.SetWeights(w); err != nil {
		return 0, err
	}
	if err := o.prog.Output(o.h); err != nil {
		return 0, err
	}
	pred := dataset.ArgmaxColumns(o.h, o.out, len(o.labels))
	correct := 0
	for i, p := range pred {
		if p == o.labels[i] {
			correct++
		}
	}
	if o.red == nil {
		return float64(correct) / float64(len(o.labels)), nil
	}
	// Every rank calls this at the same records: add the shards' counts.
	counts := []float64{float64(correct), float64(len(o.labels))}
	if err := o.red.Sum(counts); err != nil {
		return 0, fmt.Errorf("adding the ranks' test counts: %w", err)
	}
	return counts[0] / counts[1], nil
}

// start records epoch 0: the test accuracy at the starting weights, at
// time 0 (before the run, so its evaluation is in no run time).
func (o *epochObserver) start(w0 graph.Weights) error {
	acc, err := o.accuracy(w0)
	if err != nil {
		return fmt.Errorf("test accuracy at the start: %w", err)
	}
	o.points = append(o.points, epochPoint{TrainLoss: math.NaN(), TestAcc: acc, AvgTestAcc: math.NaN()})
	_, err = fmt.Fprintf(o.w, "  epoch %5.2f  %-8s %-16s  test accuracy %.4f\n", 0.0, "start", "", acc)
	return err
}

// Observe implements solvers.Observer.
func (o *epochObserver) Observe(rec solvers.Record, w graph.Weights) error {
	o.lossSum += rec.F
	o.lossN++
	if o.avg != nil && rec.K%o.hold == 0 && rec.Epoch > float64(o.avgFrom-1)+1e-9 {
		if err := o.avg.add(w); err != nil {
			return err
		}
	}
	// An epoch ends with the sweep (hold period) of the batch that crossed
	// its boundary. A small tolerance: Epoch is a ratio of integers, exact
	// at boundaries.
	if rec.K%o.hold != 0 || int(math.Floor(rec.Epoch+1e-9)) <= o.epoch {
		return nil
	}
	return o.report(rec.K, rec.Epoch, rec.Elapsed, w)
}

func (o *epochObserver) report(k int, epoch float64, elapsed time.Duration, w graph.Weights) error {
	start := time.Now()
	acc, err := o.accuracy(w)
	if err != nil {
		return fmt.Errorf("test accuracy: %w", err)
	}
	avgAcc := math.NaN()
	if o.avg != nil && o.avg.n > 0 {
		if avgAcc, err = o.accuracy(o.avg.mean); err != nil {
			return fmt.Errorf("test accuracy of the averaged weights: %w", err)
		}
	}
	p := epochPoint{Epoch: epoch, K: k, TrainLoss: o.lossSum / float64(max(o.lossN, 1)), TestAcc: acc, AvgTestAcc: avgAcc, Train: elapsed - o.evalTime, Wall: elapsed}
	o.evalTime += time.Since(start)
	o.points = append(o.points, p)
	o.epoch = int(math.Floor(epoch + 1e-9))
	o.lossSum, o.lossN = 0, 0
	avgText := ""
	if !math.IsNaN(avgAcc) {
		avgText = fmt.Sprintf("  averaged %.4f (%d iterates)", avgAcc, o.avg.n)
	}
	_, err = fmt.Fprintf(o.w, "  epoch %5.2f  k=%-6d train loss %.4f  test accuracy %.4f%s  train %7.2f s  (wall %7.2f s)\n",
		p.Epoch, p.K, p.TrainLoss, p.TestAcc, avgText, p.Train.Seconds(), p.Wall.Seconds())
	return err
}

// Finish implements solvers.Finisher: a run stopped between epoch
// boundaries gets a last point at its final weights.
func (o *epochObserver) Finish(res *solvers.Result) {
	last := res.Last()
	if o.lossN == 0 || last.K == 0 {
		return
	}
	_ = o.report(last.K, last.Epoch, last.Elapsed, res.Weights)
}

func printTable(w io.Writer, rows []runRow) {
	fmt.Fprintln(w, "\nsummary (times are training seconds, test evaluations excluded; accuracy at epoch ends):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "method\tseed\tepochs\ts/epoch\tto 0.85\tto 0.88\tfinal test acc\taveraged\tcertified\tstatus")
	for _, r := range rows {
		status, cert := "error: "+fmt.Sprint(r.Err), "-"
		if r.Err == nil {
			status, cert = r.Result.Status.String(), strconv.FormatBool(r.Result.Certified)
		}
		ep := 0.0
		if len(r.Points) > 0 {
			ep = r.Points[len(r.Points)-1].Epoch
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Method, r.Seed, ep, num(r.secondsPerEpoch(), "%.2f"),
			num(r.timeTo(0.85), "%.1f"), num(r.timeTo(0.88), "%.1f"), num(r.finalAcc(), "%.4f"), num(r.finalAvgAcc(), "%.4f"), cert, status)
	}
	tw.Flush()
}

// num formats v, or "-" for NaN (not reached).
func num(v float64, format string) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// writeCSV writes one line per run and epoch.
func writeCSV(path string, rows []runRow) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("csv: %w", cerr)
		}
	}()
	cw := csv.NewWriter(f)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if err := cw.Write([]string{"method", "seed", "epoch", "iteration", "train_loss", "test_accuracy", "train_seconds", "wall_seconds", "avg_test_accuracy"}); err != nil {
		return fmt.Errorf("csv %s: %w", path, err)
	}
	for _, r := range rows {
		for _, p := range r.Points {
			rec := []string{r.Method, strconv.FormatUint(r.Seed, 10), g(p.Epoch), strconv.Itoa(p.K), g(p.TrainLoss), g(p.TestAcc), g(p.Train.Seconds()), g(p.Wall.Seconds()), g(p.AvgTestAcc)}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("csv %s: %w", path, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv %s: %w", path, err)
	}
	return nil
}

package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures in testdata/fashion are the outputs of one tiny run of
// `compare -what fashion -train-n 2000 -test-n 1000 -epochs 2 -methods
// bp-armijo,adagrad -threads 1` (epochs.csv of examples/fashion, the first
// lines of its standard output, fashion.py's standard output).

func openFixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fashion", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseFashionCSVFixture(t *testing.T) {
	runs, err := ParseFashionCSV(openFixture(t, "epochs.csv"))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	tests := []struct {
		method  string
		epochs  []float64
		acc     []float64
		seconds []float64
		loss1   float64
	}{
		{"bp-armijo", []float64{0, 1.024, 2.048}, []float64{0.12, 0.705, 0.717}, []float64{0, 0.371151107, 0.71358945}, 1.066987726800654},
		{"adagrad", []float64{0, 1.024, 2.048}, []float64{0.12, 0.718, 0.763}, []float64{0, 0.214352884, 0.463601046}, 1.5124698298093426},
	}
	for i, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			r := runs[i]
			assert.Equal(t, SideBsum, r.Side)
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, uint64(1), r.Seed)
			require.Len(t, r.Epochs, len(tc.epochs))
			for j, e := range r.Epochs {
				assert.Equal(t, tc.epochs[j], e.Epoch)
				assert.Equal(t, tc.acc[j], e.TestAccuracy)
				assert.Equal(t, tc.seconds[j], e.TrainSeconds)
			}
			assert.True(t, math.IsNaN(r.Epochs[0].TrainLoss), "epoch 0 has no training loss")
			assert.Equal(t, tc.loss1, r.Epochs[1].TrainLoss)
			// Both passes take 1.024 epochs: per-pass seconds are the
			// increments over 1.024, and the median of two is their mean.
			want := (tc.seconds[1]/1.024 + (tc.seconds[2]-tc.seconds[1])/1.024) / 2
			assert.InDelta(t, want, r.SecondsPerEpoch(), 1e-12)
			assert.Equal(t, tc.acc[2], r.FinalAccuracy())
			assert.True(t, math.IsInf(r.TimeTo(0.85), 1))
			assert.Equal(t, tc.seconds[1], r.TimeTo(0.7))
		})
	}
}

func TestParseFashionTorchFixture(t *testing.T) {
	runs, err := ParseFashionTorch(openFixture(t, "torch.out"))
	require.NoError(t, err)
	require.Len(t, runs, 1)
	r := runs[0]
	assert.Equal(t, SideTorch, r.Side)
	assert.Equal(t, "adam", r.Method)
	assert.Equal(t, uint64(1), r.Seed)
	assert.Equal(t, 1, r.Threads)
	assert.Equal(t, "torch 1.13.0a0", r.Version)
	assert.Equal(t, 2000, r.TrainN)
	assert.Equal(t, 1000, r.TestN)
	assert.Contains(t, r.BLAS, "OpenBLAS 0.3.21")
	assert.Contains(t, r.BLAS, "1 threads")
	require.Len(t, r.Epochs, 2)
	assert.Equal(t, FashionEpoch{Epoch: 1, TrainLoss: 1.3646702630979972, TestAccuracy: 0.686, TrainSeconds: 0.08933548899949528}, r.Epochs[0])
	assert.Equal(t, FashionEpoch{Epoch: 2, TrainLoss: 0.7505402861931715, TestAccuracy: 0.766, TrainSeconds: 0.14928129599957174}, r.Epochs[1])
	assert.InDelta(t, (0.08933548899949528+(0.14928129599957174-0.08933548899949528))/2, r.SecondsPerEpoch(), 1e-15)
}

func TestParseFashionExampleLogFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "fashion", "example.out"))
	require.NoError(t, err)
	blas, trainN, testN := ParseFashionExampleLog(string(b))
	assert.Equal(t, "OpenBLAS cgo (OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64) kernels=SkylakeX threads=1 OPENBLAS_CORETYPE=unset", blas)
	assert.Equal(t, 2000, trainN)
	assert.Equal(t, 1000, testN)
	blas, trainN, testN = ParseFashionExampleLog("no header\n")
	assert.Equal(t, "", blas)
	assert.Zero(t, trainN)
	assert.Zero(t, testN)
}

func TestParseFashionCSVErrors(t *testing.T) {
	const head = "method,seed,epoch,iteration,train_loss,test_accuracy,train_seconds,wall_seconds\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"missing column", "method,seed,epoch,test_accuracy\n", `no "train_seconds" column`},
		{"no rows", head, "no rows"},
		{"bad seed", head + "a,x,0,0,NaN,0.1,0,0\n", "line 2: seed"},
		{"bad accuracy", head + "a,1,0,0,NaN,1.5,0,0\n", "outside [0, 1]"},
		{"bad seconds", head + "a,1,0,0,NaN,0.5,-1,0\n", "training seconds"},
		{"not a number", head + "a,1,0,0,NaN,zz,0,0\n", "test_accuracy"},
		{"epochs not increasing", head + "a,1,1,0,1,0.5,1,1\na,1,1,0,1,0.5,2,2\n", "epoch 1 after 1"},
		{"empty method", head + ",1,0,0,NaN,0.5,0,0\n", "empty method"},
		{"short row", head + "a,1,0\n", "epochs.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFashionCSV(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseFashionCSVColumnsByName(t *testing.T) {
	// Reordered columns, no train_loss, an extra column, two seeds
	// interleaved: runs keep their first-appearance order.
	in := "extra,test_accuracy,seed,train_seconds,method,epoch\n" +
		"x,0.1,2,0,m,0\nx,0.1,1,0,m,0\nx,0.9,2,3,m,1\nx,0.8,1,4,m,1\n"
	runs, err := ParseFashionCSV(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, uint64(2), runs[0].Seed)
	assert.Equal(t, uint64(1), runs[1].Seed)
	assert.Equal(t, 3.0, runs[0].TimeTo(0.85))
	assert.True(t, math.IsInf(runs[1].TimeTo(0.85), 1))
	assert.True(t, math.IsNaN(runs[1].Epochs[1].TrainLoss))
}

func TestParseFashionTorchErrors(t *testing.T) {
	ep := `"epochs": [{"epoch": 1, "train_seconds": 1, "train_loss": 1, "test_accuracy": 0.5}]`
	tests := []struct {
		name, in, want string
	}{
		{"no record", "torch 1.13\nseed 1\n", "no JSON record"},
		{"bad json", "{\"name\": \n", "line 1"},
		{"no name", "{" + ep + "}\n", "name"},
		{"other name", `{"name": "step-large", ` + ep + "}\n", "name"},
		{"no epochs", `{"name": "fashion-adam", "epochs": []}` + "\n", "no epochs"},
		{"epoch lacks accuracy", `{"name": "fashion-adam", "epochs": [{"epoch": 1, "train_seconds": 1}]}` + "\n", "lacks"},
		{"accuracy out of range", `{"name": "fashion-adam", "epochs": [{"epoch": 1, "train_seconds": 1, "test_accuracy": 2}]}` + "\n", "outside"},
		{"epochs not increasing", `{"name": "fashion-adam", "epochs": [{"epoch": 2, "train_seconds": 1, "test_accuracy": 0.5}, {"epoch": 1, "train_seconds": 2, "test_accuracy": 0.5}]}` + "\n", "epoch 1 after 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFashionTorch(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func mkRun(side, method string, threads int, seed uint64, blas string, pts ...[3]float64) FashionRun {
	r := FashionRun{Side: side, Method: method, Threads: threads, Seed: seed, BLAS: blas, LoadStart: 1.5, LoadEnd: 2}
	for _, p := range pts {
		r.Epochs = append(r.Epochs, FashionEpoch{Epoch: p[0], TestAccuracy: p[1], TrainSeconds: p[2], TrainLoss: math.NaN()})
	}
	return r
}

func TestFashionRunMetrics(t *testing.T) {
	tests := []struct {
		name           string
		run            FashionRun
		spe, t85, t88  float64
		final          float64
		wantNaNSeconds bool
	}{
		{"uneven epochs, median per pass", mkRun(SideBsum, "m", 1, 1, "",
			[3]float64{0, 0.1, 0}, [3]float64{1, 0.84, 2}, [3]float64{2, 0.86, 3}, [3]float64{3, 0.89, 10}), 2, 3, 10, 0.89, false},
		{"fractional epochs", mkRun(SideBsum, "m", 1, 1, "",
			[3]float64{0, 0.1, 0}, [3]float64{1.25, 0.9, 2.5}), 2, 2.5, 2.5, 0.9, false},
		{"torch, no epoch 0", mkRun(SideTorch, "adam", 1, 1, "",
			[3]float64{1, 0.85, 4}, [3]float64{2, 0.87, 6}), 3, 4, math.Inf(1), 0.87, false},
		{"no epochs", mkRun(SideTorch, "adam", 1, 1, ""), math.NaN(), math.Inf(1), math.Inf(1), math.NaN(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantNaNSeconds {
				assert.True(t, math.IsNaN(tc.run.SecondsPerEpoch()))
				assert.True(t, math.IsNaN(tc.run.FinalAccuracy()))
			} else {
				assert.InDelta(t, tc.spe, tc.run.SecondsPerEpoch(), 1e-12)
				assert.Equal(t, tc.final, tc.run.FinalAccuracy())
			}
			assert.Equal(t, tc.t85, tc.run.TimeTo(0.85))
			assert.Equal(t, tc.t88, tc.run.TimeTo(0.88))
		})
	}
}

func TestSummarizeAndWriteFashionTable(t *testing.T) {
	const ours, theirs = "OpenBLAS cgo threads=1", "OpenBLAS 0.3.21, 1 threads"
	runs := []FashionRun{
		mkRun(SideBsum, "bp-armijo", 1, 1, ours, [3]float64{0, 0.1, 0}, [3]float64{1, 0.86, 2}, [3]float64{2, 0.89, 4}),
		mkRun(SideBsum, "bp-armijo", 1, 2, ours, [3]float64{0, 0.1, 0}, [3]float64{1, 0.84, 3}, [3]float64{2, 0.87, 6}),
		mkRun(SideBsum, "bp-armijo", 1, 3, ours, [3]float64{0, 0.1, 0}, [3]float64{1, 0.86, 2.5}, [3]float64{2, 0.88, 5}),
		mkRun(SideTorch, "adam", 1, 1, theirs, [3]float64{1, 0.85, 4}, [3]float64{2, 0.88, 8}),
	}
	rows := SummarizeFashion(runs)
	require.Len(t, rows, 2)
	b := rows[0]
	assert.Equal(t, SideBsum, b.Side)
	assert.Equal(t, 3, b.Seeds)
	assert.Equal(t, 2.5, b.SecondsPerEpoch)      // per seed 2, 3, 2.5
	assert.Equal(t, []float64{2.5, 5}, b.TimeTo) // 0.85: 2, 6, 2.5 s; 0.88: 4, never, 5 s
	assert.Equal(t, []int{3, 2}, b.Reached)
	assert.Equal(t, 0.88, b.FinalAccuracy)

	var buf bytes.Buffer
	require.NoError(t, WriteFashionTable(&buf, rows))
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	require.Len(t, lines, 6, buf.String())
	assert.Equal(t, []string{"side", "method", "threads", "BLAS", "seeds", "s/epoch", "to", "0.85", "(s)", "to", "0.88", "(s)",
		"final", "test", "acc", "load", "1-min", "start→end"}, strings.Fields(lines[0]))
	assert.Equal(t, []string{"bsum", "bp-armijo", "1", "[1]", "3", "2.500", "2.50", "3/3", "5.00", "2/3", "0.8800", "1.50→2.00"}, strings.Fields(lines[1]))
	assert.Equal(t, []string{"torch", "adam", "1", "[2]", "1", "4.000", "4.00", "1/1", "8.00", "1/1", "0.8800", "1.50→2.00"}, strings.Fields(lines[2]))
	assert.Equal(t, "[1] "+ours, lines[3])
	assert.Equal(t, "[2] "+theirs, lines[4])
	assert.Equal(t, "best bsum / best torch (over methods and threads): s/epoch 0.625, to 0.85 0.625, to 0.88 0.625", lines[5])
	// Columns line up: every row starts its BLAS key where the header's
	// BLAS column starts.
	col := strings.Index(lines[0], "BLAS")
	assert.Equal(t, "[1]", lines[1][col:col+3])
	assert.Equal(t, "[2]", lines[2][col:col+3])
}

func TestWriteFashionTableOneSideAndUnreached(t *testing.T) {
	runs := []FashionRun{mkRun(SideBsum, "adagrad", 2, 1, "", [3]float64{0, 0.1, 0}, [3]float64{1, 0.7, 1})}
	runs[0].LoadStart = -1
	var buf bytes.Buffer
	require.NoError(t, WriteFashionTable(&buf, SummarizeFashion(runs)))
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	require.Len(t, lines, 3, buf.String()) // header, row, legend; no ratio line without torch
	assert.Equal(t, []string{"bsum", "adagrad", "2", "[1]", "1", "1.000", "—", "0/1", "—", "0/1", "0.7000", "?→2.00"}, strings.Fields(lines[1]))
	assert.Equal(t, "[1] unknown", lines[2])
}

func TestFashionRunJSONRoundTrip(t *testing.T) {
	r := mkRun(SideBsum, "m", 1, 7, "b", [3]float64{0, 0.1, 0}, [3]float64{1, 0.9, 2})
	r.Epochs[1].TrainLoss = 0.25
	line, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(line), `"train_loss":null`)
	assert.Contains(t, string(line), `"train_loss":0.25`)
	var back map[string]any
	require.NoError(t, json.Unmarshal(line, &back))
	assert.Equal(t, "bsum", back["side"])
	assert.Equal(t, 7.0, back["seed"])
	assert.Len(t, back["epochs"], 2)
}

func FuzzParseFashionCSV(f *testing.F) {
	f.Add("method,seed,epoch,iteration,train_loss,test_accuracy,train_seconds,wall_seconds\nm,1,0,0,NaN,0.1,0,0\nm,1,1,8,0.5,0.8,1.5,1.6\n")
	f.Add("method,seed,epoch,test_accuracy,train_seconds\n\"m,\",1,0,0.5,0\n")
	f.Fuzz(func(t *testing.T, in string) {
		runs, err := ParseFashionCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		checkParsedRuns(t, runs)
	})
}

func FuzzParseFashionTorch(f *testing.F) {
	f.Add(`{"name": "fashion-adam", "seed": 1, "threads": 1, "epochs": [{"epoch": 1, "train_seconds": 1, "train_loss": 1, "test_accuracy": 0.5}]}` + "\n")
	f.Add("torch 1.13\n{\"name\": \"fashion-x\", \"epochs\": [{\"epoch\": 1, \"train_seconds\": 0, \"test_accuracy\": 1}]}\n")
	f.Fuzz(func(t *testing.T, in string) {
		runs, err := ParseFashionTorch(strings.NewReader(in))
		if err != nil {
			return
		}
		checkParsedRuns(t, runs)
	})
}

func FuzzParseFashionExampleLog(f *testing.F) {
	f.Add("Fashion-MNIST: 2000 training, 1000 test images; x\nGo go1, GOMAXPROCS 1, BLAS: gonum\n")
	f.Add("Go x BLAS: \nFashion-MNIST: -1 training, 2 test images")
	f.Fuzz(func(t *testing.T, in string) {
		blas, trainN, testN := ParseFashionExampleLog(in)
		if trainN < 0 || testN < 0 {
			t.Fatalf("negative sizes %d, %d", trainN, testN)
		}
		if blas != strings.TrimSpace(blas) {
			t.Fatalf("untrimmed BLAS %q", blas)
		}
	})
}

// checkParsedRuns asserts what every successful parse promises.
func checkParsedRuns(t *testing.T, runs []FashionRun) {
	if len(runs) == 0 {
		t.Fatal("no runs without an error")
	}
	for _, r := range runs {
		if len(r.Epochs) == 0 {
			t.Fatalf("%s: no epochs", r.Method)
		}
		for i, e := range r.Epochs {
			if checkEpoch(e) != nil || (i > 0 && !(e.Epoch > r.Epochs[i-1].Epoch)) {
				t.Fatalf("%s: bad epoch %d: %+v", r.Method, i, e)
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("%s: not encodable: %v", r.Method, err)
		}
		rows := SummarizeFashion([]FashionRun{r})
		if err := WriteFashionTable(&bytes.Buffer{}, rows); err != nil {
			t.Fatal(err)
		}
	}
}

package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/graph"
)

// group simulates the participants of a data-parallel run with
// goroutines: Sum waits for all of them and adds their vectors in rank
// order, as the MPI reducer does.
type group struct {
	size    int
	mu      sync.Mutex
	cond    *sync.Cond
	arrived int
	gen     int
	parts   [][]float64
	result  []float64
	err     error
}

func newGroup(size int) *group {
	g := &group{size: size, parts: make([][]float64, size)}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// member is one participant of a group.
type member struct {
	g    *group
	rank int
}

func (m member) Rank() int { return m.rank }
func (m member) Size() int { return m.g.size }

func (m member) Sum(x []float64) error {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	gen := g.gen
	g.parts[m.rank] = slices.Clone(x)
	g.arrived++
	if g.arrived == g.size {
		g.err = nil
		g.result = make([]float64, len(x))
		for q, p := range g.parts {
			if len(p) != len(x) {
				g.err = fmt.Errorf("rank %d summed %d numbers, rank %d %d", q, len(p), m.rank, len(x))
			}
			for i := range min(len(p), len(x)) {
				g.result[i] += p[i]
			}
		}
		g.arrived = 0
		g.gen++
		g.cond.Broadcast()
	} else {
		for gen == g.gen {
			g.cond.Wait()
		}
	}
	if g.err != nil {
		return g.err
	}
	copy(x, g.result)
	return nil
}

// runGroup calls f for every rank of a group of size on its own goroutine
// and returns the results in rank order.
func runGroup[T any](size int, f func(red Reducer) (T, error)) ([]T, []error) {
	g := newGroup(size)
	out, errs := make([]T, size), make([]error, size)
	var wg sync.WaitGroup
	for r := range size {
		wg.Go(func() { out[r], errs[r] = f(member{g, r}) })
	}
	wg.Wait()
	return out, errs
}

func TestShardRangeIsGraphs(t *testing.T) {
	for n := -1; n <= 23; n++ {
		for size := 0; size <= 6; size++ {
			for rank := -1; rank <= size; rank++ {
				lo, hi := shardRange(n, rank, size)
				glo, ghi := graph.ShardRange(n, rank, size)
				require.Equal(t, [2]int{glo, ghi}, [2]int{lo, hi}, "n=%d rank=%d size=%d", n, rank, size)
			}
		}
	}
}

const shardCSV = "a,b,name\n1,10,x\n2,20,y\n\n3,30,z\n4,40,w\n5,50,v\n"

func TestReadCSVRows(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		columns []string
		lo, hi  int
		rows    [][]float64
		n       int
		err     error
	}{
		{"middle", shardCSV, []string{"b", "a"}, 1, 3, [][]float64{{20, 2}, {30, 3}}, 5, nil},
		{"all", shardCSV, []string{"a"}, 0, 5, [][]float64{{1}, {2}, {3}, {4}, {5}}, 5, nil},
		{"empty range counts", shardCSV, []string{"a"}, 5, 5, [][]float64{}, 5, nil},
		{"every column", "a,b\n1,2\n3,4\n", nil, 1, 2, [][]float64{{3, 4}}, 2, nil},
		{"past the end", shardCSV, []string{"a"}, 4, 6, nil, 0, ErrBadConfig},
		{"negative", shardCSV, []string{"a"}, -1, 2, nil, 0, ErrBadConfig},
		{"reversed", shardCSV, []string{"a"}, 3, 2, nil, 0, ErrBadConfig},
		{"no columns", shardCSV, []string{}, 0, 1, nil, 0, ErrNoColumns},
		{"text outside the range is not parsed", "a\n1\nx\n", nil, 0, 1, [][]float64{{1}}, 2, nil},
		{"text inside the range", "a\n1\nx\n", nil, 1, 2, nil, 0, ErrNotNumeric},
		{"ragged row outside the range", "a,b\n1,2\n3\n", nil, 0, 1, nil, 0, ErrRagged},
		{"no rows", "a,b\n", nil, 0, 0, nil, 0, ErrNoRows},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, n, err := ReadCSVRows(strings.NewReader(tc.src), "s.csv", tc.columns, tc.lo, tc.hi)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Contains(t, err.Error(), "s.csv")
				assert.Nil(t, tab)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.rows, tab.Rows)
		})
	}
}

func TestReadCSVRowsErrorLine(t *testing.T) {
	// Line numbers count every line of the file, not just the shard's.
	_, _, err := ReadCSVRows(strings.NewReader("a\n1\n\n2\nbad\n"), "s.csv", nil, 2, 3)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 5, pe.Line)
}

func TestLoadCSVShard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.csv")
	require.NoError(t, os.WriteFile(path, []byte(shardCSV), 0o644))
	full, err := LoadCSVColumns(path, []string{"a", "b"})
	require.NoError(t, err)
	for size := 1; size <= 7; size++ {
		var got [][]float64
		for rank := range size {
			tab, sh, err := LoadCSVShard(path, []string{"a", "b"}, rank, size)
			require.NoError(t, err)
			lo, hi := graph.ShardRange(5, rank, size)
			assert.Equal(t, Shard{Rank: rank, Size: size, Lo: lo, Hi: hi, N: 5}, sh)
			assert.Equal(t, []string{"a", "b"}, tab.Columns)
			got = append(got, tab.Rows...)
		}
		assert.Equal(t, full.Rows, got, "size %d", size)
	}
	for _, rs := range [][2]int{{0, 0}, {2, 2}, {-1, 2}} {
		_, _, err := LoadCSVShard(path, nil, rs[0], rs[1])
		assert.ErrorIs(t, err, ErrBadConfig, "rank %d size %d", rs[0], rs[1])
	}
	_, _, err = LoadCSVShard(filepath.Join(t.TempDir(), "missing.csv"), nil, 0, 1)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestTableShard(t *testing.T) {
	tab, err := BodyFat()
	require.NoError(t, err)
	for size := 1; size <= 4; size++ {
		var rows [][]float64
		for rank := range size {
			part, sh, err := tab.Shard(rank, size)
			require.NoError(t, err)
			assert.Equal(t, 252, sh.N)
			assert.Len(t, part.Rows, sh.Hi-sh.Lo)
			rows = append(rows, part.Rows...)
		}
		assert.Equal(t, tab.Rows, rows)
	}
	_, _, err = tab.Shard(3, 3)
	assert.ErrorIs(t, err, ErrBadConfig)
}

func TestBuildShard(t *testing.T) {
	tab, err := BodyFat()
	require.NoError(t, err)
	for _, cfg := range []Config{
		{Features: BodyFatFeatures(), Targets: []string{BodyFatTarget}, Target: TargetMinMax, Range: RangeLogistic},
		{Targets: []string{BodyFatTarget, "Density"}, Target: TargetStandard},
		{Features: []string{"Age"}, Targets: []string{BodyFatTarget}},
	} {
		whole, err := tab.Build(cfg)
		require.NoError(t, err)
		for _, size := range []int{1, 2, 3, 5, 300} {
			t.Run(fmt.Sprintf("%s/%d", cfg.Target, size), func(t *testing.T) {
				sets, errs := runGroup(size, func(red Reducer) (*Set, error) {
					part, _, err := tab.Shard(red.Rank(), red.Size())
					if err != nil {
						return nil, err
					}
					return part.BuildShard(cfg, red)
				})
				for r, err := range errs {
					require.NoError(t, err, "rank %d", r)
				}
				// Every participant has the same Scaler, bit for bit.
				for r := 1; r < size; r++ {
					require.Equal(t, sets[0].Scaler, sets[r].Scaler, "rank %d", r)
				}
				sc := sets[0].Scaler
				if size == 1 {
					assert.Equal(t, whole.Scaler, sc, "one participant is Build")
				}
				near := func(want, got []float64, what string) {
					tol := 1e-14
					if what == "X" || what == "Y" {
						// (v − mean)/std amplifies the rounding of mean by
						// |mean|/std (55 for Density).
						tol = 1e-12
					}
					require.Len(t, got, len(want), what)
					for i := range want {
						assert.InDelta(t, want[i], got[i], tol*math.Max(1, math.Abs(want[i])), "%s[%d]", what, i)
					}
				}
				near(whole.Scaler.Mean, sc.Mean, "Mean")
				near(whole.Scaler.Std, sc.Std, "Std")
				assert.Equal(t, whole.Scaler.TargetMin, sc.TargetMin, "minima are exact")
				assert.Equal(t, whole.Scaler.TargetMax, sc.TargetMax, "maxima are exact")
				near(whole.Scaler.TargetMean, sc.TargetMean, "TargetMean")
				near(whole.Scaler.TargetStd, sc.TargetStd, "TargetStd")
				// The shards, side by side, are the whole set.
				var x, y []float64
				n := 0
				for _, s := range sets {
					n += s.N
				}
				require.Equal(t, whole.N, n)
				for i := range whole.In {
					for _, s := range sets {
						x = append(x, s.X[i*s.N:(i+1)*s.N]...)
					}
				}
				for k := range whole.Out {
					for _, s := range sets {
						y = append(y, s.Y[k*s.N:(k+1)*s.N]...)
					}
				}
				near(whole.X, x, "X")
				near(whole.Y, y, "Y")
			})
		}
	}
}

func TestBuildShardErrors(t *testing.T) {
	// Column c is constant within each shard but not overall: fine.
	// Column k is constant overall: refused on every participant.
	tab := &Table{Name: "t.csv", Columns: []string{"c", "k", "y"},
		Rows: [][]float64{{1, 5, 0}, {1, 5, 1}, {2, 5, 2}, {2, 5, 3}}}
	_, errs := runGroup(2, func(red Reducer) (*Set, error) {
		part, _, _ := tab.Shard(red.Rank(), red.Size())
		return part.BuildShard(Config{Features: []string{"c"}, Targets: []string{"y"}}, red)
	})
	assert.Equal(t, []error{nil, nil}, errs)
	_, errs = runGroup(2, func(red Reducer) (*Set, error) {
		part, _, _ := tab.Shard(red.Rank(), red.Size())
		return part.BuildShard(Config{Features: []string{"k"}, Targets: []string{"y"}}, red)
	})
	for _, err := range errs {
		assert.ErrorIs(t, err, ErrConstantColumn)
	}
	// MinRows counts the rows of all participants.
	_, errs = runGroup(3, func(red Reducer) (*Set, error) {
		part, _, _ := tab.Shard(red.Rank(), red.Size())
		return part.BuildShard(Config{Features: []string{"c"}, Targets: []string{"y"}, MinRows: 5}, red)
	})
	for _, err := range errs {
		assert.ErrorIs(t, err, ErrTooFewRows)
		assert.Contains(t, err.Error(), "4 rows over 3 participants")
	}
	// A failing reduction is reported.
	_, err := tab.BuildShard(Config{Targets: []string{"y"}}, failing{})
	assert.ErrorContains(t, err, "link down")
}

// failing is a Reducer whose Sum fails.
type failing struct{}

func (failing) Rank() int             { return 0 }
func (failing) Size() int             { return 1 }
func (failing) Sum(x []float64) error { return errors.New("link down") }

func TestFashionMNISTShard(t *testing.T) {
	dir := fakeFashion(t, 23, 7)
	for _, opt := range []FashionMNISTOptions{
		{Dir: dir},
		{Dir: dir, Standardize: true},
		{Dir: dir, Standardize: true, TrainN: 11, TestN: 2},
	} {
		wholeTrain, wholeTest, err := FashionMNIST(opt)
		require.NoError(t, err)
		for _, size := range []int{1, 2, 3, 4, 12} {
			t.Run(fmt.Sprintf("std=%v/n=%d/size=%d", opt.Standardize, opt.TrainN, size), func(t *testing.T) {
				type pair struct {
					train, test     *Set
					trainSh, testSh Shard
				}
				got, errs := runGroup(size, func(red Reducer) (pair, error) {
					tr, te, trs, tes, err := FashionMNISTShard(opt, red)
					return pair{tr, te, trs, tes}, err
				})
				for r, err := range errs {
					require.NoError(t, err, "rank %d", r)
				}
				for _, which := range []string{"train", "test"} {
					whole := wholeTrain
					if which == "test" {
						whole = wholeTest
					}
					var x, y []float64
					for i := range FashionMNISTPixels {
						for _, p := range got {
							s := p.train
							if which == "test" {
								s = p.test
							}
							x = append(x, s.X[i*s.N:(i+1)*s.N]...)
						}
					}
					for k := range FashionMNISTClassesN {
						for _, p := range got {
							s, sh := p.train, p.trainSh
							if which == "test" {
								s, sh = p.test, p.testSh
							}
							require.Equal(t, sh.Hi-sh.Lo, s.N)
							require.Equal(t, whole.N, sh.N)
							y = append(y, s.Y[k*s.N:(k+1)*s.N]...)
						}
					}
					// Bit for bit the unsharded data and Scaler.
					assert.Equal(t, whole.X, x, which)
					assert.Equal(t, whole.Y, y, which)
					for _, p := range got {
						assert.Equal(t, wholeTrain.Scaler, p.train.Scaler, which)
						assert.Equal(t, whole.FeatureNames, p.train.FeatureNames)
					}
				}
			})
		}
	}
}

func TestFashionMNISTShardErrors(t *testing.T) {
	dir := fakeFashion(t, 5, 3)
	_, _, _, _, err := FashionMNISTShard(FashionMNISTOptions{Dir: dir}, badRank{})
	assert.ErrorIs(t, err, ErrBadConfig)
	_, _, _, _, err = FashionMNISTShard(FashionMNISTOptions{Dir: dir, TrainN: -1}, graph.Local{})
	assert.ErrorIs(t, err, ErrBadConfig)
	_, _, _, _, err = FashionMNISTShard(FashionMNISTOptions{Dir: t.TempDir()}, graph.Local{})
	assert.ErrorIs(t, err, ErrNotInstalled)
	_, _, _, _, err = FashionMNISTShard(FashionMNISTOptions{Dir: dir, Standardize: true}, failing{})
	assert.ErrorContains(t, err, "link down")
	// Participants that disagree on the options are caught.
	_, errs := runGroup(2, func(red Reducer) (*Set, error) {
		opt := FashionMNISTOptions{Dir: dir, Standardize: true, TrainN: 4 + red.Rank()}
		tr, _, _, _, err := FashionMNISTShard(opt, red)
		return tr, err
	})
	for _, err := range errs {
		assert.ErrorContains(t, err, "same options")
	}
	// Labels that do not cover the images.
	require.NoError(t, os.WriteFile(filepath.Join(dir, FashionMNISTTestLabels),
		idxBytes(IDXUint8, []int{2}, []byte{0, 1}), 0o644))
	_, _, _, _, err = FashionMNISTShard(FashionMNISTOptions{Dir: dir}, graph.Local{})
	assert.ErrorIs(t, err, ErrLabels)
}

// badRank claims rank 2 of 2.
type badRank struct{ failing }

func (badRank) Rank() int { return 2 }
func (badRank) Size() int { return 2 }

func TestReadIDXFirstItem(t *testing.T) {
	data := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	plain := idxBytes(IDXUint8, []int{5, 2}, data)
	tests := []struct {
		first, max int
		dims       []int
		data       []byte
		err        string
	}{
		{0, 0, []int{5, 2}, data, ""},
		{2, 0, []int{3, 2}, data[4:], ""},
		{2, 2, []int{2, 2}, data[4:8], ""},
		{4, 9, []int{1, 2}, data[8:], ""},
		{5, 0, []int{0, 2}, []byte{}, ""},
		{6, 0, nil, nil, "cannot skip 6 items"},
	}
	for _, tc := range tests {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d-%d-gz=%v", tc.first, tc.max, gz), func(t *testing.T) {
				in := plain
				if gz {
					in = gzipBytes(t, plain)
				}
				a, err := ReadIDX(bytes.NewReader(in), "r.idx", IDXOptions{FirstItem: tc.first, MaxItems: tc.max})
				if tc.err != "" {
					require.ErrorIs(t, err, ErrIDX)
					assert.ErrorContains(t, err, tc.err)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tc.dims, a.Dims)
				assert.Equal(t, tc.data, a.Data)
			})
		}
	}
	// A file cut short inside the skipped items.
	cut := gzipBytes(t, plain[:len(plain)-7])
	_, err := ReadIDX(bytes.NewReader(cut), "r.idx", IDXOptions{FirstItem: 4, MaxItems: 1})
	assert.ErrorIs(t, err, ErrIDX)
	path := filepath.Join(t.TempDir(), "r.idx")
	require.NoError(t, os.WriteFile(path, plain[:len(plain)-3], 0o644))
	_, err = LoadIDX(path, IDXOptions{FirstItem: 4})
	assert.ErrorContains(t, err, "truncated")
}

func FuzzReadCSVRows(f *testing.F) {
	for _, seed := range []struct {
		src    string
		lo, hi int
	}{
		{shardCSV, 1, 3},
		{"a,b\n1,2\n3,4\n", 0, 2},
		{"a\n1\nx\n", 0, 1},
		{"a,b\n1,2\n3\n", 1, 1},
		{"\uFEFFx\r\n1\r\n\r\n2\r\n", 1, 2},
	} {
		f.Add(seed.src, seed.lo, seed.hi)
	}
	f.Fuzz(func(t *testing.T, src string, lo, hi int) {
		part, n, err := ReadCSVRows(strings.NewReader(src), "fuzz.csv", nil, lo, hi)
		full, ferr := ReadCSV(strings.NewReader(src), "fuzz.csv")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) && !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v (%T) is neither a *ParseError nor ErrBadConfig", err, err)
			}
			if ferr == nil && lo >= 0 && lo <= hi && hi <= len(full.Rows) {
				t.Fatalf("rows [%d, %d) of an accepted table of %d rows rejected: %v", lo, hi, len(full.Rows), err)
			}
			return
		}
		// A shard was read: the whole table parses only if its other rows
		// are numbers too; when it does, the shard is its slice.
		if ferr == nil {
			if n != len(full.Rows) || !slices.EqualFunc(part.Rows, full.Rows[lo:hi], slices.Equal[[]float64]) {
				t.Fatalf("rows [%d, %d) of %d differ from the whole table's", lo, hi, n)
			}
		}
		if len(part.Rows) != hi-lo || hi > n {
			t.Fatalf("rows [%d, %d) of %d: got %d rows", lo, hi, n, len(part.Rows))
		}
	})
}

func FuzzReadIDXShard(f *testing.F) {
	f.Add(idxBytes(IDXUint8, []int{4, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7}), 1, 2)
	f.Add(idxBytes(IDXInt16, []int{2, 1}, []byte{0, 1, 0, 2}), 2, 0)
	f.Add(gzipBytes(f, idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3})), 1, 1)
	f.Fuzz(func(t *testing.T, in []byte, first, maxItems int) {
		opt := IDXOptions{FirstItem: first, MaxItems: maxItems, MaxBytes: 1 << 20}
		a, err := ReadIDX(bytes.NewReader(in), "fuzz.idx", opt)
		if err != nil {
			if a != nil || !errors.Is(err, ErrIDX) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		whole, err := ReadIDX(bytes.NewReader(in), "fuzz.idx", IDXOptions{MaxBytes: 1 << 20})
		if err != nil {
			return // the part read was valid; something after it is not
		}
		item := whole.Type.Size()
		for _, d := range whole.Dims[1:] {
			item *= d
		}
		lo := max(first, 0)
		hi := whole.Dims[0]
		if maxItems > 0 {
			hi = min(hi, lo+maxItems)
		}
		if a.Dims[0] != hi-lo || !bytes.Equal(a.Data, whole.Data[lo*item:hi*item]) {
			t.Fatalf("items [%d, %d) of %v differ", lo, hi, whole.Dims)
		}
	})
}

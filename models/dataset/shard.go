package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Reducer is what the shard loaders need from a data-parallel run: the
// participant's rank and count, and an element-wise sum over participants
// that leaves every participant with the same bits. graph.Reducer (for
// example graph.Local or the MPI communicator of internal/mpi) satisfies
// it. Every participant must make the same sequence of calls.
type Reducer interface {
	// Rank is this participant's index, 0 ≤ Rank < Size.
	Rank() int
	// Size is the number of participants.
	Size() int
	// Sum replaces x on every participant by the element-wise sum of the x
	// of all participants.
	Sum(x []float64) error
}

// Shard says which samples one participant holds: the contiguous range
// [Lo, Hi) of the N samples of the whole data set, as split by
// graph.ShardRange(N, Rank, Size).
type Shard struct {
	Rank, Size int
	// Lo and Hi bound the samples held, 0 ≤ Lo ≤ Hi ≤ N.
	Lo, Hi int
	// N is the number of samples of the whole data set.
	N int
}

// shardRange is graph.ShardRange (a test checks that they agree): the first
// n mod size participants get one sample more.
func shardRange(n, rank, size int) (lo, hi int) {
	if size <= 0 || rank < 0 || rank >= size || n <= 0 {
		return 0, 0
	}
	q, r := n/size, n%size
	lo = rank*q + min(rank, r)
	hi = lo + q
	if rank < r {
		hi++
	}
	return lo, hi
}

// newShard returns the Shard of rank in size for n samples, or an
// ErrBadConfig error for an impossible rank or size.
func newShard(n, rank, size int) (Shard, error) {
	if size < 1 || rank < 0 || rank >= size {
		return Shard{}, fmt.Errorf("dataset: %w: rank %d of %d participants", ErrBadConfig, rank, size)
	}
	lo, hi := shardRange(n, rank, size)
	return Shard{Rank: rank, Size: size, Lo: lo, Hi: hi, N: n}, nil
}

// ReadCSVRows reads a numeric CSV table like [ReadCSVColumns] (columns nil
// means every column, as [ReadCSV]) but keeps only the data rows
// lo ≤ i < hi, counted from 0 after the header with blank lines skipped.
// Every row is still checked for CSV syntax and width, so all participants
// of a sharded run refuse the same malformed file; only kept rows are
// parsed as numbers. It returns n, the number of data rows in the whole
// input. A range that does not fit 0 ≤ lo ≤ hi ≤ n is an [ErrBadConfig]
// error; an empty range is allowed (a participant may hold no rows).
func ReadCSVRows(r io.Reader, name string, columns []string, lo, hi int) (t *Table, n int, err error) {
	if lo < 0 || hi < lo {
		return nil, 0, fmt.Errorf("dataset: %s: %w: rows [%d, %d)", name, ErrBadConfig, lo, hi)
	}
	if columns != nil && len(columns) == 0 {
		return nil, 0, fmt.Errorf("dataset: %s: %w: no columns requested", name, ErrNoColumns)
	}
	t, n, err = readCSV(r, name, columns, lo, hi)
	if err != nil {
		return nil, 0, err
	}
	if hi > n {
		return nil, 0, fmt.Errorf("dataset: %s: %w: rows [%d, %d) of a table with %d rows", name, ErrBadConfig, lo, hi, n)
	}
	if t.Rows == nil {
		t.Rows = [][]float64{}
	}
	return t, n, nil
}

// LoadCSVShard reads the rows of a CSV file that participant rank of size
// holds: the range graph.ShardRange(n, rank, size) of its n data rows. It
// reads the file twice, first to count the rows (without parsing numbers)
// and then to parse the shard ([ReadCSVRows]). columns selects columns as
// in ReadCSVRows. Fit a scaler for the shards with [Table.BuildShard] (or
// [FitScalerShard]) so that every participant uses the statistics of all
// rows.
func LoadCSVShard(path string, columns []string, rank, size int) (*Table, Shard, error) {
	read := func(lo, hi int) (*Table, int, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, fmt.Errorf("dataset: %w", err)
		}
		defer f.Close()
		return ReadCSVRows(f, path, columns, lo, hi)
	}
	if size < 1 || rank < 0 || rank >= size {
		return nil, Shard{}, fmt.Errorf("dataset: %s: %w: rank %d of %d participants", path, ErrBadConfig, rank, size)
	}
	_, n, err := read(0, 0)
	if err != nil {
		return nil, Shard{}, err
	}
	sh, err := newShard(n, rank, size)
	if err != nil {
		return nil, Shard{}, err
	}
	t, n2, err := read(sh.Lo, sh.Hi)
	if err != nil {
		return nil, Shard{}, err
	}
	if n2 != n {
		return nil, Shard{}, fmt.Errorf("dataset: %s: the file changed while it was read (%d rows, then %d)", path, n, n2)
	}
	return t, sh, nil
}

// Shard returns the rows of t that participant rank of size holds
// (graph.ShardRange over len(t.Rows)) and their Shard. It suits tables that
// are small enough for every participant to load, such as [BodyFat]; for
// files use [LoadCSVShard], which parses only the shard.
func (t *Table) Shard(rank, size int) (*Table, Shard, error) {
	sh, err := newShard(len(t.Rows), rank, size)
	if err != nil {
		return nil, Shard{}, err
	}
	idx := make([]int, sh.Hi-sh.Lo)
	for i := range idx {
		idx[i] = sh.Lo + i
	}
	return t.Subset(idx), sh, nil
}

// BuildShard is [Table.Build] for one shard of a table split over the
// participants of red: t holds this participant's rows, and the Scaler is
// fitted on the rows of all participants with [FitScalerShard], so every
// participant gets the same Scaler and its shard is scaled as in the whole
// table. Every participant must call it with the same cfg. MinRows applies
// to the total number of rows.
func (t *Table) BuildShard(cfg Config, red Reducer) (*Set, error) {
	if err := checkMode(cfg.Target, cfg.Range); err != nil {
		return nil, err
	}
	if len(cfg.Targets) == 0 {
		return nil, &ParseError{File: t.Name, Err: fmt.Errorf("%w: no target column", ErrNoColumns)}
	}
	set, err := t.Select(cfg.Features, cfg.Targets)
	if err != nil {
		return nil, err
	}
	minRows := cfg.MinRows
	if minRows == 0 {
		minRows = DefaultMinRows
	}
	sc, n, err := fitScalerShard(set, cfg.Target, cfg.Range, red, t.Name)
	if err != nil {
		return nil, err
	}
	if n < minRows {
		return nil, &ParseError{File: t.Name,
			Err: fmt.Errorf("%w: %d rows over %d participants, need at least %d", ErrTooFewRows, n, red.Size(), minRows)}
	}
	sc.TransformX(set.X, set.X, set.N)
	sc.TransformY(set.Y, set.Y, set.N)
	set.Scaler = sc
	return set, nil
}

// FitScalerShard is [FitScaler] for a data set split over the participants
// of red, s being this participant's raw samples (possibly none). The
// statistics are those of all samples: means from reduced sums, population
// standard deviations from reduced sums of squared deviations from the
// global mean (two passes, like FitScaler), and minima and maxima gathered
// exactly. Every participant gets the same bits; they agree with FitScaler
// on the whole data set up to rounding (the sums are added per shard, then
// in rank order). Every participant must call it with the same mode and r
// and Sets of the same columns.
func FitScalerShard(s *Set, mode TargetMode, r TargetRange, red Reducer) (*Scaler, error) {
	sc, _, err := fitScalerShard(s, mode, r, red, "")
	return sc, err
}

func fitScalerShard(s *Set, mode TargetMode, r TargetRange, red Reducer, file string) (*Scaler, int, error) {
	if err := checkMode(mode, r); err != nil {
		return nil, 0, err
	}
	if mode == "" {
		mode = TargetIdentity
	}
	if len(s.X) != s.In*s.N || len(s.Y) != s.Out*s.N || len(s.FeatureNames) != s.In || len(s.TargetNames) != s.Out {
		return nil, 0, fmt.Errorf("dataset: inconsistent Set: In=%d Out=%d N=%d len(X)=%d len(Y)=%d",
			s.In, s.Out, s.N, len(s.X), len(s.Y))
	}
	rows := s.In + s.Out
	row := func(j int) []float64 {
		if j < s.In {
			return s.X[j*s.N : (j+1)*s.N]
		}
		k := j - s.In
		return s.Y[k*s.N : (k+1)*s.N]
	}
	// Pass 1: the sample count and the sum of every row.
	sums := make([]float64, rows+1)
	sums[rows] = float64(s.N)
	for j := range rows {
		for _, v := range row(j) {
			sums[j] += v
		}
	}
	if err := red.Sum(sums); err != nil {
		return nil, 0, fmt.Errorf("dataset: fitting a scaler over %d participants: %w", red.Size(), err)
	}
	n := int(sums[rows])
	if n < 1 {
		return nil, 0, &ParseError{File: file, Err: fmt.Errorf("%w: no samples to fit", ErrTooFewRows)}
	}
	mean := make([]float64, rows)
	for j := range rows {
		mean[j] = sums[j] / float64(n)
	}
	// Pass 2: squared deviations from the global mean; minima and maxima
	// in this participant's slot (adding zeros elsewhere is exact).
	size, rank := red.Size(), red.Rank()
	buf := make([]float64, rows+2*rows*size)
	ss, ext := buf[:rows], buf[rows:]
	for j := range rows {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range row(j) {
			d := v - mean[j]
			ss[j] += d * d
			lo, hi = min(lo, v), max(hi, v)
		}
		ext[(j*size+rank)*2], ext[(j*size+rank)*2+1] = lo, hi
	}
	if err := red.Sum(buf); err != nil {
		return nil, 0, fmt.Errorf("dataset: fitting a scaler over %d participants: %w", size, err)
	}
	stat := func(j int) (mean, std, lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for q := range size {
			lo, hi = min(lo, ext[(j*size+q)*2]), max(hi, ext[(j*size+q)*2+1])
		}
		return sums[j] / float64(n), math.Sqrt(ss[j] / float64(n)), lo, hi
	}
	sc := &Scaler{
		FeatureNames: slices.Clone(s.FeatureNames),
		Mean:         make([]float64, s.In),
		Std:          make([]float64, s.In),
		TargetNames:  slices.Clone(s.TargetNames),
		TargetMode:   mode,
	}
	constant := func(name string) error {
		return &ParseError{File: file, Column: name,
			Err: fmt.Errorf("%w: every value is equal, cannot scale", ErrConstantColumn)}
	}
	for i := range s.In {
		mean, std, lo, hi := stat(i)
		if lo == hi || std == 0 {
			return nil, 0, constant(s.FeatureNames[i])
		}
		sc.Mean[i], sc.Std[i] = mean, std
	}
	switch mode {
	case TargetMinMax:
		sc.Range = r
		sc.TargetMin = make([]float64, s.Out)
		sc.TargetMax = make([]float64, s.Out)
		for k := range s.Out {
			_, _, lo, hi := stat(s.In + k)
			if lo == hi {
				return nil, 0, constant(s.TargetNames[k])
			}
			sc.TargetMin[k], sc.TargetMax[k] = lo, hi
		}
	case TargetStandard:
		sc.TargetMean = make([]float64, s.Out)
		sc.TargetStd = make([]float64, s.Out)
		for k := range s.Out {
			mean, std, lo, hi := stat(s.In + k)
			if lo == hi || std == 0 {
				return nil, 0, constant(s.TargetNames[k])
			}
			sc.TargetMean[k], sc.TargetStd[k] = mean, std
		}
	}
	return sc, n, nil
}

// idxDims reads only the header of the IDX file at path (plain or gzip)
// and returns its element type and dimensions.
func idxDims(path string) (IDXType, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var in io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, nil, fmt.Errorf("dataset: %s: %w: gzip: %v", path, ErrIDX, err)
		}
		defer zr.Close()
		in = zr
	}
	var magic [4]byte
	if _, err := io.ReadFull(in, magic[:]); err != nil {
		return 0, nil, fmt.Errorf("dataset: %s: %w: reading the header: %v", path, ErrIDX, err)
	}
	if magic[0] != 0 || magic[1] != 0 || IDXType(magic[2]).Size() == 0 || magic[3] == 0 {
		return 0, nil, fmt.Errorf("dataset: %s: %w: not an IDX file: magic number %02x %02x %02x %02x",
			path, ErrIDX, magic[0], magic[1], magic[2], magic[3])
	}
	raw := make([]byte, 4*int(magic[3]))
	if _, err := io.ReadFull(in, raw); err != nil {
		return 0, nil, fmt.Errorf("dataset: %s: %w: truncated header: %v", path, ErrIDX, err)
	}
	dims := make([]int, magic[3])
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
	}
	return IDXType(magic[2]), dims, nil
}

// loadIDXShard reads the items [lo, hi) of the IDX file at path whose
// header announces dims; an empty range reads nothing.
func loadIDXShard(path string, typ IDXType, dims []int, lo, hi int) (*IDX, error) {
	if lo == hi {
		empty := slices.Clone(dims)
		empty[0] = 0
		return &IDX{Type: typ, Dims: empty, Data: []byte{}}, nil
	}
	a, err := LoadIDX(path, IDXOptions{FirstItem: lo, MaxItems: hi - lo})
	if err != nil {
		return nil, err
	}
	if a.Dims[0] != hi-lo {
		return nil, fmt.Errorf("dataset: %s: %w: read %d items of [%d, %d)", path, ErrIDX, a.Dims[0], lo, hi)
	}
	return a, nil
}

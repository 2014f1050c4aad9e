package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Table is a parsed numeric CSV file: a header of column names and rows of
// float64 values, one value per column, all finite. A Table is a plain
// value: safe for concurrent reads, not for modification while others read
// it.
type Table struct {
	// Name is the source name used in error messages (usually the file path).
	Name string
	// Columns are the column names from the header row, in file order.
	Columns []string
	// Rows are the data rows in file order; Rows[r][c] is column c of row r.
	Rows [][]float64
}

// LoadCSV reads a numeric CSV file with a header row; see [ReadCSV].
func LoadCSV(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path)
}

// ReadCSV parses comma-separated values with a header row of unique,
// non-empty column names followed by at least one row of numbers. name is
// used in error messages. Spaces around fields (and before a quoted field)
// are ignored, blank lines are skipped, and a leading UTF-8 byte-order mark
// is removed. Every row must have as many fields as the header, and every
// value must parse with [strconv.ParseFloat] to a finite number. All errors are [*ParseError]
// values that name the line and column and wrap a sentinel error.
func ReadCSV(r io.Reader, name string) (*Table, error) {
	t, _, err := readCSV(r, name, nil, 0, -1)
	return t, err
}

// ReadCSVColumns reads like ReadCSV but keeps only the named columns, in
// the given order; the other columns may hold anything (text ids, dates).
// A named column missing from the header is an ErrUnknownColumn error.
func ReadCSVColumns(r io.Reader, name string, columns []string) (*Table, error) {
	if len(columns) == 0 {
		return nil, fmt.Errorf("dataset: %s: %w: no columns requested", name, ErrNoColumns)
	}
	t, _, err := readCSV(r, name, columns, 0, -1)
	return t, err
}

// LoadCSVColumns opens path and reads the named columns (ReadCSVColumns).
func LoadCSVColumns(path string, columns []string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadCSVColumns(f, path, columns)
}

// readCSV reads a CSV table, keeping the columns keep (nil: all) and the
// data rows lo ≤ i < hi (hi < 0: all); every row is checked for syntax and
// width, only kept rows are parsed as numbers. It also returns the number
// of data rows in the input.
func readCSV(r io.Reader, name string, keep []string, lo, hi int) (*Table, int, error) {
	rc := newRecorder(r)
	cr := csv.NewReader(rc)
	cr.FieldsPerRecord = -1 // ragged rows are checked below, with a better message
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, 0, &ParseError{File: name, Line: 1, Err: ErrEmpty}
	}
	if err != nil {
		return nil, 0, readError(name, err, rc, nil)
	}
	rc.discardTo(cr.InputOffset())
	headerLine, _ := cr.FieldPos(0)
	t := &Table{Name: name, Columns: make([]string, len(header))}
	seen := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.TrimSpace(h)
		if j == 0 {
			h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		}
		line, _ := cr.FieldPos(j)
		if h == "" {
			return nil, 0, &ParseError{File: name, Line: line, Field: j + 1,
				Err: fmt.Errorf("%w: empty column name", ErrMissing)}
		}
		if k, dup := seen[h]; dup {
			return nil, 0, &ParseError{File: name, Line: line, Field: j + 1, Column: h,
				Err: fmt.Errorf("%w: also column %d", ErrDuplicateColumn, k+1)}
		}
		seen[h] = j
		t.Columns[j] = h
	}

	width := len(t.Columns)
	cols := make([]int, width) // which fields to parse, in output order
	for j := range cols {
		cols[j] = j
	}
	if keep != nil {
		cols = cols[:0]
		for _, k := range keep {
			j, ok := seen[k]
			if !ok {
				return nil, 0, &ParseError{File: name, Line: headerLine, Column: k,
					Err: fmt.Errorf("%w: the header has %s", ErrUnknownColumn, quoteList(t.Columns))}
			}
			cols = append(cols, j)
		}
		kept := make([]string, len(cols))
		for i, j := range cols {
			kept[i] = t.Columns[j]
		}
		t.Columns = kept
	}
	lastLine := headerLine
	rows := 0 // data rows seen
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, readError(name, err, rc, t.Columns)
		}
		rc.discardTo(cr.InputOffset())
		line, _ := cr.FieldPos(0)
		lastLine = line
		if len(rec) != width {
			pe := &ParseError{File: name, Line: line,
				Err: fmt.Errorf("%w: %d fields, header has %d", ErrRagged, len(rec), width)}
			if len(rec) < width {
				pe.Field = len(rec) + 1
				if keep == nil {
					pe.Column = t.Columns[len(rec)]
				}
			} else {
				pe.Field = width + 1
			}
			return nil, 0, pe
		}
		rows++
		if rows-1 < lo || (hi >= 0 && rows-1 >= hi) {
			continue
		}
		row := make([]float64, len(cols))
		for i, j := range cols {
			v, err := parseValue(rec[j])
			if err != nil {
				fline, _ := cr.FieldPos(j)
				return nil, 0, &ParseError{File: name, Line: fline, Field: j + 1, Column: t.Columns[i], Err: err}
			}
			row[i] = v
		}
		t.Rows = append(t.Rows, row)
	}
	if rows == 0 {
		return nil, 0, &ParseError{File: name, Line: lastLine + 1, Err: ErrNoRows}
	}
	return t, rows, nil
}

// parseValue parses one field to a finite float64.
func parseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrMissing
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: %s overflows float64", ErrNotFinite, quote(s))
		}
		if !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%w: %s", ErrNotNumeric, quote(s))
		}
		// Underflow to (signed) zero or a denormal: keep the rounded value.
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %s", ErrNotFinite, quote(s))
	}
	return v, nil
}

// ColumnIndex returns the index of the named column, or -1 if there is none.
func (t *Table) ColumnIndex(name string) int {
	return slices.Index(t.Columns, name)
}

// Select copies the chosen columns into an unscaled [Set] (its Scaler is
// nil). features and targets are column names; the order given is the row
// order of X and Y. If features is empty, every column that is not a
// target is a feature, in file order. A name that is not in the table
// yields [ErrUnknownColumn]; a name chosen twice (including as both feature
// and target) yields [ErrDuplicateColumn]; no feature at all yields
// [ErrNoColumns]. targets may be empty, giving Out = 0 and an empty Y.
func (t *Table) Select(features, targets []string) (*Set, error) {
	tIdx, err := t.indices(targets, nil)
	if err != nil {
		return nil, err
	}
	if len(features) == 0 {
		features = nil
		for _, c := range t.Columns {
			if !slices.Contains(targets, c) {
				features = append(features, c)
			}
		}
		if len(features) == 0 {
			return nil, &ParseError{File: t.Name, Err: fmt.Errorf("%w: every column is a target", ErrNoColumns)}
		}
	}
	fIdx, err := t.indices(features, targets)
	if err != nil {
		return nil, err
	}
	n := len(t.Rows)
	s := &Set{
		In:           len(fIdx),
		Out:          len(tIdx),
		N:            n,
		X:            make([]float64, len(fIdx)*n),
		Y:            make([]float64, len(tIdx)*n),
		FeatureNames: slices.Clone(features),
		TargetNames:  slices.Clone(targets),
	}
	if s.TargetNames == nil {
		s.TargetNames = []string{}
	}
	for r, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return nil, &ParseError{File: t.Name, Err: fmt.Errorf("%w: row %d has %d values, header has %d",
				ErrRagged, r+1, len(row), len(t.Columns))}
		}
		for i, c := range fIdx {
			s.X[i*n+r] = row[c]
		}
		for k, c := range tIdx {
			s.Y[k*n+r] = row[c]
		}
	}
	return s, nil
}

// indices resolves column names to indices; names must be known, unique,
// and not among taken.
func (t *Table) indices(names, taken []string) ([]int, error) {
	idx := make([]int, len(names))
	for i, name := range names {
		j := t.ColumnIndex(name)
		if j < 0 {
			return nil, &ParseError{File: t.Name, Column: name, Err: ErrUnknownColumn}
		}
		if slices.Contains(names[:i], name) {
			return nil, &ParseError{File: t.Name, Column: name, Field: j + 1,
				Err: fmt.Errorf("%w: selected twice", ErrDuplicateColumn)}
		}
		if slices.Contains(taken, name) {
			return nil, &ParseError{File: t.Name, Column: name, Field: j + 1,
				Err: fmt.Errorf("%w: selected as both feature and target", ErrDuplicateColumn)}
		}
		idx[i] = j
	}
	return idx, nil
}

// Subset returns a table with the rows idx, in that order. The rows are
// copied. It panics if an index is out of range.
func (t *Table) Subset(idx []int) *Table {
	out := &Table{Name: t.Name, Columns: slices.Clone(t.Columns), Rows: make([][]float64, len(idx))}
	for i, r := range idx {
		out.Rows[i] = slices.Clone(t.Rows[r])
	}
	return out
}

// Split divides the rows at random into a training table with
// round(trainFrac·N) rows and a test table with the rest; see [Set.Split].
// Split raw tables, then Build the training table and Apply its Scaler to
// the test table, so that the scaling is fitted on training rows only.
func (t *Table) Split(trainFrac float64, rng *rand.Rand) (train, test *Table) {
	tr, te := splitIndices(len(t.Rows), trainFrac, rng)
	return t.Subset(tr), t.Subset(te)
}

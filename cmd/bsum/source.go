package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/bsum-go/bsum/models/dataset"
)

// source is the --data input: the embedded BodyFat table, or the bytes of a
// CSV file or of standard input (read once, so that it can be parsed again
// for the columns the numeric table does not keep).
type source struct {
	name    string
	bodyfat bool
	data    []byte
}

// readSource reads --data.
func readSource(path string, stdin io.Reader) (*source, error) {
	switch path {
	case bodyFatName:
		return &source{name: bodyFatName, bodyfat: true}, nil
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, failure(fmt.Errorf("reading standard input: %w", err))
		}
		return &source{name: "<stdin>", data: b}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageErrorf("--data %s: file not found; give the path of a CSV file, or bodyfat for the embedded data set", path)
	}
	if err != nil {
		return nil, usageErrorf("--data %s: %w", path, err)
	}
	return &source{name: path, data: b}, nil
}

// table parses the source. With columns, only those are parsed and the
// other columns may hold anything.
func (s *source) table(columns []string) (*dataset.Table, error) {
	switch {
	case s.bodyfat:
		t, err := dataset.BodyFat()
		if err != nil || columns == nil {
			return t, err
		}
		for _, c := range columns {
			if t.ColumnIndex(c) < 0 {
				return nil, &dataset.ParseError{File: bodyFatName, Column: c,
					Err: fmt.Errorf("%w: the header has %s", dataset.ErrUnknownColumn, plainList(t.Columns))}
			}
		}
		return t, nil
	case columns != nil:
		return dataset.ReadCSVColumns(bytes.NewReader(s.data), s.name, columns)
	}
	return dataset.ReadCSV(bytes.NewReader(s.data), s.name)
}

// rawReader returns a CSV reader configured like the dataset package's, so
// that its records line up with the rows of the parsed table (blank lines
// skipped alike).
func (s *source) rawReader() *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(s.data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	return cr
}

// header returns the trimmed column names of the source.
func (s *source) header() ([]string, error) {
	if s.bodyfat {
		t, err := dataset.BodyFat()
		if err != nil {
			return nil, err
		}
		return t.Columns, nil
	}
	h, err := s.rawReader().Read()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(h))
	for i, c := range h {
		c = strings.TrimSpace(c)
		if i == 0 {
			c = strings.TrimSpace(strings.TrimPrefix(c, "\uFEFF"))
		}
		out[i] = c
	}
	return out, nil
}

// numericColumns returns the columns whose every value is a finite number.
func (s *source) numericColumns() ([]string, error) {
	header, err := s.header()
	if err != nil {
		return nil, err
	}
	if s.bodyfat {
		return header, nil
	}
	ok := make([]bool, len(header))
	for i := range ok {
		ok[i] = true
	}
	cr := s.rawReader()
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return nil, err
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i := range header {
			if i >= len(rec) || !ok[i] {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(v) || math.IsInf(v, 0) {
				ok[i] = false
			}
		}
	}
	var out []string
	for i, c := range header {
		if ok[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// keepColumns returns, for every data row, the raw text of the named
// columns (for predict --keep). With the embedded BodyFat table the values
// are formatted numbers.
func (s *source) keepColumns(names []string) ([][]string, error) {
	if s.bodyfat {
		t, err := dataset.BodyFat()
		if err != nil {
			return nil, err
		}
		idx := make([]int, len(names))
		for i, n := range names {
			if idx[i] = t.ColumnIndex(n); idx[i] < 0 {
				return nil, usageErrorf("--keep: %s has no column %s (it has %s)", bodyFatName, q(n), plainList(t.Columns))
			}
		}
		rows := make([][]string, len(t.Rows))
		for r, row := range t.Rows {
			rows[r] = make([]string, len(names))
			for i, j := range idx {
				rows[r][i] = strconv.FormatFloat(row[j], 'g', -1, 64)
			}
		}
		return rows, nil
	}
	header, err := s.header()
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range header {
			if h == n {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, usageErrorf("--keep: %s has no column %s (it has %s)", s.name, q(n), plainList(header))
		}
	}
	cr := s.rawReader()
	if _, err := cr.Read(); err != nil {
		return nil, err
	}
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		row := make([]string, len(names))
		for i, j := range idx {
			if j < len(rec) {
				row[i] = rec[j]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// lineOfRow returns the 1-based line of data row r (0-based, the header not
// counted) of a CSV source, or 0 if unknown.
func (s *source) lineOfRow(r int) int {
	if s.bodyfat {
		return 0
	}
	cr := s.rawReader()
	cr.ReuseRecord = true
	for i := -1; i <= r; i++ { // the header is row -1
		if _, err := cr.Read(); err != nil {
			return 0
		}
	}
	line, _ := cr.FieldPos(0)
	return line
}

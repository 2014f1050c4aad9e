package dataset

import "fmt"

// DefaultMinRows is the number of rows Build requires when Config.MinRows
// is zero: two rows are the least for which a standard deviation is
// meaningful.
const DefaultMinRows = 2

// Config describes how [Table.Build] turns a table into a scaled [Set].
type Config struct {
	// Features are the input columns; empty means every non-target column.
	Features []string
	// Targets are the output columns; at least one is required.
	Targets []string
	// Target is the target scaling; "" means TargetIdentity.
	Target TargetMode
	// Range is the interval for TargetMinMax, e.g. RangeLogistic for a
	// logistic output layer or RangeTanh for tanh.
	Range TargetRange
	// MinRows is the least number of rows accepted; 0 means DefaultMinRows.
	MinRows int
}

// Build selects the configured columns, fits a [Scaler] on all rows of t
// and returns the scaled Set with that Scaler attached. To keep test rows
// out of the fit, Build a training split of the table and use
// [Scaler.Apply] on the rest. Errors: [ErrBadConfig], [ErrNoColumns] (no
// target), [ErrUnknownColumn], [ErrDuplicateColumn], [ErrTooFewRows] and
// [ErrConstantColumn].
func (t *Table) Build(cfg Config) (*Set, error) {
	if err := checkMode(cfg.Target, cfg.Range); err != nil {
		return nil, err
	}
	if len(cfg.Targets) == 0 {
		return nil, &ParseError{File: t.Name, Err: fmt.Errorf("%w: no target column", ErrNoColumns)}
	}
	minRows := cfg.MinRows
	if minRows == 0 {
		minRows = DefaultMinRows
	}
	if len(t.Rows) < minRows {
		return nil, &ParseError{File: t.Name,
			Err: fmt.Errorf("%w: %d rows, need at least %d", ErrTooFewRows, len(t.Rows), minRows)}
	}
	set, err := t.Select(cfg.Features, cfg.Targets)
	if err != nil {
		return nil, err
	}
	sc, err := fitScaler(set, cfg.Target, cfg.Range, t.Name)
	if err != nil {
		return nil, err
	}
	sc.TransformX(set.X, set.X, set.N)
	sc.TransformY(set.Y, set.Y, set.N)
	set.Scaler = sc
	return set, nil
}

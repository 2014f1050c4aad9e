package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// they can be tested with [errors.Is].
var (
	// ErrEmpty reports an input with no header row at all.
	ErrEmpty = errors.New("empty input: no header row")
	// ErrNoRows reports a header row that is not followed by any data row.
	ErrNoRows = errors.New("no data rows")
	// ErrSyntax reports malformed CSV (for example a bare or unterminated quote).
	ErrSyntax = errors.New("CSV syntax error")
	// ErrRagged reports a row whose number of fields differs from the header's.
	ErrRagged = errors.New("ragged row")
	// ErrMissing reports an empty field (or an empty column name in the header).
	ErrMissing = errors.New("missing value")
	// ErrNotNumeric reports a field that is not a decimal number.
	ErrNotNumeric = errors.New("not a number")
	// ErrNotFinite reports a NaN or infinite value, including values that
	// overflow float64 such as 1e999.
	ErrNotFinite = errors.New("value is NaN or infinite")
	// ErrDuplicateColumn reports a column name that appears twice in the
	// header, or a column selected twice (for example as feature and target).
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrUnknownColumn reports a selected column name that is not in the table.
	ErrUnknownColumn = errors.New("unknown column")
	// ErrNoColumns reports a selection with no feature or no target column.
	ErrNoColumns = errors.New("no columns selected")
	// ErrConstantColumn reports a column that cannot be scaled because all
	// its values are equal.
	ErrConstantColumn = errors.New("constant column")
	// ErrTooFewRows reports a table with fewer rows than [Config.MinRows].
	ErrTooFewRows = errors.New("too few rows")
	// ErrBadConfig reports an invalid [Config] (unknown target mode or an
	// empty target range).
	ErrBadConfig = errors.New("invalid configuration")
	// ErrInvalidScaler reports a [Scaler] whose fields are inconsistent,
	// typically one decoded from corrupted JSON.
	ErrInvalidScaler = errors.New("invalid scaler")
)

// ParseError describes a problem with the data of a table, located as
// precisely as it is known. It wraps a sentinel error such as [ErrRagged].
type ParseError struct {
	// File is the name of the source (the path given to LoadCSV or the name
	// given to ReadCSV).
	File string
	// Line is the 1-based line number in the source, or 0 if the problem is
	// not tied to one line (for example an unknown column name).
	Line int
	// Field is the 1-based position of the field in its row, or 0 if unknown.
	Field int
	// Column is the column name, or "" if unknown.
	Column string
	// Err is the underlying error; it wraps one of the sentinel errors.
	Err error
}

// Error formats the error as "file:line: column N "name": message". A
// column name longer than about 80 characters is shortened with an ellipsis.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File == "" {
		b.WriteString("<input>")
	} else {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	switch {
	case e.Field > 0 && e.Column != "":
		fmt.Fprintf(&b, "column %d %s: ", e.Field, quote(e.Column))
	case e.Field > 0:
		fmt.Fprintf(&b, "column %d: ", e.Field)
	case e.Column != "":
		fmt.Fprintf(&b, "column %s: ", quote(e.Column))
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Sentinel errors of the IDX reader and the Fashion-MNIST loader.
var (
	// ErrIDX reports a malformed IDX file: a wrong magic number, an unknown
	// element type, an impossible size, truncated or trailing data, or a
	// corrupt gzip stream.
	ErrIDX = errors.New("malformed IDX file")
	// ErrLabels reports labels that do not fit the images: a count that
	// differs from the number of images, a label outside the classes, or a
	// label file of the wrong shape or type.
	ErrLabels = errors.New("labels do not match the images")
	// ErrNotInstalled reports a data set whose files are not where they
	// were looked for; the message says how to install them. It comes
	// together with [fs.ErrNotExist].
	ErrNotInstalled = errors.New("data set not found")
)

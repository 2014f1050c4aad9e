package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// recorder passes reads through and keeps the bytes of the current CSV
// record (everything read since the last call to discardTo), so that a
// syntax error can be located at the field where it starts. encoding/csv
// reports only the line where its parser gave up, which for an unterminated
// quote is the last line of the file.
type recorder struct {
	r     io.Reader
	buf   []byte // buf[start:] holds the input from offset base onward
	start int
	base  int64 // input offset of buf[start]
	line  int   // 1-based line number at offset base
}

func newRecorder(r io.Reader) *recorder { return &recorder{r: r, line: 1} }

// Read implements io.Reader.
func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

// discardTo drops the input before offset off (the end of the record just
// read), counting its newlines.
func (rc *recorder) discardTo(off int64) {
	k := rc.start + int(off-rc.base)
	if k > len(rc.buf) || k < rc.start {
		return // cannot happen with encoding/csv; keep what we have
	}
	rc.line += bytes.Count(rc.buf[rc.start:k], []byte{'\n'})
	rc.start, rc.base = k, off
	if rc.start > 1<<16 && rc.start > len(rc.buf)/2 {
		n := copy(rc.buf, rc.buf[rc.start:])
		rc.buf, rc.start = rc.buf[:n], 0
	}
}

// pending returns the recorded bytes of the current record and the line it
// (or the blank lines before it) starts on.
func (rc *recorder) pending() ([]byte, int) { return rc.buf[rc.start:], rc.line }

// syntaxSpot is where a malformed field starts.
type syntaxSpot struct {
	line  int    // 1-based line of the field's first character
	field int    // 1-based position of the field in its record
	what  string // what is wrong with it
}

// locateSyntax scans the text of one CSV record (as read by a
// csv.Reader with Comma ',' and TrimLeadingSpace, starting at line) and
// returns the first malformed field: a quoted field that is never closed,
// one with text after its closing quote, or an unquoted field holding a
// quote. ok is false if the text holds no such field.
func locateSyntax(text []byte, line int) (spot syntaxSpot, ok bool) {
	i := 0
	// encoding/csv skips empty lines before a record.
	for {
		switch {
		case bytes.HasPrefix(text[i:], []byte("\n")):
			i++
		case bytes.HasPrefix(text[i:], []byte("\r\n")):
			i += 2
		default:
			goto record
		}
		line++
	}
record:
	for field := 1; ; field++ {
		// Leading space is trimmed, but not across the end of the line.
		for i < len(text) && text[i] != '\n' && !bytes.HasPrefix(text[i:], []byte("\r\n")) {
			r, size := utf8.DecodeRune(text[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		startLine := line
		if i < len(text) && text[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(text[i:], '"')
				if j < 0 {
					return syntaxSpot{startLine, field, "quoted field is never closed"}, true
				}
				line += bytes.Count(text[i:i+j], []byte{'\n'})
				i += j + 1
				if i < len(text) && text[i] == '"' { // "" is an escaped quote
					i++
					continue
				}
				break
			}
			switch {
			case i == len(text) || text[i] == '\n' || bytes.HasPrefix(text[i:], []byte("\r\n")):
				return syntaxSpot{}, false // the record ends well
			case text[i] == ',':
				i++
				continue
			default:
				return syntaxSpot{startLine, field, "text after the closing quote of a quoted field"}, true
			}
		}
		j := bytes.IndexAny(text[i:], ",\n")
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		if bytes.IndexByte(text[i:end], '"') >= 0 {
			return syntaxSpot{startLine, field, "quote inside an unquoted field"}, true
		}
		if j < 0 || text[end] == '\n' {
			return syntaxSpot{}, false
		}
		i = end + 1
	}
}

// readError converts an error from encoding/csv into a *ParseError. For a
// syntax error it names the line and field where the malformed field starts
// (found by rescanning the recorded record) and adds where the parser gave
// up if that is elsewhere. columns are the header names, or nil while the
// header itself is read.
func readError(name string, err error, rc *recorder, columns []string) error {
	var ce *csv.ParseError
	if !errors.As(err, &ce) {
		return &ParseError{File: name, Err: err}
	}
	text, line := rc.pending()
	spot, ok := locateSyntax(text, line)
	if !ok {
		return &ParseError{File: name, Line: ce.Line,
			Err: fmt.Errorf("%w at byte %d: %w", ErrSyntax, ce.Column, ce.Err)}
	}
	pe := &ParseError{File: name, Line: spot.line, Field: spot.field}
	if spot.field <= len(columns) {
		pe.Column = columns[spot.field-1]
	}
	if ce.Line != spot.line {
		pe.Err = fmt.Errorf("%w: %s (the parser stopped at line %d, byte %d: %w)",
			ErrSyntax, spot.what, ce.Line, ce.Column, ce.Err)
	} else {
		pe.Err = fmt.Errorf("%w: %s (at byte %d: %w)", ErrSyntax, spot.what, ce.Column, ce.Err)
	}
	return pe
}

package dataset

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("x", 2_000_147)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short", "NA", `"NA"`},
		{"escapes", "a\"b\n", `"a\"b\n"`},
		{"exactly 80", strings.Repeat("a", 80), `"` + strings.Repeat("a", 80) + `"`},
		{"81 cut", strings.Repeat("a", 81), `"` + strings.Repeat("a", 80) + `"… (81 bytes)`},
		{"huge", long, `"` + strings.Repeat("x", 80) + `"… (2000147 bytes)`},
		// \x00 takes 4 characters quoted: 20 of them fill the budget.
		{"binary", strings.Repeat("\x00", 100), `"` + strings.Repeat(`\x00`, 20) + `"… (100 bytes)`},
		{"invalid UTF-8", "\xff\xfe", `"\xff\xfe"`},
		// A multi-byte rune is never split.
		{"runes", strings.Repeat("é", 81), `"` + strings.Repeat("é", 80) + `"… (162 bytes)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := quote(tc.in)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, utf8.RuneCountInString(got), maxQuoted+30)
		})
	}
}

func TestQuoteList(t *testing.T) {
	names := make([]string, 25)
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	assert.Equal(t, `"a", "b"`, quoteList(names[:2]))
	got := quoteList(names)
	assert.True(t, strings.HasSuffix(got, `"t", … (5 more)`), got)
	assert.Equal(t, "", quoteList(nil))
}

// TestMessagesBounded: every error that echoes input stays short however
// long the offending field, header or name is.
func TestMessagesBounded(t *testing.T) {
	huge := strings.Repeat("\x00\x01binary", 250_000) // 2,000,000 bytes, no comma or newline
	hugeField := strings.Repeat("9", 1_000_000) + "x"
	sc := func(edit func(*Scaler)) *Scaler {
		s := &Scaler{FeatureNames: []string{"a"}, Mean: []float64{0}, Std: []float64{1}, TargetNames: []string{"y"}}
		edit(s)
		return s
	}
	tests := []struct {
		name string
		run  func() error
		want error
		has  string // a substring the message must contain
	}{
		{"binary header, unknown column", func() error {
			_, err := ReadCSVColumns(strings.NewReader(huge+"\n1\n"), "bin", []string{"y"})
			return err
		}, ErrUnknownColumn, `the header has "\x00\x01binary`},
		{"binary header, duplicate column", func() error {
			_, err := ReadCSV(strings.NewReader(huge+","+huge+"\n1,2\n"), "bin")
			return err
		}, ErrDuplicateColumn, "(2000000 bytes)"},
		{"binary header, not numeric", func() error {
			_, err := ReadCSV(strings.NewReader(huge+"\n"+huge+"\n"), "bin")
			return err
		}, ErrNotNumeric, "…"},
		{"huge numeric-looking field", func() error {
			_, err := ReadCSV(strings.NewReader("a\n"+hugeField+"\n"), "f.csv")
			return err
		}, ErrNotNumeric, `"99999`},
		{"huge overflowing field", func() error {
			_, err := ReadCSV(strings.NewReader("a\n1e"+hugeField[:1000]+"\n"), "f.csv")
			return err
		}, ErrNotFinite, "overflows float64"},
		{"many columns listed", func() error {
			cols := make([]string, 1000)
			for i := range cols {
				cols[i] = "c" + strings.Repeat("z", i%7) + string(rune('A'+i%26)) + strings.Repeat("q", i/26)
			}
			_, err := ReadCSVColumns(strings.NewReader(strings.Join(cols, ",")+"\n"), "w.csv", []string{"nope"})
			return err
		}, ErrUnknownColumn, "(980 more)"},
		{"huge requested name", func() error {
			_, err := ReadCSVColumns(strings.NewReader("a\n1\n"), "w.csv", []string{huge})
			return err
		}, ErrUnknownColumn, "bytes)"},
		{"select unknown", func() error {
			_, err := (&Table{Name: "t", Columns: []string{"a"}, Rows: [][]float64{{1}}}).Select([]string{huge}, nil)
			return err
		}, ErrUnknownColumn, "…"},
		{"unknown target mode", func() error {
			return checkMode(TargetMode(huge), TargetRange{})
		}, ErrBadConfig, "unknown target mode"},
		{"scaler feature", func() error {
			return sc(func(s *Scaler) { s.FeatureNames[0] = huge; s.Std[0] = 0 }).Validate()
		}, ErrInvalidScaler, "std 0"},
		{"scaler duplicate", func() error {
			return sc(func(s *Scaler) { s.FeatureNames[0] = huge; s.TargetNames[0] = huge }).Validate()
		}, ErrInvalidScaler, "named twice"},
		{"unterminated quote in a huge field", func() error {
			_, err := ReadCSV(strings.NewReader("a,b\n1,\""+huge), "q.csv")
			return err
		}, ErrSyntax, "never closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			msg := err.Error()
			assert.Contains(t, msg, tc.has)
			assert.Less(t, len(msg), 600, "message too long: %.300s", msg)
		})
	}
}

// TestReadCSVSyntaxLocation: a CSV syntax error names the line and field
// where the malformed field starts, and says where the parser gave up when
// that is another line.
func TestReadCSVSyntaxLocation(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		line    int
		field   int
		column  string
		has     []string
		without string // a substring the message must not contain
	}{
		{"unterminated at end of file", "a,b\n1,2\n3,\"4\n5,6\n7,8\n9,10\n", 3, 2, "b",
			[]string{"q.csv:3: column 2 \"b\"", "never closed", "stopped at line 6"}, ""},
		{"unterminated in the header", "a,\"b\n1,2\n3,4\n", 1, 2, "",
			[]string{"q.csv:1: column 2: ", "never closed", "stopped at line 3"}, ""},
		{"unterminated after a multi-line field", "a,b,c\n\"x\ny\",\"z\n1,2,3\n", 3, 2, "b",
			[]string{"q.csv:3: column 2 \"b\"", "never closed"}, ""},
		{"unterminated after blank lines", "a,b\n\n\n1,\"2\n3,4\n", 4, 2, "b",
			[]string{"q.csv:4:", "stopped at line 5"}, ""},
		{"unterminated with CRLF", "a,b\r\n1,2\r\n3,\"4\r\n5,6\r\n", 3, 2, "b",
			[]string{"q.csv:3:"}, ""},
		{"unterminated after escaped quotes", "a,b\n\"say \"\"hi\"\"\",\"x\ny\n", 2, 2, "b",
			[]string{"q.csv:2: column 2 \"b\"", "never closed"}, ""},
		{"text after closing quote, multi-line", "a,b\n1,\"2\n3\"x\n", 2, 2, "b",
			[]string{"q.csv:2: column 2 \"b\"", "text after the closing quote", "stopped at line 3"}, ""},
		{"bare quote on the same line", "a,b\n1,2\n3,4\"\n", 3, 2, "b",
			[]string{"q.csv:3: column 2 \"b\"", "quote inside an unquoted field", "at byte"}, "stopped at line"},
		{"leading space before quote", "a,b\n1,  \"2\n", 2, 2, "b", []string{"never closed"}, ""},
		{"bare quote in the header", "a,b\"c\n1,2\n", 1, 2, "", []string{"q.csv:1: column 2:"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.src), "q.csv")
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrSyntax)
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tc.line, pe.Line, "line")
			assert.Equal(t, tc.field, pe.Field, "field")
			assert.Equal(t, tc.column, pe.Column, "column")
			for _, h := range tc.has {
				assert.Contains(t, err.Error(), h)
			}
			if tc.without != "" {
				assert.NotContains(t, err.Error(), tc.without)
			}
		})
	}
}

// TestLocateSyntaxLongInput: the record recorder keeps working past its
// compaction threshold (many records before the bad one).
func TestLocateSyntaxLongInput(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	for range 50_000 {
		b.WriteString("1.25,2.5\n")
	}
	b.WriteString("3,\"4\n5,6\n")
	_, err := ReadCSV(strings.NewReader(b.String()), "long.csv")
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 50_002, pe.Line)
	assert.Equal(t, 2, pe.Field)
	assert.Contains(t, err.Error(), "stopped at line 50003")
}

// FuzzScalerJSON: a Scaler decoded from any JSON is either refused by
// Validate or usable: its transforms run and InverseX undoes TransformX.
func FuzzScalerJSON(f *testing.F) {
	for _, seed := range []string{
		`{"feature_names":["a","b"],"mean":[1,2],"std":[0.5,4],"target_names":["y"],"target_mode":"minmax","range":{"lo":0,"hi":1},"target_min":[3],"target_max":[7]}`,
		`{"feature_names":["a"],"mean":[0],"std":[1],"target_names":["y"],"target_mode":"standard","target_mean":[2],"target_std":[3]}`,
		`{"feature_names":["a"],"mean":[0],"std":[0],"target_names":[]}`,
		`{"feature_names":["a","a"],"mean":[0,0],"std":[1,1]}`,
		`{"feature_names":["a"],"mean":[0],"std":[1],"target_mode":"bogus"}`,
		`{}`,
		`null`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var sc Scaler
		if json.Unmarshal([]byte(src), &sc) != nil {
			return
		}
		if err := sc.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidScaler) || len(err.Error()) > 1000 {
				t.Fatalf("bad error: %.200v", err)
			}
			return
		}
		const n = 2
		x := make([]float64, sc.In()*n)
		for i := range x {
			x[i] = float64(i%5) - 2
		}
		z := make([]float64, len(x))
		sc.TransformX(z, x, n)
		back := make([]float64, len(x))
		sc.InverseX(back, z, n)
		for i := range x {
			scale := math.Max(1, math.Abs(sc.Mean[i/n])+math.Abs(sc.Std[i/n]))
			if d := math.Abs(back[i] - x[i]); d > 1e-9*scale && !math.IsInf(z[i], 0) {
				t.Fatalf("InverseX(TransformX(x)) = %v, want %v", back[i], x[i])
			}
		}
		y := make([]float64, sc.Out()*n)
		sc.TransformY(y, y, n)
		sc.InverseY(y, y, n)
	})
}

package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustRead(t *testing.T, src string) *Table {
	t.Helper()
	tab, err := ReadCSV(strings.NewReader(src), "t.csv")
	require.NoError(t, err)
	return tab
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   error
		line   int
		field  int
		column string
		msg    string // substring of the error message
	}{
		{"empty", "", ErrEmpty, 1, 0, "", "t.csv:1: empty input"},
		{"blank lines only", "\n\n\n", ErrEmpty, 1, 0, "", "t.csv:1:"},
		{"header only", "a,b\n", ErrNoRows, 2, 0, "", "t.csv:2: no data rows"},
		{"header only no newline", "a,b", ErrNoRows, 2, 0, "", "t.csv:2:"},
		{"ragged short", "a,b,c\n1,2,3\n4,5\n", ErrRagged, 3, 3, "c", `t.csv:3: column 3 "c": ragged row: 2 fields, header has 3`},
		{"ragged long", "a,b\n1,2\n3,4,5\n", ErrRagged, 3, 3, "", "t.csv:3: column 3: ragged row: 3 fields, header has 2"},
		{"trailing comma", "a,b\n1,2,\n", ErrRagged, 2, 3, "", "t.csv:2: column 3:"},
		{"missing value", "a,b\n1,\n", ErrMissing, 2, 2, "b", `t.csv:2: column 2 "b": missing value`},
		{"blank value", "a,b\n  ,1\n", ErrMissing, 2, 1, "a", `t.csv:2: column 1 "a": missing value`},
		{"not numeric", "a,b\n1,2\n3,x\n", ErrNotNumeric, 3, 2, "b", `t.csv:3: column 2 "b": not a number: "x"`},
		{"NA", "a,b\nNA,2\n", ErrNotNumeric, 2, 1, "a", `column 1 "a": not a number: "NA"`},
		{"comma decimal", "a\n\"1,5\"\n", ErrNotNumeric, 2, 1, "a", `t.csv:2: column 1 "a"`},
		{"NaN", "a,b\n1,NaN\n", ErrNotFinite, 2, 2, "b", `t.csv:2: column 2 "b": value is NaN or infinite`},
		{"Inf", "a,b\n+Inf,1\n", ErrNotFinite, 2, 1, "a", `t.csv:2: column 1 "a"`},
		{"overflow", "a,b\n1,-1e999\n", ErrNotFinite, 2, 2, "b", "overflows float64"},
		{"duplicate header", "a,b,a\n1,2,3\n", ErrDuplicateColumn, 1, 3, "a", `t.csv:1: column 3 "a": duplicate column: also column 1`},
		{"empty header name", "a,,c\n1,2,3\n", ErrMissing, 1, 2, "", "t.csv:1: column 2: missing value: empty column name"},
		{"bare quote", "a,b\n1,2\"x\n", ErrSyntax, 2, 2, "b", `t.csv:2: column 2 "b": CSV syntax error: quote inside an unquoted field`},
		{"unterminated quote", "a,b\n1,\"2\n", ErrSyntax, 2, 2, "b", "CSV syntax error: quoted field is never closed"},
		{"blank lines counted", "a,b\n\n1,2\n\n3,y\n", ErrNotNumeric, 5, 2, "b", "t.csv:5:"},
		{"CRLF", "a,b\r\n1,2\r\n3,z\r\n", ErrNotNumeric, 3, 2, "b", "t.csv:3:"},
		{"multi-line quoted field", "a,b\n\"1\n\",2\n3,x\n", ErrNotNumeric, 4, 2, "b", "t.csv:4:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := ReadCSV(strings.NewReader(tc.src), "t.csv")
			require.Error(t, err)
			assert.Nil(t, tab)
			assert.ErrorIs(t, err, tc.want)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "t.csv", pe.File)
			assert.Equal(t, tc.line, pe.Line, "line")
			assert.Equal(t, tc.field, pe.Field, "field")
			assert.Equal(t, tc.column, pe.Column, "column")
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestReadCSVValid(t *testing.T) {
	src := "\uFEFF Age , \"Weight\",h\r\n 23, 154.25 ,.5\n\n-1e3,\"2\",0x1p-2\n"
	tab := mustRead(t, src)
	assert.Equal(t, "t.csv", tab.Name)
	assert.Equal(t, []string{"Age", "Weight", "h"}, tab.Columns)
	assert.Equal(t, [][]float64{{23, 154.25, 0.5}, {-1000, 2, 0.25}}, tab.Rows)
	assert.Equal(t, 1, tab.ColumnIndex("Weight"))
	assert.Equal(t, -1, tab.ColumnIndex("weight"))
}

func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(good, []byte("x,y\n1,2\n3,4\n"), 0o600))
	require.NoError(t, os.WriteFile(bad, []byte("x,y\n1,2\n3,oops\n"), 0o600))

	tab, err := LoadCSV(good)
	require.NoError(t, err)
	assert.Equal(t, good, tab.Name)
	assert.Len(t, tab.Rows, 2)

	_, err = LoadCSV(bad)
	assert.ErrorIs(t, err, ErrNotNumeric)
	assert.Contains(t, err.Error(), bad+`:3: column 2 "y"`)

	_, err = LoadCSV(filepath.Join(dir, "missing.csv"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestSelect(t *testing.T) {
	tab := mustRead(t, "a,b,c,d\n1,2,3,4\n5,6,7,8\n9,10,11,12\n")

	s, err := tab.Select([]string{"c", "a"}, []string{"d"})
	require.NoError(t, err)
	assert.Equal(t, 2, s.In)
	assert.Equal(t, 1, s.Out)
	assert.Equal(t, 3, s.N)
	assert.Equal(t, []float64{3, 7, 11, 1, 5, 9}, s.X, "feature-major, in the order asked")
	assert.Equal(t, []float64{4, 8, 12}, s.Y)
	assert.Nil(t, s.Scaler)

	s, err = tab.Select(nil, []string{"b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c", "d"}, s.FeatureNames, "empty features = all non-targets")

	s, err = tab.Select(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, s.In)
	assert.Equal(t, 0, s.Out)
	assert.Empty(t, s.Y)

	x, y := s.Sample(1, nil, nil)
	assert.Equal(t, []float64{5, 6, 7, 8}, x)
	assert.Empty(t, y)

	bad := []struct {
		name     string
		features []string
		targets  []string
		want     error
		column   string
	}{
		{"unknown feature", []string{"a", "zz"}, []string{"d"}, ErrUnknownColumn, "zz"},
		{"unknown target", nil, []string{"D"}, ErrUnknownColumn, "D"},
		{"feature twice", []string{"a", "a"}, []string{"d"}, ErrDuplicateColumn, "a"},
		{"target twice", nil, []string{"d", "d"}, ErrDuplicateColumn, "d"},
		{"feature is target", []string{"a", "d"}, []string{"d"}, ErrDuplicateColumn, "d"},
		{"all targets", nil, []string{"a", "b", "c", "d"}, ErrNoColumns, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tab.Select(tc.features, tc.targets)
			assert.ErrorIs(t, err, tc.want)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.column, pe.Column)
			assert.Contains(t, err.Error(), "t.csv: ")
			if tc.column != "" {
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.column))
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tab := mustRead(t, "a,k,b,y,c\n1,5,2,3,0\n2,5,4,3,1\n3,5,6,3,0\n")
	tests := []struct {
		name   string
		tab    *Table
		cfg    Config
		want   error
		column string
	}{
		{"constant feature", tab, Config{Targets: []string{"c"}}, ErrConstantColumn, "k"},
		{"constant minmax target", tab, Config{Features: []string{"a"}, Targets: []string{"y"}, Target: TargetMinMax, Range: RangeLogistic}, ErrConstantColumn, "y"},
		{"constant standard target", tab, Config{Features: []string{"a"}, Targets: []string{"y"}, Target: TargetStandard}, ErrConstantColumn, "y"},
		{"too few rows default", mustRead(t, "a,y\n1,2\n"), Config{Targets: []string{"y"}}, ErrTooFewRows, ""},
		{"too few rows MinRows", tab, Config{Features: []string{"a"}, Targets: []string{"c"}, MinRows: 4}, ErrTooFewRows, ""},
		{"no target", tab, Config{Features: []string{"a"}}, ErrNoColumns, ""},
		{"unknown column", tab, Config{Features: []string{"a", "q"}, Targets: []string{"c"}}, ErrUnknownColumn, "q"},
		{"empty range", tab, Config{Features: []string{"a"}, Targets: []string{"c"}, Target: TargetMinMax}, ErrBadConfig, ""},
		{"reversed range", tab, Config{Features: []string{"a"}, Targets: []string{"c"}, Target: TargetMinMax, Range: TargetRange{1, 0}}, ErrBadConfig, ""},
		{"unknown mode", tab, Config{Features: []string{"a"}, Targets: []string{"c"}, Target: "log"}, ErrBadConfig, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.tab.Build(tc.cfg)
			assert.Nil(t, s)
			require.ErrorIs(t, err, tc.want)
			var pe *ParseError
			if errors.As(err, &pe) {
				assert.Equal(t, tc.column, pe.Column)
				assert.Equal(t, "t.csv", pe.File)
			}
			if tc.column != "" {
				assert.Contains(t, err.Error(), fmt.Sprintf("t.csv: column %q", tc.column))
			}
		})
	}

	// Constant target is fine when it is not scaled.
	s, err := tab.Build(Config{Features: []string{"a", "b"}, Targets: []string{"y"}})
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 3, 3}, s.Y)
}

func TestBodyFatTable(t *testing.T) {
	tab, err := BodyFat()
	require.NoError(t, err)
	assert.Equal(t, "bodyfat.csv", tab.Name)
	assert.Equal(t, []string{"Density", "BodyFat", "Age", "Weight", "Height", "Neck", "Chest",
		"Abdomen", "Hip", "Thigh", "Knee", "Ankle", "Biceps", "Forearm", "Wrist"}, tab.Columns)
	require.Len(t, tab.Rows, 252)
	// First row and the documented oddities (1-based row numbers).
	assert.Equal(t, []float64{1.0708, 12.3, 23, 154.25, 67.75, 36.2, 93.1, 85.2, 94.5, 59.0, 37.3, 21.9, 32.0, 27.4, 17.1}, tab.Rows[0])
	assert.Equal(t, 29.5, tab.Rows[41][tab.ColumnIndex("Height")])
	assert.Equal(t, 0.0, tab.Rows[181][tab.ColumnIndex("BodyFat")])
	assert.Equal(t, 363.15, tab.Rows[38][tab.ColumnIndex("Weight")])

	// Fresh copy each call.
	tab.Rows[0][0] = -1
	again, err := BodyFat()
	require.NoError(t, err)
	assert.Equal(t, 1.0708, again.Rows[0][0])
}

func TestBodyFatRegression(t *testing.T) {
	s, err := BodyFatRegression()
	require.NoError(t, err)
	require.Equal(t, 252, s.N)
	require.Equal(t, 13, s.In)
	require.Equal(t, 1, s.Out)
	assert.Len(t, s.X, 13*252)
	assert.Len(t, s.Y, 252)
	assert.Equal(t, BodyFatFeatures(), s.FeatureNames)
	assert.Equal(t, []string{"BodyFat"}, s.TargetNames)
	assert.NotContains(t, s.FeatureNames, "Density")
	require.NoError(t, s.Scaler.Validate())

	for i := range s.In {
		mean, std, _, _ := stats(s.X[i*s.N : (i+1)*s.N])
		assert.InDelta(t, 0, mean, 1e-12, "mean of %s", s.FeatureNames[i])
		assert.InDelta(t, 1, std, 1e-12, "population std of %s", s.FeatureNames[i])
	}
	assert.Equal(t, 0.0, slices.Min(s.Y))
	assert.Equal(t, 1.0, slices.Max(s.Y))
	assert.Equal(t, 0.0, s.Y[181], "row 182 has BodyFat 0, the minimum")
	assert.Equal(t, 0.0, s.Scaler.TargetMin[0])
	assert.Equal(t, 47.5, s.Scaler.TargetMax[0])

	// Back to percent.
	tab, err := BodyFat()
	require.NoError(t, err)
	got := make([]float64, s.N)
	s.Scaler.InverseY(got, s.Y, s.N)
	for n, row := range tab.Rows {
		assert.InDelta(t, row[1], got[n], 1e-12)
	}
}

func TestSplit(t *testing.T) {
	// Column id = original sample index, to check which samples go where.
	var b strings.Builder
	b.WriteString("id,x,y\n")
	for n := range 101 {
		fmt.Fprintf(&b, "%d,%d,%d\n", n, n*n, 2*n)
	}
	tab := mustRead(t, b.String())
	raw, err := tab.Select([]string{"id", "x"}, []string{"y"})
	require.NoError(t, err)

	ids := func(s *Set) []int {
		out := make([]int, s.N)
		for n := range s.N {
			x, y := s.Sample(n, nil, nil)
			require.Equal(t, x[0]*x[0], x[1])
			require.Equal(t, 2*x[0], y[0])
			out[n] = int(x[0])
		}
		return out
	}

	tests := []struct {
		frac        float64
		train, test int
	}{{0.8, 81, 20}, {0.5, 51, 50}, {0, 0, 101}, {1, 101, 0}}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.frac), func(t *testing.T) {
			tr1, te1 := raw.Split(tc.frac, rand.New(rand.NewPCG(1, 2)))
			tr2, te2 := raw.Split(tc.frac, rand.New(rand.NewPCG(1, 2)))
			assert.Equal(t, tr1, tr2, "reproducible")
			assert.Equal(t, te1, te2, "reproducible")
			assert.Equal(t, tc.train, tr1.N)
			assert.Equal(t, tc.test, te1.N)
			a, c := ids(tr1), ids(te1)
			assert.True(t, slices.IsSorted(a) && slices.IsSorted(c), "original order kept")
			all := slices.Concat(a, c)
			slices.Sort(all)
			assert.Len(t, slices.Compact(all), 101, "disjoint and complete")
		})
	}

	tr1, _ := raw.Split(0.5, rand.New(rand.NewPCG(1, 2)))
	tr3, _ := raw.Split(0.5, rand.New(rand.NewPCG(3, 4)))
	assert.NotEqual(t, ids(tr1), ids(tr3), "different seeds differ")

	tr, te := raw.Split(0.25, nil)
	assert.Equal(t, []int{0, 1, 2}, ids(tr)[:3], "nil rng: no shuffle")
	assert.Equal(t, 25, ids(te)[0])

	for _, frac := range []float64{-0.1, 1.1, math.NaN()} {
		assert.Panics(t, func() { raw.Split(frac, nil) })
	}

	// Table.Split: same sizes, rows copied, reproducible.
	ttr, tte := tab.Split(0.8, rand.New(rand.NewPCG(7, 7)))
	ttr2, _ := tab.Split(0.8, rand.New(rand.NewPCG(7, 7)))
	assert.Equal(t, ttr, ttr2)
	assert.Len(t, ttr.Rows, 81)
	assert.Len(t, tte.Rows, 20)
	ttr.Rows[0][0] = -5
	assert.NotEqual(t, -5.0, tab.Rows[0][0])
}

func TestSubset(t *testing.T) {
	tab := mustRead(t, "a,b,y\n1,10,100\n2,20,200\n3,30,300\n")
	s, err := tab.Select(nil, []string{"y"})
	require.NoError(t, err)
	sub := s.Subset([]int{2, 0})
	assert.Equal(t, 2, sub.N)
	assert.Equal(t, []float64{3, 1, 30, 10}, sub.X)
	assert.Equal(t, []float64{300, 100}, sub.Y)
	assert.Panics(t, func() { s.Subset([]int{3}) })
}

func TestTrainOnlyFitAndApply(t *testing.T) {
	tab, err := BodyFat()
	require.NoError(t, err)
	trainTab, testTab := tab.Split(0.8, rand.New(rand.NewPCG(42, 0)))
	cfg := Config{Features: BodyFatFeatures(), Targets: []string{BodyFatTarget}, Target: TargetMinMax, Range: RangeTanh}
	train, err := trainTab.Build(cfg)
	require.NoError(t, err)
	test, err := train.Scaler.Apply(testTab)
	require.NoError(t, err)
	assert.Same(t, train.Scaler, test.Scaler)
	assert.Equal(t, train.FeatureNames, test.FeatureNames)
	assert.Equal(t, 202, train.N)
	assert.Equal(t, 50, test.N)
	assert.Equal(t, -1.0, slices.Min(train.Y))
	assert.Equal(t, 1.0, slices.Max(train.Y))

	sc := train.Scaler
	age := tab.ColumnIndex("Age")
	for n, row := range testTab.Rows {
		assert.InDelta(t, (row[age]-sc.Mean[0])/sc.Std[0], test.X[n], 1e-12)
	}

	// Prediction-time input without the target column.
	noTarget := &Table{Name: "new.csv", Columns: BodyFatFeatures(), Rows: [][]float64{testTab.Rows[0][2:]}}
	x, n, err := sc.ApplyFeatures(noTarget)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.InDeltaSlice(t, test.X[0:1], x[0:1], 1e-15)
	_, err = sc.Apply(noTarget)
	assert.ErrorIs(t, err, ErrUnknownColumn)
	assert.Contains(t, err.Error(), `new.csv: column "BodyFat": unknown column`)

	missing := &Table{Name: "new.csv", Columns: []string{"Age"}, Rows: [][]float64{{30}}}
	_, _, err = sc.ApplyFeatures(missing)
	assert.ErrorIs(t, err, ErrUnknownColumn)
	assert.Contains(t, err.Error(), `column "Weight"`)
}

func TestScalerJSONRoundTrip(t *testing.T) {
	tab := mustRead(t, "a,b,y,z\n1,2,3,-1\n2,5,7,0\n4,4,8,2\n")
	for _, mode := range []TargetMode{TargetIdentity, TargetMinMax, TargetStandard} {
		t.Run(string(mode), func(t *testing.T) {
			s, err := tab.Build(Config{Targets: []string{"y", "z"}, Target: mode, Range: RangeTanh})
			require.NoError(t, err)
			data, err := json.Marshal(s.Scaler)
			require.NoError(t, err)
			var back Scaler
			require.NoError(t, json.Unmarshal(data, &back))
			assert.Equal(t, *s.Scaler, back)
			require.NoError(t, back.Validate())
			assert.Contains(t, string(data), `"feature_names":["a","b"]`)
			assert.Contains(t, string(data), fmt.Sprintf(`"target_mode":%q`, mode))
		})
	}
}

func TestScalerInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 64
	raw := &Set{In: 2, Out: 2, N: n, X: make([]float64, 2*n), Y: make([]float64, 2*n),
		FeatureNames: []string{"f1", "f2"}, TargetNames: []string{"t1", "t2"}}
	for j := range raw.X {
		raw.X[j] = rng.NormFloat64()*50 + 1000
	}
	for j := range raw.Y {
		raw.Y[j] = rng.NormFloat64()*3 - 7
	}
	tests := []struct {
		name string
		mode TargetMode
		r    TargetRange
	}{
		{"identity", TargetIdentity, TargetRange{}},
		{"empty mode", "", TargetRange{}},
		{"logistic", TargetMinMax, RangeLogistic},
		{"tanh", TargetMinMax, RangeTanh},
		{"odd range", TargetMinMax, TargetRange{2, 5}},
		{"standard", TargetStandard, TargetRange{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := FitScaler(raw, tc.mode, tc.r)
			require.NoError(t, err)
			require.NoError(t, sc.Validate())
			y := make([]float64, len(raw.Y))
			sc.TransformY(y, raw.Y, n)
			if tc.mode == TargetMinMax {
				assert.Equal(t, tc.r.Lo, slices.Min(y[:n]))
				assert.Equal(t, tc.r.Hi, slices.Max(y[:n]))
			}
			sc.InverseY(y, y, n) // in place
			assert.InDeltaSlice(t, raw.Y, y, 1e-12)
			if tc.mode == TargetIdentity || tc.mode == "" {
				assert.Equal(t, raw.Y, y, "identity is exact")
			}
			x := slices.Clone(raw.X)
			sc.TransformX(x, x, n)
			sc.InverseX(x, x, n)
			assert.InDeltaSlice(t, raw.X, x, 1e-9)
		})
	}
	sc, err := FitScaler(raw, TargetIdentity, TargetRange{})
	require.NoError(t, err)
	assert.Panics(t, func() { sc.TransformX(make([]float64, 3), raw.X, n) })
	assert.Panics(t, func() { sc.InverseY(raw.Y, raw.Y, n+1) })
}

func TestScalerValidate(t *testing.T) {
	good := func() *Scaler {
		return &Scaler{FeatureNames: []string{"a", "b"}, Mean: []float64{1, 2}, Std: []float64{1, 3},
			TargetNames: []string{"y"}, TargetMode: TargetMinMax, Range: RangeLogistic,
			TargetMin: []float64{0}, TargetMax: []float64{10}}
	}
	require.NoError(t, good().Validate())
	tests := []struct {
		name   string
		mutate func(*Scaler)
	}{
		{"no features", func(s *Scaler) { s.FeatureNames, s.Mean, s.Std = nil, nil, nil }},
		{"short std", func(s *Scaler) { s.Std = s.Std[:1] }},
		{"zero std", func(s *Scaler) { s.Std[1] = 0 }},
		{"NaN mean", func(s *Scaler) { s.Mean[0] = math.NaN() }},
		{"duplicate name", func(s *Scaler) { s.TargetNames[0] = "a" }},
		{"empty name", func(s *Scaler) { s.FeatureNames[0] = "" }},
		{"unknown mode", func(s *Scaler) { s.TargetMode = "log" }},
		{"bad range", func(s *Scaler) { s.Range = TargetRange{1, 1} }},
		{"min above max", func(s *Scaler) { s.TargetMin[0] = 11 }},
		{"missing max", func(s *Scaler) { s.TargetMax = nil }},
		{"standard without stats", func(s *Scaler) { s.TargetMode = TargetStandard }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.mutate(s)
			assert.ErrorIs(t, s.Validate(), ErrInvalidScaler)
		})
	}
	var nilScaler *Scaler
	assert.ErrorIs(t, nilScaler.Validate(), ErrInvalidScaler)
	_, err := nilScaler.Apply(&Table{})
	assert.ErrorIs(t, err, ErrInvalidScaler)
}

func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"a,b\n1,2\n3,4\n",
		"\uFEFFx, y \r\n 1e3 , -.5 \r\n",
		"a,b\n1,\n",
		"a,b,c\n1,2\n",
		"a,a\n1,2\n",
		"a\nNaN\n",
		"a\n1e999\n",
		"a,b\n\"1\n\",2\n",
		"a,b\n1,2\"x\n",
		"a,,c\n1,2,3\n",
		"",
		"a\n",
		"\n\n",
		"\"",
		"a,b\n1,\"2\n3,4\n",
		"a,b,c\n\"x\ny\",\"z\n1,2,3\n",
		"a,b\n\"1\"x,2\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// Reading a subset of the columns never panics, and any table it
		// accepts holds exactly the requested columns.
		if full, err := ReadCSV(strings.NewReader(src), "fuzz.csv"); err == nil && len(full.Columns) > 1 {
			want := []string{full.Columns[len(full.Columns)-1], full.Columns[0]}
			sub, err := ReadCSVColumns(strings.NewReader(src), "fuzz.csv", want)
			if err != nil {
				t.Fatalf("columns of an accepted table rejected: %v", err)
			}
			if len(sub.Rows) != len(full.Rows) || sub.Columns[0] != want[0] || sub.Rows[0][1] != full.Rows[0][0] {
				t.Fatalf("column subset differs from the full table")
			}
		} else {
			_, _ = ReadCSVColumns(strings.NewReader(src), "fuzz.csv", []string{"a"})
		}
		tab, err := ReadCSV(strings.NewReader(src), "fuzz.csv")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.File != "fuzz.csv" || pe.Line < 1 || err.Error() == "" {
				t.Fatalf("badly located error: %#v", pe)
			}
			if lines := strings.Count(src, "\n") + 1; pe.Line > lines+1 {
				t.Fatalf("error at line %d of a %d-line input: %v", pe.Line, lines, err)
			}
			if errors.Is(err, ErrSyntax) && pe.Field < 0 {
				t.Fatalf("syntax error with field %d", pe.Field)
			}
			// Messages stay short whatever the input (see quote).
			if len(err.Error()) > 4000 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
			if tab != nil {
				t.Fatal("table returned with error")
			}
			return
		}
		if len(tab.Columns) == 0 || len(tab.Rows) == 0 {
			t.Fatalf("accepted table without columns or rows: %q", src)
		}
		seen := map[string]bool{}
		for _, c := range tab.Columns {
			if c == "" || seen[c] {
				t.Fatalf("bad column name %q", c)
			}
			seen[c] = true
		}
		for _, row := range tab.Rows {
			if len(row) != len(tab.Columns) {
				t.Fatalf("ragged row accepted")
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite value accepted")
				}
			}
		}
		// Building from any accepted table must not panic either.
		_, _ = tab.Build(Config{Targets: tab.Columns[:1]})
	})
}

func TestReadCSVColumnsIgnoresOtherColumns(t *testing.T) {
	in := "id,b,note,a\nx1,2,hello,1\nx2,4,\"a, b\",3\n"
	tab, err := ReadCSVColumns(strings.NewReader(in), "m.csv", []string{"a", "b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, tab.Columns)
	assert.Equal(t, [][]float64{{1, 2}, {3, 4}}, tab.Rows)

	_, err = ReadCSVColumns(strings.NewReader(in), "m.csv", []string{"a", "zz"})
	assert.ErrorIs(t, err, ErrUnknownColumn)
	assert.Contains(t, err.Error(), "zz")

	_, err = ReadCSVColumns(strings.NewReader("a,b\n1,x\n"), "m.csv", []string{"b"})
	assert.ErrorIs(t, err, ErrNotNumeric)
	assert.Contains(t, err.Error(), "m.csv:2")

	_, err = ReadCSVColumns(strings.NewReader("a,b\n1\n"), "m.csv", []string{"a"})
	assert.ErrorIs(t, err, ErrRagged)
	_, err = ReadCSVColumns(strings.NewReader("a\n1\n"), "m.csv", nil)
	assert.ErrorIs(t, err, ErrNoColumns)
}

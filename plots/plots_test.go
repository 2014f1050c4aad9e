package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// falling is a convergence curve from (1, 1) down to (n, 1e-3).
func falling(name string, n int) Series {
	s := Series{Name: name}
	for k := 1; k <= n; k++ {
		s.X = append(s.X, float64(k))
		s.Y = append(s.Y, math.Pow(1e-3, float64(k-1)/float64(n-1)))
	}
	return s
}

func TestSaveFormatByExtension(t *testing.T) {
	f := Figure{Title: "t", YLabel: "f", LogY: true, Series: []Series{falling("a", 50)}}
	dir := t.TempDir()
	tests := []struct {
		name  string
		magic string
		err   error
	}{
		{"c.png", "\x89PNG", nil},
		{"c.PNG", "\x89PNG", nil},
		{"c.svg", "<?xml", nil},
		{"c.pdf", "%PDF", nil},
		{"c.eps", "%!PS-Adobe", nil},
		{"c.jpg", "\xff\xd8\xff", nil},
		{"c.jpeg", "\xff\xd8\xff", nil},
		{"c.tif", "II*\x00", nil},
		{"c.TIFF", "II*\x00", nil},
		{"c.gif", "", ErrFormat},
		{"c.png.txt", "", ErrFormat},
		{"c", "", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			_, err := f.Save(path, Options{Width: 4 * vg.Inch, Height: 3 * vg.Inch})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.NoFileExists(t, path)
				return
			}
			require.NoError(t, err)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(b, []byte(tt.magic)), "starts with %q", tt.magic)
		})
	}
	var buf bytes.Buffer
	_, err := f.Encode(&buf, "gif", Options{})
	assert.ErrorIs(t, err, ErrFormat)
}

func TestPNGSizeAndDPI(t *testing.T) {
	f := Figure{Series: []Series{falling("a", 10)}}
	for _, tt := range []struct {
		opt  Options
		w, h int
	}{
		{Options{}, 6 * 96, 4 * 96},
		{Options{Width: 4 * vg.Inch, Height: 3 * vg.Inch}, 4 * 96, 3 * 96},
		{Options{Width: 2 * vg.Inch, Height: vg.Inch, DPI: 300}, 600, 300},
	} {
		var buf bytes.Buffer
		_, err := f.Encode(&buf, "png", tt.opt)
		require.NoError(t, err)
		img, err := png.Decode(&buf)
		require.NoError(t, err)
		assert.Equal(t, tt.w, img.Bounds().Dx())
		assert.Equal(t, tt.h, img.Bounds().Dy())
	}
	_, err := f.Layout(Options{Width: -1})
	assert.Error(t, err)
}

func TestFontSize(t *testing.T) {
	f := Figure{Title: "t", Series: []Series{falling("a", 10)}}
	for _, size := range []vg.Length{0, 8, 14} {
		lay, err := f.Layout(Options{FontSize: size})
		require.NoError(t, err)
		want := size
		if want == 0 {
			want = 10
		}
		assert.Equal(t, want, lay.Plot.X.Label.TextStyle.Font.Size)
		assert.Equal(t, want, lay.Plot.Y.Label.TextStyle.Font.Size)
		assert.InDelta(t, float64(0.9*want), float64(lay.Plot.X.Tick.Label.Font.Size), 1e-12)
		assert.InDelta(t, float64(0.9*want), float64(lay.Legend.TextStyle.Font.Size), 1e-12)
		assert.InDelta(t, float64(1.2*want), float64(lay.Plot.Title.TextStyle.Font.Size), 1e-12)
	}
}

// TestNeverPanics: the failure paths of a run (issue 8 §6) give warnings or
// an error, never a panic, on every format.
func TestNeverPanics(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name     string
		fig      Figure
		err      error    // wrapped by the error, nil for success
		warnings []string // substrings of the warnings, in order
	}{
		{"run failed at iteration 1", Figure{LogY: true, Series: []Series{{Name: "lm", X: []float64{1}, Y: []float64{nan}}}},
			ErrNoData, nil},
		{"f reaches 0", Figure{LogY: true, Series: []Series{{Name: "lm", X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0}}}},
			nil, []string{`"lm": 1 of 3 points not drawn (1 ≤ 0 on a log axis)`}},
		{"f becomes +Inf then NaN", Figure{LogY: true, Series: []Series{{Name: "gd", X: []float64{1, 2, 3, 4}, Y: []float64{2, 1, inf, nan}}}},
			nil, []string{`"gd": 2 of 4 points not drawn (2 non-finite)`}},
		{"negative on a log axis", Figure{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{-1, 3}}}},
			nil, []string{"1 ≤ 0 on a log axis"}},
		{"x = 0 on a log x axis", Figure{LogX: true, Series: []Series{{Name: "a", X: []float64{0, 1, 10}, Y: []float64{3, 2, 1}}}},
			nil, []string{"1 ≤ 0 on a log axis"}},
		{"non-finite on a linear axis", Figure{Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, nan, 2}}}},
			nil, []string{"1 non-finite"}},
		{"one series empty, one fine", Figure{LogY: true, Series: []Series{{Name: "dead"}, falling("ok", 5)}},
			nil, []string{`series "dead" is empty`}},
		{"one series all undrawable", Figure{LogY: true, Series: []Series{{Name: "z", X: []float64{1, 2}, Y: []float64{0, 0}}, falling("ok", 5)}},
			nil, []string{`"z": 2 of 2 points not drawn`}},
		{"all series empty", Figure{LogY: true, Series: []Series{{Name: "a"}, {Name: "b"}}}, ErrNoData, nil},
		{"no series", Figure{}, ErrNoData, nil},
		{"all zero on a log axis", Figure{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{0, 0}}}}, ErrNoData, nil},
		{"one point", Figure{LogY: true, Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{0.3}}}}, nil, nil},
		{"constant at 0 on a linear axis", Figure{Series: []Series{{Name: "a", X: []float64{0, 0}, Y: []float64{0, 0}}}}, nil, nil},
		{"huge values", Figure{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1e-300, 1e300}}}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, format := range []string{"png", "svg", "pdf"} {
				var buf bytes.Buffer
				var warnings []string
				var err error
				require.NotPanics(t, func() { warnings, err = tt.fig.Encode(&buf, format, Options{}) })
				if tt.err != nil {
					require.ErrorIs(t, err, tt.err)
					continue
				}
				require.NoError(t, err)
				assert.NotZero(t, buf.Len())
				require.Len(t, warnings, len(tt.warnings))
				for i, w := range tt.warnings {
					assert.Contains(t, warnings[i], w)
				}
			}
			if tt.err != nil {
				return
			}
			lay, err := tt.fig.Layout(Options{})
			require.NoError(t, err)
			if len(tt.warnings) > 0 {
				assert.Contains(t, lay.Plot.X.Label.Text, tt.warnings[0], "the caption says what was skipped")
			} else {
				assert.NotContains(t, lay.Plot.X.Label.Text, "\n")
			}
			for i, s := range tt.fig.Series {
				pts, _ := drawable(s, tt.fig.LogX, tt.fig.LogY)
				if len(pts) == 0 {
					assert.Equal(t, s.Name+" (not drawn)", lay.Entries[i])
				} else {
					assert.Equal(t, s.Name, lay.Entries[i])
				}
			}
		})
	}
	_, err := Figure{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}}.Layout(Options{})
	assert.ErrorContains(t, err, "2 x and 1 y values")
	assert.ErrorContains(t, Figure{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}}.WriteCSV(&bytes.Buffer{}), "2 x and 1 y values")
}

func tickLabels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestLinearTicksRoundFromOrigin(t *testing.T) {
	tests := []struct {
		name       string
		dmin, dmax float64
		fromZero   bool
		lo, hi     float64
		labels     []string
	}{
		{"iterations 1…2000", 1, 2000, true, 0, 2000, []string{"0", "500", "1000", "1500", "2000"}},
		{"iterations 1…1937", 1, 1937, true, 0, 2000, []string{"0", "500", "1000", "1500", "2000"}},
		{"iterations 1…100", 1, 100, true, 0, 100, []string{"0", "20", "40", "60", "80", "100"}},
		{"seconds 0.01…0.37", 0.01, 0.37, true, 0, 0.4, []string{"0.0", "0.1", "0.2", "0.3", "0.4"}},
		{"y −3…7", -3, 7, false, -4, 8, []string{"-4", "-2", "0", "2", "4", "6", "8"}},
		{"y 101…104", 101, 104, false, 101, 104, []string{"101", "102", "103", "104"}},
		{"y 0.101…0.1043", 0.101, 0.1043, false, 0.101, 0.105, []string{"0.101", "0.102", "0.103", "0.104", "0.105"}},
		{"one iteration", 1, 1, true, 0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, step := linearRange(tt.dmin, tt.dmax, tt.fromZero)
			assert.InDelta(t, tt.lo, lo, 1e-12)
			assert.InDelta(t, tt.hi, hi, 1e-12)
			ticks := linearTicks{Step: step}.Ticks(lo, hi)
			assert.Equal(t, tt.labels, tickLabels(ticks))
			assert.Equal(t, lo, ticks[0].Value, "the first tick is the axis origin")
			assert.InDelta(t, hi, ticks[len(ticks)-1].Value, 1e-12)
		})
	}
	// Through a figure: the x axis of a 2000-iteration run.
	lay, err := Figure{Series: []Series{falling("a", 2000)}}.Layout(Options{})
	require.NoError(t, err)
	assert.Equal(t, 0.0, lay.Plot.X.Min)
	assert.Equal(t, 2000.0, lay.Plot.X.Max)
	assert.Equal(t, []string{"0", "500", "1000", "1500", "2000"}, tickLabels(lay.Plot.X.Tick.Marker.Ticks(lay.Plot.X.Min, lay.Plot.X.Max)))
}

func TestLogTicksLabelled(t *testing.T) {
	tests := []struct {
		name       string
		dmin, dmax float64
		lo, hi     float64 // an end that stays at the data gets a margin of logPad of the log range
		labels     []string
	}{
		{"six decades", 1e-6, 1, 1e-6, 1, []string{"1e-6", "1e-5", "0.0001", "0.001", "0.01", "0.1", "1"}},
		{"less than a decade", 0.12, 0.9, 0.1, 1, []string{"0.1", "0.2", "0.5", "1"}},
		{"a fraction of a decade", 0.31, 0.38, 0.3, 0.38, []string{"0.30", "0.32", "0.34", "0.36", "0.38"}},
		{"within 0.55…0.88", 0.55, 0.88, 0.55 * math.Pow(0.55/0.88, logPad), 0.9, []string{"0.6", "0.7", "0.8", "0.9"}},
		{"1.5 decades", 0.02, 0.9, 0.02, 1, []string{"0.02", "0.05", "0.1", "0.2", "0.5", "1"}},
		{"large values", 3e5, 8e6, 3e5 * math.Pow(3e5/8e6, logPad), 1e7, []string{"5e5", "1e6", "2e6", "5e6", "1e7"}},
		{"30 decades", 1e-30, 1, 1e-30, 1, []string{"1e-30", "1e-25", "1e-20", "1e-15", "1e-10", "1e-5", "1"}},
		{"one value", 0.3, 0.3, 0.15 * math.Pow(0.25, logPad), 0.6, []string{"0.2", "0.3", "0.4", "0.5", "0.6"}},
		{"no empty decade above 1.05", 1.6e-5, 1.05, 1e-5, 1.05 * math.Pow(1.05/1.6e-5, logPad), []string{"1e-5", "0.0001", "0.001", "0.01", "0.1", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, tk := logRange(tt.dmin, tt.dmax)
			assert.InDelta(t, tt.lo, lo, 1e-9*tt.lo)
			assert.InDelta(t, tt.hi, hi, 1e-9*tt.hi)
			assert.LessOrEqual(t, lo, tt.dmin)
			assert.GreaterOrEqual(t, hi, tt.dmax)
			assert.Equal(t, tt.labels, tickLabels(tk.Ticks(lo, hi)))
		})
	}
	// gonum's own LogTicks labels at most one tick (1) on 0.12…0.9; ours label 4.
	assert.LessOrEqual(t, len(tickLabels(plot.LogTicks{}.Ticks(0.12, 0.9))), 1)
	lay, err := Figure{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{0.9, 0.5, 0.12}}}}.Layout(Options{})
	require.NoError(t, err)
	assert.Equal(t, plot.LogScale{}, lay.Plot.Y.Scale)
	assert.Len(t, tickLabels(lay.Plot.Y.Tick.Marker.Ticks(lay.Plot.Y.Min, lay.Plot.Y.Max)), 4)
}

func TestXAxisOption(t *testing.T) {
	tests := []struct {
		x      XAxis
		xlabel string
		want   string
	}{
		{Iterations, "", "iteration k"},
		{Sweeps, "", "sweep"},
		{Seconds, "", "time (s)"},
		{Seconds, "wall time (s)", "wall time (s)"},
	}
	for _, tt := range tests {
		t.Run(tt.x.String(), func(t *testing.T) {
			f := Figure{X: tt.x, XLabel: tt.xlabel, YLabel: "f", Series: []Series{{Name: "a", X: []float64{0.5, 1.5}, Y: []float64{2, 1}}}}
			lay, err := f.Layout(Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, lay.Plot.X.Label.Text)
			var buf bytes.Buffer
			require.NoError(t, f.WriteCSV(&buf))
			assert.Equal(t, "series,"+tt.want+",f", strings.SplitN(buf.String(), "\n", 2)[0])
		})
	}
}

func TestLegendPlacement(t *testing.T) {
	line := func(name string, x0, y0, x1, y1 float64) Series {
		s := Series{Name: name}
		for k := 0; k <= 100; k++ {
			u := float64(k) / 100
			s.X = append(s.X, x0+u*(x1-x0))
			s.Y = append(s.Y, y0+u*(y1-y0))
		}
		return s
	}
	// A curve along the top and the left edge, then down the right edge: only the
	// bottom-left corner is free.
	// (A dot at (50, 0) keeps the y axis from 0.)
	frame := []Series{{Name: "frame", X: []float64{0, 0, 100, 100}, Y: []float64{5, 10, 10, 0}}, {Name: "dot", X: []float64{50}, Y: []float64{0}}}
	// Both diagonals: no corner is free.
	cross := []Series{line("up", 0, 0, 100, 10), line("down", 0, 10, 100, 0)}
	tests := []struct {
		name string
		fig  Figure
		want Position
	}{
		{"falling curves leave the top right free", Figure{LogY: true, Series: []Series{falling("a", 200), falling("b", 150)}}, TopRight},
		{"a rising diagonal leaves the top left", Figure{Series: []Series{line("d", 0, 0, 100, 10)}}, TopLeft},
		{"a falling diagonal leaves the top right", Figure{Series: []Series{line("d", 0, 10, 100, 0)}}, TopRight},
		{"a frame leaves the bottom left", Figure{Series: frame}, BottomLeft},
		{"a cross leaves nothing: outside", Figure{Series: cross}, Outside},
		{"outside on request", Figure{Legend: LegendOutside, Series: []Series{line("d", 0, 0, 100, 10)}}, Outside},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lay, err := tt.fig.Layout(Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, lay.Position, "got %v", lay.Position)
			var buf bytes.Buffer
			require.NoError(t, lay.Encode(&buf, "svg"))
		})
	}
	// The legend box of a corner holds no data point of the curve in it.
	lay, err := Figure{Series: []Series{line("d", 0, 0, 100, 10)}}.Layout(Options{})
	require.NoError(t, err)
	x0, y0, x1, y1 := lay.legendBox(TopLeft)
	assert.Greater(t, x1-x0, 0.05)
	assert.Greater(t, y1-y0, 0.03)
	for k := 0; k <= 1000; k++ {
		u := float64(k) / 1000 // the diagonal in axis fractions is y = x
		assert.False(t, u >= x0 && u <= x1 && u >= y0 && u <= y1)
	}
	assert.Equal(t, "bottom left", BottomLeft.String())
	assert.Equal(t, "Position(9)", Position(9).String())
	assert.Positive(t, lay.coverage(TopRight, []plotter.XYs{{{X: 0, Y: 0}, {X: 100, Y: 10}}}, nil))
}

func TestStylesCycleBySeriesIndex(t *testing.T) {
	type key struct {
		dash   string
		marker string
	}
	seen := map[key]int{}
	for i := 0; i < 40; i++ {
		s := StyleOf(i)
		k := key{fmt.Sprint(s.Dashes), fmt.Sprintf("%T", s.Marker)}
		j, dup := seen[k]
		assert.False(t, dup, "series %d and %d share dashes and marker", i, j)
		seen[k] = i
		assert.Equal(t, s, StyleOf(i), "deterministic")
		assert.Equal(t, s.Color, StyleOf(i+10).Color)
		if i < 10 {
			for j := 0; j < i; j++ {
				assert.NotEqual(t, StyleOf(j).Color, s.Color)
			}
		}
	}
	assert.Nil(t, StyleOf(0).Dashes, "the first series is solid")
	assert.NotNil(t, StyleOf(1).Dashes)

	// Two identical curves: distinct dashes, markers, and marker positions.
	f := Figure{LogY: true, Series: []Series{falling("a", 500), falling("b", 500)}}
	lay, err := f.Layout(Options{})
	require.NoError(t, err)
	require.Len(t, lay.Styles, 2)
	lines, scatters := lay.Lines, lay.Markers
	require.Len(t, lines, 2)
	require.Len(t, scatters, 2)
	for i := range lines {
		assert.Equal(t, lay.Styles[i].Dashes, lines[i].Dashes)
		assert.Equal(t, lay.Styles[i].Marker, scatters[i].Shape)
		assert.Len(t, scatters[i].XYs, markersPerSeries)
	}
	assert.NotEqual(t, lines[0].Dashes, lines[1].Dashes)
	assert.NotEqual(t, scatters[0].Shape, scatters[1].Shape)
	for k := range scatters[0].XYs {
		assert.NotEqual(t, scatters[0].XYs[k].X, scatters[1].XYs[k].X, "markers staggered")
	}
}

func TestCSV(t *testing.T) {
	f := Figure{XLabel: "iteration", YLabel: "nmse", LogY: true, Series: []Series{
		{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 0.5, 0.25}},
		{Name: "b", X: []float64{1, 2}, Y: []float64{0, math.NaN()}}, // kept in the CSV
	}}
	var buf bytes.Buffer
	require.NoError(t, f.WriteCSV(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Equal(t, []string{"series,iteration,nmse", "a,1,1", "a,2,0.5", "a,3,0.25", "b,1,0", "b,2,NaN"}, lines)
	path := filepath.Join(t.TempDir(), "c.csv")
	require.NoError(t, f.SaveCSV(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, buf.String(), string(b))
	err = f.SaveCSV(filepath.Join(t.TempDir(), "missing", "c.csv"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestDecimateKeepsEndsAndExtremes(t *testing.T) {
	var pts plotter.XYs
	for i := 0; i < 20000; i++ {
		pts = append(pts, plotter.XY{X: float64(i), Y: float64(i % 7)})
	}
	pts[12345].Y = 100 // a spike
	d := decimate(pts, 1000)
	assert.LessOrEqual(t, len(d), 1001)
	assert.Equal(t, pts[0], d[0])
	assert.Equal(t, pts[len(pts)-1], d[len(d)-1])
	found := false
	for i, p := range d {
		if p.Y == 100 {
			found = true
		}
		if i > 0 {
			assert.Greater(t, p.X, d[i-1].X, "x order kept")
		}
	}
	assert.True(t, found, "the spike survives")
	short := pts[:10]
	assert.Equal(t, short, decimate(short, 1000))
}

// TestYLabelDoesNotShrinkLogAxes: gonum/plot reserves room for the y label
// at the arithmetic middle of a log axis; drawPlot centres it itself, so a
// long label costs the axes no height.
func TestYLabelDoesNotShrinkLogAxes(t *testing.T) {
	height := func(ylabel string) vg.Length {
		f := Figure{Title: "t", YLabel: ylabel, LogY: true, Series: []Series{falling("a", 100)}}
		lay, err := f.Layout(Options{})
		require.NoError(t, err)
		c := draw.Canvas{Canvas: new(recorder.Canvas), Rectangle: vg.Rectangle{Max: vg.Point{X: 6 * vg.Inch, Y: 4 * vg.Inch}}}
		dc := lay.drawPlot(c)
		assert.Equal(t, ylabel, lay.Plot.Y.Label.Text, "the label is restored")
		return dc.Size().Y
	}
	assert.InDelta(t, float64(height("")), float64(height("normalised training MSE, a long label")), 1e-9)
}

// TestConcurrentSave: one Figure saved from several goroutines at once
// (run with -race).
func TestConcurrentSave(t *testing.T) {
	f := Figure{Title: "t", YLabel: "f", LogY: true, Series: []Series{falling("a", 300), falling("b", 200)}}
	dir := t.TempDir()
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		go func(i int) {
			_, err := f.Save(filepath.Join(dir, fmt.Sprintf("c%d.%s", i, []string{"png", "svg", "pdf"}[i%3])), Options{})
			errs <- err
		}(i)
	}
	for i := 0; i < 6; i++ {
		require.NoError(t, <-errs)
	}
	a, err := os.ReadFile(filepath.Join(dir, "c0.png"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "c3.png"))
	require.NoError(t, err)
	assert.Equal(t, a, b, "the same figure gives the same bytes")
}

// TestTinyOrCrowdedCanvas: sizes that leave the axes no room still encode
// without a panic.
func TestTinyOrCrowdedCanvas(t *testing.T) {
	f := Figure{Title: "t", YLabel: "f", LogY: true, Series: []Series{falling("a", 300), falling("b", 200)}}
	for _, o := range []Options{{Width: 1, Height: 1}, {Width: vg.Inch, Height: 0.5 * vg.Inch, FontSize: 40}, {DPI: 1}} {
		var buf bytes.Buffer
		require.NotPanics(t, func() {
			_, err := f.Encode(&buf, "png", o)
			require.NoError(t, err)
		})
		_, err := png.Decode(&buf)
		assert.NoError(t, err, "%+v", o)
	}
}

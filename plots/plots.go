// Package plots draws convergence curves (objective or error against
// iterations, sweeps or seconds) as PNG, SVG or PDF figures and writes them
// as CSV: the figures of the examples and of `bsum train --plot`.
//
// A Figure is plain data (named series of x, y points and a few choices);
// Save writes it in the format named by the file's extension:
//
//	.png          raster image (Options.DPI dots per inch, default 96)
//	.svg          scalable vector graphics
//	.pdf          portable document format (fonts embedded)
//	.eps          encapsulated PostScript
//	.jpg, .jpeg   JPEG raster image (Options.DPI)
//	.tif, .tiff   TIFF raster image (Options.DPI)
//
// The extension's case does not matter. Any other extension is refused,
// before anything is drawn, with an error wrapping ErrFormat; FormatOf
// lets a program check a file name before a long run.
//
// The layout follows rules meant for papers: the legend never covers data
// (it goes in the emptiest corner of the axes, computed from the data, or
// outside the axes to the right when no corner is empty); series i gets the
// i-th colour, dash pattern and marker shape of fixed cycles (see StyleOf),
// so overlapping curves stay apart; linear axes carry round ticks (0, 500,
// 1000, …) from the axis origin; log axes label their ticks even when the
// data span less than a decade.
//
// Drawing never panics. Points a log axis cannot show (y ≤ 0) and
// non-finite points are skipped; each skip is reported in the returned
// warnings and in a note under the x axis. A series with no drawable point
// is listed in the legend as "(not drawn)"; a figure with no drawable point
// at all is refused with an error wrapping ErrNoData.
package plots

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgeps"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrFormat is wrapped by the error of Save and Encode for a file format
// other than png, svg and pdf.
var ErrFormat = errors.New("unknown figure format (want .png, .svg, .pdf, .eps, .jpg or .tif)")

// ErrNoData is wrapped by the error of Layout, Save and Encode when no
// series has a drawable point.
var ErrNoData = errors.New("nothing to draw")

// Series is one named curve: the points (X[i], Y[i]).
type Series struct {
	Name string
	X, Y []float64
}

// XAxis is what the x values count; it names the x axis.
type XAxis int

const (
	// Iterations: x is the iteration k (the zero value).
	Iterations XAxis = iota
	// Sweeps: x is the number of passes over all blocks (k divided by the
	// number of blocks under the cyclic block rule).
	Sweeps
	// Seconds: x is the wall time in seconds.
	Seconds
)

// Label is the axis label of a: "iteration k", "sweep" or "time (s)".
func (a XAxis) Label() string {
	switch a {
	case Sweeps:
		return "sweep"
	case Seconds:
		return "time (s)"
	default:
		return "iteration k"
	}
}

// String is the name of a: "iterations", "sweeps" or "seconds".
func (a XAxis) String() string {
	switch a {
	case Sweeps:
		return "sweeps"
	case Seconds:
		return "seconds"
	default:
		return "iterations"
	}
}

// LegendMode says where the legend may go.
type LegendMode int

const (
	// LegendAuto puts the legend in the emptiest corner of the axes (one
	// that no curve or marker crosses), or outside the axes to the right
	// when every corner holds data (the zero value).
	LegendAuto LegendMode = iota
	// LegendOutside always puts the legend outside the axes, to the right.
	LegendOutside
)

// Position is where a legend was placed.
type Position int

// The legend positions, in the order LegendAuto tries the corners.
const (
	TopRight Position = iota
	BottomLeft
	TopLeft
	BottomRight
	Outside
)

// String names p ("top right", …, "outside").
func (p Position) String() string {
	names := [...]string{"top right", "bottom left", "top left", "bottom right", "outside"}
	if p < 0 || int(p) >= len(names) {
		return fmt.Sprintf("Position(%d)", int(p))
	}
	return names[p]
}

// Figure describes a line plot. The zero value of every field but Series
// is a valid choice. Its methods only read it: they are safe for
// concurrent use while nobody modifies the Figure or its slices.
type Figure struct {
	Title string
	// X is what the x values count; XLabel, when not empty, replaces the
	// label X.Label() gives the x axis.
	X      XAxis
	XLabel string
	YLabel string
	// LogX and LogY draw that axis on a log scale; points with a
	// non-positive coordinate on a log axis are skipped (and reported).
	LogX, LogY bool
	Legend     LegendMode
	Series     []Series
}

// Options are the size and fonts of a drawn figure. Zero fields take the
// defaults.
type Options struct {
	// Width and Height of the figure (default 6 × 4 inches).
	Width, Height vg.Length
	// FontSize of the axis labels (default 10 points); tick labels and
	// legend are 0.9 times it and the title 1.2 times.
	FontSize vg.Length
	// DPI is the resolution of PNG output (default 96).
	DPI int
}

func (o Options) withDefaults() (Options, error) {
	if o.Width < 0 || o.Height < 0 || o.FontSize < 0 || o.DPI < 0 {
		return o, fmt.Errorf("plots: negative size in options %+v", o)
	}
	if o.Width == 0 {
		o.Width = 6 * vg.Inch
	}
	if o.Height == 0 {
		o.Height = 4 * vg.Inch
	}
	if o.FontSize == 0 {
		o.FontSize = vg.Points(10)
	}
	if o.DPI == 0 {
		o.DPI = 96
	}
	return o, nil
}

// Layout is a figure laid out for drawing: the gonum plot with its axes,
// ticks and curves, the legend and where it goes, the style of each series
// and the warnings about skipped points. Tests and users may inspect or
// adjust it before Draw. A Layout is not safe for concurrent use.
type Layout struct {
	// Plot holds the axes and curves; its own legend is unused.
	Plot *plot.Plot
	// Legend has one entry per series, drawn at Position.
	Legend   plot.Legend
	Position Position
	// Styles[i] is the style of Series[i]; Lines[i] and Markers[i] are its
	// curve and markers (on Plot unless the series has no drawable point).
	Styles  []Style
	Lines   []*plotter.Line
	Markers []*plotter.Scatter
	// Entries are the legend's texts, one per series: its name, followed
	// by " (not drawn)" when it has no drawable point.
	Entries []string
	// Warnings say which points were skipped and why.
	Warnings []string
	// Options are the options the layout was made for (defaults filled).
	Options Options
}

// Layout lays out f for drawing with opt. It fails when a series' X and Y
// differ in length, when opt holds a negative size, or (ErrNoData) when no
// point can be drawn.
func (f Figure) Layout(opt Options) (*Layout, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	xl := f.XLabel
	if xl == "" {
		xl = f.X.Label()
	}
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = xl
	p.Y.Label.Text = f.YLabel
	setFonts(p, opt.FontSize)
	p.Add(plotter.NewGrid())

	lay := &Layout{Plot: p, Legend: plot.NewLegend(), Options: opt}
	lay.Legend.TextStyle.Font.Size = 0.9 * opt.FontSize
	lay.Legend.ThumbnailWidth = vg.Points(28)
	lay.Legend.Padding = vg.Points(2)

	curves := make([]plotter.XYs, len(f.Series))
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, s := range f.Series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plots: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts, skipped := drawable(s, f.LogX, f.LogY)
		if len(s.X) == 0 {
			lay.Warnings = append(lay.Warnings, fmt.Sprintf("series %q is empty", s.Name))
		} else if len(skipped) > 0 {
			lay.Warnings = append(lay.Warnings, fmt.Sprintf("series %q: %d of %d points not drawn (%s)",
				s.Name, len(s.X)-len(pts), len(s.X), strings.Join(skipped, ", ")))
		}
		curves[i] = decimate(pts, maxPoints)
		for _, q := range pts {
			xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
			ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
		}
	}
	if math.IsInf(xmin, 1) {
		return nil, fmt.Errorf("plots: %w: none of the %d series has a finite point%s", ErrNoData, len(f.Series), logNote(f))
	}
	setAxis(&p.X, f.LogX, xmin, xmax, true)
	setAxis(&p.Y, f.LogY, ymin, ymax, false)

	var markers [][]plotter.XY
	for i, s := range f.Series {
		st := StyleOf(i)
		lay.Styles = append(lay.Styles, st)
		name := s.Name
		if len(curves[i]) == 0 {
			name += " (not drawn)"
		}
		line := &plotter.Line{LineStyle: st.Line()}
		sc := &plotter.Scatter{GlyphStyle: st.Glyph()}
		if len(curves[i]) > 0 {
			line.XYs = curves[i]
			sc.XYs = markerPoints(curves[i], p, i, len(f.Series))
			p.Add(line, sc)
		}
		markers = append(markers, sc.XYs)
		lay.Legend.Add(name, line, sc)
		lay.Entries = append(lay.Entries, name)
		lay.Lines = append(lay.Lines, line)
		lay.Markers = append(lay.Markers, sc)
	}
	if n := len(lay.Warnings); n > 0 {
		p.X.Label.Text += "\n(" + caption(lay.Warnings) + ")"
	}
	lay.Position = Outside
	if f.Legend == LegendAuto {
		lay.Position = lay.emptiestCorner(curves, markers)
	}
	return lay, nil
}

// drawable returns the points of s that the axes can show and the reasons
// others were skipped.
func drawable(s Series, logX, logY bool) (plotter.XYs, []string) {
	pts := make(plotter.XYs, 0, len(s.X))
	var nonFinite, nonPos int
	for k := range s.X {
		x, y := s.X[k], s.Y[k]
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0):
			nonFinite++
		case (logX && x <= 0) || (logY && y <= 0):
			nonPos++
		default:
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
	}
	var why []string
	if nonFinite > 0 {
		why = append(why, fmt.Sprintf("%d non-finite", nonFinite))
	}
	if nonPos > 0 {
		why = append(why, fmt.Sprintf("%d ≤ 0 on a log axis", nonPos))
	}
	return pts, why
}

func logNote(f Figure) string {
	if f.LogX || f.LogY {
		return " (positive on a log axis)"
	}
	return ""
}

// caption is the note under the x axis for the skipped points.
func caption(warnings []string) string {
	if len(warnings) == 1 {
		return warnings[0]
	}
	return fmt.Sprintf("%s; %d more warnings", warnings[0], len(warnings)-1)
}

// setAxis sets the range, scale and ticks of a.
func setAxis(a *plot.Axis, log bool, dmin, dmax float64, fromZero bool) {
	if log {
		lo, hi, t := logRange(dmin, dmax)
		a.Min, a.Max = lo, hi
		a.Scale = plot.LogScale{}
		a.Tick.Marker = t
		return
	}
	lo, hi, step := linearRange(dmin, dmax, fromZero)
	a.Min, a.Max = lo, hi
	a.Tick.Marker = linearTicks{Step: step}
}

func setFonts(p *plot.Plot, size vg.Length) {
	p.Title.TextStyle.Font.Size = 1.2 * size
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = size
		a.Tick.Label.Font.Size = 0.9 * size
	}
}

// markersPerSeries is the number of markers on a long curve.
const markersPerSeries = 8

// markerPoints picks markersPerSeries points of pts (all when fewer), at
// x positions shifted by series index i of n so that overlapping curves do
// not put their markers on the same spot.
func markerPoints(pts plotter.XYs, p *plot.Plot, i, n int) plotter.XYs {
	if len(pts) <= markersPerSeries {
		return append(plotter.XYs(nil), pts...)
	}
	out := make(plotter.XYs, 0, markersPerSeries)
	phase := float64(i+1) / float64(n+1)
	last := -1
	for t := 0; t < markersPerSeries; t++ {
		target := (float64(t) + phase) / markersPerSeries
		best, bestD := -1, math.Inf(1)
		for k := range pts {
			if d := math.Abs(p.X.Norm(pts[k].X) - target); d < bestD {
				best, bestD = k, d
			}
		}
		if best != last {
			out = append(out, pts[best])
			last = best
		}
	}
	return out
}

// Draw draws the figure on c.
func (l *Layout) Draw(c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing failed: %v", r)
		}
	}()
	if l.Position != Outside {
		leg := l.Legend
		leg.Top = l.Position == TopRight || l.Position == TopLeft
		leg.Left = l.Position == TopLeft || l.Position == BottomLeft
		pad := legendPad
		leg.XOffs, leg.YOffs = pad, pad
		if !leg.Left {
			leg.XOffs = -pad
		}
		if leg.Top {
			leg.YOffs = -pad
		}
		l.Plot.Legend = leg
		l.drawPlot(c)
		return nil
	}
	l.Plot.Legend = plot.NewLegend()
	w := l.legendWidth(c) + 2*legendPad
	dc := l.drawPlot(draw.Crop(c, 0, -w, 0, 0))
	leg := l.Legend
	leg.Top, leg.Left = true, true
	area := c
	area.Min.X = c.Max.X - w + legendPad
	area.Max.Y = dc.Max.Y
	leg.Draw(area)
	return nil
}

// drawPlot draws the plot on c and returns its data area. It draws the y
// label itself, centred on the data area: gonum/plot v0.14 reserves room
// for the label at the arithmetic middle of the y range, which on a log
// axis lies near the top and shrinks the axes by the label's half length.
func (l *Layout) drawPlot(c draw.Canvas) draw.Canvas {
	lab := l.Plot.Y.Label
	if lab.Text == "" {
		l.Plot.Draw(c)
		return l.Plot.DataCanvas(c)
	}
	l.Plot.Y.Label.Text = ""
	defer func() { l.Plot.Y.Label.Text = lab.Text }()
	h := lab.TextStyle.Height(lab.Text)
	descent := lab.TextStyle.FontExtents().Descent
	inner := draw.Crop(c, h+descent+lab.Padding, 0, 0, 0)
	l.Plot.Draw(inner)
	dc := l.Plot.DataCanvas(inner)
	sty := lab.TextStyle
	sty.Rotation += math.Pi / 2
	c.FillText(sty, vg.Point{X: c.Min.X + h - descent, Y: dc.Center().Y}, lab.Text)
	return dc
}

// legendPad is the gap between the legend and the axes.
var legendPad = vg.Points(6)

func (l *Layout) legendWidth(c draw.Canvas) vg.Length {
	leg := l.Legend
	return leg.Rectangle(c).Size().X
}

// Encode writes the figure to w in a format FormatOf returns ("png",
// "svg", "pdf", "eps", "jpg" or "tif") and returns the warnings of its
// layout.
func (f Figure) Encode(w io.Writer, format string, opt Options) ([]string, error) {
	lay, err := f.Layout(opt)
	if err != nil {
		return nil, err
	}
	if err := lay.Encode(w, format); err != nil {
		return lay.Warnings, err
	}
	return lay.Warnings, nil
}

// Encode writes the laid-out figure to w in a format FormatOf returns
// ("png", "svg", "pdf", "eps", "jpg" or "tif").
func (l *Layout) Encode(w io.Writer, format string) error {
	o := l.Options
	var (
		vc interface {
			vg.CanvasSizer
			io.WriterTo
		}
	)
	img := func() *vgimg.Canvas { return vgimg.NewWith(vgimg.UseWH(o.Width, o.Height), vgimg.UseDPI(o.DPI)) }
	switch strings.ToLower(format) {
	case "png":
		vc = vgimg.PngCanvas{Canvas: img()}
	case "jpg", "jpeg":
		vc = vgimg.JpegCanvas{Canvas: img()}
	case "tif", "tiff":
		vc = vgimg.TiffCanvas{Canvas: img()}
	case "svg":
		vc = vgsvg.New(o.Width, o.Height)
	case "pdf":
		vc = vgpdf.New(o.Width, o.Height)
	case "eps":
		vc = vgeps.New(o.Width, o.Height)
	default:
		return fmt.Errorf("plots: %w: %q", ErrFormat, format)
	}
	if err := l.Draw(draw.New(vc)); err != nil {
		return err
	}
	if _, ok := vc.(*vgeps.Canvas); ok {
		// gonum/plot v0.14 writes the EPS magic as "%%!PS-Adobe"; readers
		// want "%!PS-Adobe".
		var buf bytes.Buffer
		if _, err := vc.WriteTo(&buf); err != nil {
			return fmt.Errorf("plots: encoding %s: %w", format, err)
		}
		b := buf.Bytes()
		if bytes.HasPrefix(b, []byte("%%!")) {
			b = b[1:]
		}
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("plots: writing %s: %w", format, err)
		}
		return nil
	}
	if _, err := vc.WriteTo(w); err != nil {
		return fmt.Errorf("plots: encoding %s: %w", format, err)
	}
	return nil
}

// FormatOf is the figure format named by path's extension: "png", "svg",
// "pdf", "eps", "jpg" or "tif" (see the package documentation); other
// extensions give an error wrapping ErrFormat.
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg", ".pdf", ".eps", ".jpg", ".tif":
		return ext[1:], nil
	case ".jpeg":
		return "jpg", nil
	case ".tiff":
		return "tif", nil
	}
	return "", fmt.Errorf("plots: %s: %w", path, ErrFormat)
}

// Save writes the figure to path in the format named by its extension
// (see FormatOf) and returns the warnings of its layout. The file is
// written only when drawing succeeded.
func (f Figure) Save(path string, opt Options) (warnings []string, err error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	lay, err := f.Layout(opt)
	if err != nil {
		return nil, fmt.Errorf("save %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := lay.Encode(&buf, format); err != nil {
		return lay.Warnings, fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return lay.Warnings, fmt.Errorf("plots: %w", err)
	}
	return lay.Warnings, nil
}

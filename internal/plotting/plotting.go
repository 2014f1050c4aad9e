// Package plotting draws convergence curves as PNG files and writes them as
// CSV, for the examples and the command-line tool.
package plotting

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one named curve.
type Series struct {
	Name string
	X, Y []float64
}

// Figure describes a line plot.
type Figure struct {
	Title, XLabel, YLabel string
	// LogY draws the y axis on a log scale (non-positive points are dropped).
	LogY   bool
	Series []Series
}

var palette = []color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, {R: 0xff, G: 0x7f, B: 0x0e, A: 255},
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 255}, {R: 0xd6, G: 0x27, B: 0x28, A: 255},
	{R: 0x94, G: 0x67, B: 0xbd, A: 255}, {R: 0x8c, G: 0x56, B: 0x4b, A: 255},
	{R: 0xe3, G: 0x77, B: 0xc2, A: 255}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 255},
	{R: 0xbc, G: 0xbd, B: 0x22, A: 255}, {R: 0x17, G: 0xbe, B: 0xcf, A: 255},
}

// SavePNG writes the figure to path as a PNG of width×height inches.
func (f Figure) SavePNG(path string, width, height float64) error {
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	if f.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: 3}
	}
	// Convergence curves fall from the top left: the bottom left is the
	// emptiest corner.
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	for i, s := range f.Series {
		pts := make(plotter.XYs, 0, len(s.X))
		for k := range s.X {
			y := s.Y[k]
			if math.IsNaN(y) || math.IsInf(y, 0) || (f.LogY && y <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[k], Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(decimate(pts, maxPoints))
		if err != nil {
			return fmt.Errorf("plotting: series %q: %w", s.Name, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		if i >= len(palette) {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	p.Legend.XOffs = vg.Points(6)
	p.Legend.YOffs = vg.Points(6)
	p.Legend.Padding = vg.Points(2)
	if err := p.Save(vg.Length(width)*vg.Inch, vg.Length(height)*vg.Inch, path); err != nil {
		return fmt.Errorf("plotting: save %s: %w", path, err)
	}
	return nil
}

// maxPoints bounds the points drawn per series: gonum/plot's rasteriser
// stops long polylines early (a 20,000-point line was drawn only up to its
// 1,000th point), so longer series are decimated for drawing. The CSV keeps
// every point.
const maxPoints = 1000

// decimate keeps, for each of limit/2 consecutive buckets, the points with
// the smallest and the largest y (in x order), so spikes survive; at most
// limit+1 points remain.
func decimate(pts plotter.XYs, limit int) plotter.XYs {
	if len(pts) <= limit {
		return pts
	}
	buckets := limit / 2
	out := make(plotter.XYs, 0, limit+1)
	for b := 0; b < buckets; b++ {
		lo, hi := b*len(pts)/buckets, (b+1)*len(pts)/buckets
		imin, imax := lo, lo
		for i := lo; i < hi; i++ {
			if pts[i].Y < pts[imin].Y {
				imin = i
			}
			if pts[i].Y > pts[imax].Y {
				imax = i
			}
		}
		first, second := min(imin, imax), max(imin, imax)
		out = append(out, pts[first])
		if second != first {
			out = append(out, pts[second])
		}
	}
	if last := pts[len(pts)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

// WriteCSV writes the series in long form: series,x,y.
func (f Figure) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"series", f.XLabel, f.YLabel}); err != nil {
		return err
	}
	for _, s := range f.Series {
		for k := range s.X {
			rec := []string{s.Name, strconv.FormatFloat(s.X[k], 'g', -1, 64), strconv.FormatFloat(s.Y[k], 'g', -1, 64)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// SaveCSV writes the series to path (see WriteCSV).
func (f Figure) SaveCSV(path string) (err error) {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plotting: %w", err)
	}
	defer func() {
		if cerr := fh.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("plotting: %w", cerr)
		}
	}()
	if err := f.WriteCSV(fh); err != nil {
		return fmt.Errorf("plotting: writing %s: %w", path, err)
	}
	return nil
}

package plots

import (
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendBox is the part of the unit square (the data area in axis
// fractions) that the legend covers in corner pos: its size is the legend's
// drawn size plus its gap to the axes and a marker radius, over the size of
// the data area of the figure.
func (l *Layout) legendBox(pos Position) (x0, y0, x1, y1 float64) {
	c := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: l.Options.Width, Y: l.Options.Height}}}
	if lab := l.Plot.Y.Label; lab.Text != "" { // as drawPlot lays it out
		c = draw.Crop(c, lab.TextStyle.Height(lab.Text)+lab.TextStyle.FontExtents().Descent+lab.Padding, 0, 0, 0)
		text := lab.Text
		l.Plot.Y.Label.Text = ""
		defer func() { l.Plot.Y.Label.Text = text }()
	}
	dc := l.Plot.DataCanvas(c)
	size := l.Legend.Rectangle(c).Size()
	margin := legendPad + vg.Points(3)
	w := float64(size.X+margin) / float64(dc.Size().X)
	h := float64(size.Y+margin) / float64(dc.Size().Y)
	x0, x1 = 0, w
	if pos == TopRight || pos == BottomRight {
		x0, x1 = 1-w, 1
	}
	y0, y1 = 0, h
	if pos == TopRight || pos == TopLeft {
		y0, y1 = 1-h, 1
	}
	return x0, y0, x1, y1
}

// coverage counts the samples of the curves (every segment cut into steps
// of at most 1/400 of the axes) and the markers that fall in the legend box
// at pos.
func (l *Layout) coverage(pos Position, curves []plotter.XYs, markers [][]plotter.XY) int {
	x0, y0, x1, y1 := l.legendBox(pos)
	if x1-x0 >= 1 || y1-y0 >= 1 {
		return math.MaxInt // the legend is larger than the axes
	}
	in := func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
	p := l.Plot
	n := 0
	for _, pts := range curves {
		for k, q := range pts {
			x, y := p.X.Norm(q.X), p.Y.Norm(q.Y)
			if in(x, y) {
				n++
			}
			if k == 0 {
				continue
			}
			px, py := p.X.Norm(pts[k-1].X), p.Y.Norm(pts[k-1].Y)
			steps := int(math.Ceil(math.Hypot(x-px, y-py) * 400))
			for s := 1; s < steps; s++ {
				t := float64(s) / float64(steps)
				if in(px+t*(x-px), py+t*(y-py)) {
					n++
				}
			}
		}
	}
	for _, ms := range markers {
		for _, q := range ms {
			if in(p.X.Norm(q.X), p.Y.Norm(q.Y)) {
				n++
			}
		}
	}
	return n
}

// emptiestCorner is the first corner (in the order TopRight, BottomLeft,
// TopLeft, BottomRight) whose legend box no curve or marker enters, or
// Outside when there is none.
func (l *Layout) emptiestCorner(curves []plotter.XYs, markers [][]plotter.XY) Position {
	for _, pos := range []Position{TopRight, BottomLeft, TopLeft, BottomRight} {
		if l.coverage(pos, curves, markers) == 0 {
			return pos
		}
	}
	return Outside
}

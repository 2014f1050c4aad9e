package main

import (
	"math"
	"path/filepath"

	"github.com/bsum-go/bsum/plots"
	"gonum.org/v1/plot/vg"
)

// line is one curve of a figure: at each x, the median over seeds and the
// range [Lo, Hi] (equal to Med for one seed).
type line struct {
	Name        string
	X           []float64
	Med, Lo, Hi []float64
}

// writeFigure draws lines as dir/base.png (medians, log y) and writes them
// as dir/base.csv (long form series,x,y; with more than one seed also the
// series "<name> (min)" and "<name> (max)"). Non-finite points (a failed
// run) are left out. It returns the paths written.
func writeFigure(dir, base, title, xLabel, yLabel string, lines []line, seeds int) ([]string, error) {
	pngFig := plots.Figure{Title: title, XLabel: xLabel, YLabel: yLabel, LogY: true}
	csvFig := plots.Figure{Title: title, XLabel: xLabel, YLabel: yLabel, LogY: true}
	for _, l := range lines {
		med := finiteSeries(l.Name, l.X, l.Med)
		pngFig.Series = append(pngFig.Series, med)
		csvFig.Series = append(csvFig.Series, med)
		if seeds > 1 {
			csvFig.Series = append(csvFig.Series, finiteSeries(l.Name+" (min)", l.X, l.Lo), finiteSeries(l.Name+" (max)", l.X, l.Hi))
		}
	}
	png, csv := filepath.Join(dir, base+".png"), filepath.Join(dir, base+".csv")
	if _, err := pngFig.Save(png, plots.Options{Width: 7 * vg.Inch, Height: 4.5 * vg.Inch}); err != nil {
		return nil, err
	}
	if err := csvFig.SaveCSV(csv); err != nil {
		return nil, err
	}
	return []string{png, csv}, nil
}

func finiteSeries(name string, x, y []float64) plots.Series {
	s := plots.Series{Name: name}
	for i := range y {
		if !math.IsInf(y[i], 0) && !math.IsNaN(y[i]) {
			s.X = append(s.X, x[i])
			s.Y = append(s.Y, y[i])
		}
	}
	return s
}

package plots

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"gonum.org/v1/plot/plotter"
)

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

// WriteCSV writes every point of every series (none skipped, none
// decimated) in long form: a header "series,<x label>,<y label>", then one
// "name,x,y" row per point.
func (f Figure) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	xl := f.XLabel
	if xl == "" {
		xl = f.X.Label()
	}
	if err := cw.Write([]string{"series", xl, f.YLabel}); err != nil {
		return fmt.Errorf("plots: csv header: %w", err)
	}
	for _, s := range f.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("plots: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		for k := range s.X {
			rec := []string{s.Name, strconv.FormatFloat(s.X[k], 'g', -1, 64), strconv.FormatFloat(s.Y[k], 'g', -1, 64)}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("plots: csv row of series %q: %w", s.Name, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("plots: csv: %w", err)
	}
	return nil
}

// SaveCSV writes the series to path (see WriteCSV).
func (f Figure) SaveCSV(path string) (err error) {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	defer func() {
		if cerr := fh.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("plots: %w", cerr)
		}
	}()
	if err := f.WriteCSV(fh); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	return nil
}

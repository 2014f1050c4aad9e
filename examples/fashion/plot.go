package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/bsum-go/bsum/plots"
)

// plotAccuracy draws the test accuracy of every run against training
// seconds (accuracy-seconds.png) and against epochs (accuracy-epochs.png)
// in dir, and returns the files written. The start (epoch 0, near chance)
// is left out of the plots, not of the CSV, so the y axis shows the
// differences between trained runs. It is the example's only contact
// with the plots package.
func plotAccuracy(dir string, rows []runRow) ([]string, error) {
	var bySec, byEpoch []plots.Series
	for _, r := range rows {
		name := fmt.Sprintf("%s seed %d", r.Method, r.Seed)
		s := plots.Series{Name: name}
		e := plots.Series{Name: name}
		for _, p := range r.Points {
			if p.Epoch == 0 && len(r.Points) > 1 {
				continue // the start, near chance, would squash the axis
			}
			s.X, s.Y = append(s.X, p.Train.Seconds()), append(s.Y, p.TestAcc)
			e.X, e.Y = append(e.X, p.Epoch), append(e.Y, p.TestAcc)
		}
		bySec, byEpoch = append(bySec, s), append(byEpoch, e)
	}
	var files []string
	for _, f := range []struct {
		file   string
		x      plots.XAxis
		xlabel string
		series []plots.Series
	}{
		{"accuracy-seconds.png", plots.Seconds, "training time (s), test evaluations excluded", bySec},
		{"accuracy-epochs.png", plots.Iterations, "epoch (samples seen / N)", byEpoch},
	} {
		path := filepath.Join(dir, f.file)
		fig := plots.Figure{Title: "Fashion-MNIST, test accuracy", X: f.x, XLabel: f.xlabel, YLabel: "test accuracy", Series: f.series}
		if _, err := fig.Save(path, plots.Options{}); errors.Is(err, plots.ErrNoData) {
			continue // every run failed before its first epoch: nothing to draw
		} else if err != nil {
			return files, fmt.Errorf("plot: %w", err)
		}
		files = append(files, path)
	}
	return files, nil
}

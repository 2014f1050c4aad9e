package main

import (
	"fmt"
	"path/filepath"

	"github.com/bsum-go/bsum/internal/plotting"
)

// plotAccuracy draws the test accuracy of every run against training
// seconds (accuracy-seconds.png) and against epochs (accuracy-epochs.png)
// in dir, and returns the files written. It is the example's only contact
// with the plotting package.
func plotAccuracy(dir string, rows []runRow) ([]string, error) {
	var bySec, byEpoch []plotting.Series
	for _, r := range rows {
		name := fmt.Sprintf("%s seed %d", r.Method, r.Seed)
		s := plotting.Series{Name: name}
		e := plotting.Series{Name: name}
		for _, p := range r.Points {
			s.X, s.Y = append(s.X, p.Train.Seconds()), append(s.Y, p.TestAcc)
			e.X, e.Y = append(e.X, p.Epoch), append(e.Y, p.TestAcc)
		}
		bySec, byEpoch = append(bySec, s), append(byEpoch, e)
	}
	var files []string
	for _, f := range []struct {
		file, xlabel string
		series       []plotting.Series
	}{
		{"accuracy-seconds.png", "training seconds", bySec},
		{"accuracy-epochs.png", "epoch", byEpoch},
	} {
		path := filepath.Join(dir, f.file)
		fig := plotting.Figure{Title: "Fashion-MNIST, test accuracy", XLabel: f.xlabel, YLabel: "test accuracy", Series: f.series}
		if err := fig.SavePNG(path, 7, 4.5); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

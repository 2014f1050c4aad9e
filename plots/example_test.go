package plots_test

import (
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/bsum-go/bsum/plots"
	"gonum.org/v1/plot/vg"
)

// Two convergence curves, one of which reaches f = 0 (not drawable on a
// log axis), saved as PNG, SVG and PDF.
func ExampleFigure_Save() {
	dir, err := os.MkdirTemp("", "plots-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	lm := plots.Series{Name: "LM"}
	gd := plots.Series{Name: "GD"}
	for k := 1; k <= 300; k++ {
		lm.X = append(lm.X, float64(k))
		lm.Y = append(lm.Y, math.Max(0, 1-float64(k)/250)) // reaches 0 at k = 250
		gd.X = append(gd.X, float64(k))
		gd.Y = append(gd.Y, 1/math.Sqrt(float64(k)))
	}
	fig := plots.Figure{
		Title:  "objective",
		X:      plots.Iterations,
		YLabel: "f",
		LogY:   true,
		Series: []plots.Series{lm, gd},
	}
	for _, name := range []string{"f.png", "f.svg", "f.pdf"} {
		warnings, err := fig.Save(filepath.Join(dir, name), plots.Options{Width: 5 * vg.Inch, Height: 3 * vg.Inch, FontSize: 11})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, warnings)
	}
	_, err = fig.Save(filepath.Join(dir, "f.gif"), plots.Options{})
	fmt.Println(errors.Is(err, plots.ErrFormat))
	// Output:
	// f.png [series "LM": 51 of 300 points not drawn (51 ≤ 0 on a log axis)]
	// f.svg [series "LM": 51 of 300 points not drawn (51 ≤ 0 on a log axis)]
	// f.pdf [series "LM": 51 of 300 points not drawn (51 ≤ 0 on a log axis)]
	// true
}

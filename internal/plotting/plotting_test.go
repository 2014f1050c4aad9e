package plotting

import (
	"bytes"
	"gonum.org/v1/plot/plotter"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSavePNGAndCSV(t *testing.T) {
	f := Figure{Title: "t", XLabel: "iteration", YLabel: "nmse", LogY: true, Series: []Series{
		{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 0.5, 0.25}},
		{Name: "b", X: []float64{1, 2}, Y: []float64{0, 2}}, // 0 dropped on log scale
	}}
	path := filepath.Join(t.TempDir(), "c.png")
	require.NoError(t, f.SavePNG(path, 4, 3))
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	img, err := png.Decode(fh)
	require.NoError(t, err)
	assert.Equal(t, 4*96, img.Bounds().Dx())
	var buf bytes.Buffer
	require.NoError(t, f.WriteCSV(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Equal(t, "series,iteration,nmse", lines[0])
	assert.Len(t, lines, 6)
	assert.Equal(t, "a,3,0.25", lines[3])
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

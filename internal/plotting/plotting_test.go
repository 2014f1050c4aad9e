package plotting

import (
	"bytes"
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

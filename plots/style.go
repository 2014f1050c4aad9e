package plots

import (
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Style is how one series is drawn.
type Style struct {
	Color color.RGBA
	// Dashes is the dash pattern of the line (nil: solid).
	Dashes []vg.Length
	// Marker is the shape of the markers on the line.
	Marker draw.GlyphDrawer
}

// The style cycles: series i takes palette[i mod 10], dashes[i mod 5] and
// markers[i mod 8], so any two of the first 10 series differ in colour and
// the pair (dashes, marker) repeats only every 40 series.
var (
	palette = []color.RGBA{
		{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, {R: 0xff, G: 0x7f, B: 0x0e, A: 255},
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 255}, {R: 0xd6, G: 0x27, B: 0x28, A: 255},
		{R: 0x94, G: 0x67, B: 0xbd, A: 255}, {R: 0x8c, G: 0x56, B: 0x4b, A: 255},
		{R: 0xe3, G: 0x77, B: 0xc2, A: 255}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 255},
		{R: 0xbc, G: 0xbd, B: 0x22, A: 255}, {R: 0x17, G: 0xbe, B: 0xcf, A: 255},
	}
	dashes = [][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(1.5), vg.Points(2)},
		{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
		{vg.Points(10), vg.Points(3)},
	}
	markers = []draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
		draw.RingGlyph{}, draw.BoxGlyph{}, draw.PlusGlyph{}, draw.PyramidGlyph{},
	}
)

// StyleOf is the style of the i-th series (i ≥ 0): colour, dash pattern
// and marker each cycle with i, independently of the data.
func StyleOf(i int) Style {
	if i < 0 {
		i = -i
	}
	return Style{Color: palette[i%len(palette)], Dashes: dashes[i%len(dashes)], Marker: markers[i%len(markers)]}
}

// Line is the line style of s.
func (s Style) Line() draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: vg.Points(1.5), Dashes: s.Dashes}
}

// Glyph is the marker style of s.
func (s Style) Glyph() draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.Color, Radius: vg.Points(2.5), Shape: s.Marker}
}

package report

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"
)

// Chart colours; exported through ChartColors for tests and readers of the
// image who want to pick the bars out.
var (
	colBackground = color.RGBA{255, 255, 255, 255}
	colAxis       = color.RGBA{40, 40, 40, 255}
	colGrid       = color.RGBA{225, 225, 225, 255}
	colBar        = color.RGBA{46, 110, 190, 255}
	colTarget     = color.RGBA{200, 40, 40, 255}
	colText       = color.RGBA{20, 20, 20, 255}
)

// ChartColors returns the bar and target-line colours of WritePNG's chart.
func ChartColors() (bar, target color.RGBA) { return colBar, colTarget }

// Chart geometry, in pixels.
const (
	chartHeight = 360
	plotTop     = 40
	plotBottom  = 310 // y of the axis
	plotLeft    = 50
	barWidth    = 80
	barGap      = 60
	glyphScale  = 3
)

// BarRect returns where WritePNG draws the bar of the i-th of n cases, for a
// ratio whose axis runs to top: the rectangle's height is proportional to
// the ratio.
func BarRect(i int, ratio, top float64) image.Rectangle {
	x0 := plotLeft + barGap/2 + i*(barWidth+barGap)
	h := int(math.Round(ratio / top * float64(plotBottom-plotTop)))
	return image.Rect(x0, plotBottom-h, x0+barWidth, plotBottom)
}

// AxisTop is the ratio at the top of the chart: the largest ratio or the
// target, rounded up to a whole number with some headroom.
func AxisTop(ratios []float64) float64 {
	top := TargetRatio
	for _, r := range ratios {
		top = max(top, r)
	}
	return math.Ceil(top * 1.1)
}

// WritePNG draws a bar chart of the twine / trustpub ratio per case (cases
// without a ratio get no bar), with a grid line per whole ratio, the 5×
// target as a red line over the cases it applies to ((a) and (b), not the
// big case), and each bar labelled with its case and value.
func (r *Report) WritePNG(path string) error {
	n := len(r.Cases)
	width := plotLeft + n*(barWidth+barGap) + 20
	img := image.NewRGBA(image.Rect(0, 0, width, chartHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(colBackground), image.Point{}, draw.Src)
	ratios := make([]float64, n)
	for i := range r.Cases {
		ratios[i] = r.Cases[i].Ratio
	}
	top := AxisTop(ratios)
	y := func(v float64) int { return plotBottom - int(math.Round(v/top*float64(plotBottom-plotTop))) }
	step := max(1.0, math.Ceil(top/10))
	for v := step; v <= top; v += step {
		fill(img, image.Rect(plotLeft, y(v), width-10, y(v)+1), colGrid)
		text(img, plotLeft-8-textWidth(strconv.Itoa(int(v))), y(v)-2*glyphScale, strconv.Itoa(int(v)), colText)
	}
	for i, c := range r.Cases {
		label := "(" + c.ID + ")"
		x0 := BarRect(i, 0, top).Min.X
		text(img, x0+(barWidth-textWidth(label))/2, plotBottom+12, label, colText)
		if c.Ratio <= 0 {
			continue
		}
		bar := BarRect(i, c.Ratio, top)
		fill(img, bar, colBar)
		v := fmt.Sprintf("%.1fx", c.Ratio)
		text(img, x0+(barWidth-textWidth(v))/2, bar.Min.Y-6*glyphScale-4, v, colText)
	}
	// The dashed target line spans the cases whose target is the ratio, not
	// the big case, whose target is a share of the hashing ceiling.
	end := plotLeft
	for i, c := range r.Cases {
		if !c.Big {
			end = BarRect(i, 0, top).Max.X + barGap/2
		}
	}
	if end > plotLeft {
		ty := y(TargetRatio)
		for x := plotLeft; x < end; x += 12 {
			fill(img, image.Rect(x, ty-1, min(x+8, end), ty+1), colTarget)
		}
		// The legend goes under the title, at the right, clear of the bars'
		// value labels.
		tl := fmt.Sprintf("target %gx", TargetRatio)
		lx, ly := width-10-textWidth(tl), 10+5*glyphScale+8
		text(img, lx, ly, tl, colTarget)
		fill(img, image.Rect(lx-26, ly+2*glyphScale, lx-18, ly+2*glyphScale+2), colTarget)
		fill(img, image.Rect(lx-14, ly+2*glyphScale, lx-6, ly+2*glyphScale+2), colTarget)
	}
	text(img, plotLeft+4, 10, "twine / trustpub (x faster)", colText)
	fill(img, image.Rect(plotLeft, plotTop-10, plotLeft+1, plotBottom+1), colAxis)
	fill(img, image.Rect(plotLeft, plotBottom, width-10, plotBottom+1), colAxis)

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the chart (-png): %w", err)
	}
	bw := bufio.NewWriter(f)
	if err := png.Encode(bw, img); err != nil {
		f.Close()
		return fmt.Errorf("encoding the chart: %w", err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing the chart (-png): %w", err)
	}
	return f.Close()
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// font is a 3×5 bitmap font with just the characters the chart writes.
var font = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."}, '/': {"..#", "..#", ".#.", "#..", "#.."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	'a': {"...", ".##", "#.#", "#.#", ".##"}, 'b': {"#..", "##.", "#.#", "#.#", "##."},
	'c': {"...", ".##", "#..", "#..", ".##"}, 'e': {"...", ".#.", "###", "#..", ".##"},
	'f': {".##", "#..", "##.", "#..", "#.."}, 'g': {".##", "#.#", ".##", "..#", "##."},
	'i': {".#.", "...", ".#.", ".#.", ".#."},
	'n': {"...", "##.", "#.#", "#.#", "#.#"}, 'p': {"...", "##.", "#.#", "##.", "#.."},
	'r': {"...", "#.#", "##.", "#..", "#.."}, 's': {"...", ".##", ".#.", "..#", "##."},
	't': {".#.", "###", ".#.", ".#.", ".##"}, 'u': {"...", "#.#", "#.#", "#.#", ".##"},
	'w': {"...", "#.#", "#.#", "###", "#.#"}, 'x': {"...", "#.#", ".#.", "#.#", "..."},
	' ': {"...", "...", "...", "...", "..."},
}

func textWidth(s string) int { return len([]rune(s)) * 4 * glyphScale }

// text draws s with its top-left corner at (x, y); unknown runes are blank.
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		g := font[r]
		for row, line := range g {
			for col, px := range line {
				if px == '#' {
					fill(img, image.Rect(x+col*glyphScale, y+row*glyphScale, x+(col+1)*glyphScale, y+(row+1)*glyphScale), c)
				}
			}
		}
		x += 4 * glyphScale
	}
}

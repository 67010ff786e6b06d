// Package plot draws mcflow's PNG figures with gonum/plot.
package plot

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one curve of a panel: points with error bars, or a line
// (an exact reference) when Line is set.
type Series struct {
	Label string
	X, Y  []float64
	Err   []float64 // nil for none
	Line  bool
}

// Panel is one quantity against the scanned parameter.
type Panel struct {
	Title, XLabel string
	Series        []Series
}

// Grid writes the panels as a grid of cols columns into a PNG file.
func Grid(path string, panels []Panel, cols int) error {
	if len(panels) == 0 {
		return nil
	}
	rows := (len(panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.Title
		p.X.Label.Text = pn.XLabel
		p.Add(plotter.NewGrid())
		for j, s := range pn.Series {
			pts := make(plotter.XYs, 0, len(s.X))
			errs := make(plotter.YErrors, 0, len(s.X))
			for k := range s.X {
				if math.IsNaN(s.Y[k]) || math.IsInf(s.Y[k], 0) {
					continue
				}
				pts = append(pts, plotter.XY{X: s.X[k], Y: s.Y[k]})
				e := 0.0
				if s.Err != nil && !math.IsNaN(s.Err[k]) {
					e = s.Err[k]
				}
				errs = append(errs, struct{ Low, High float64 }{e, e})
			}
			if len(pts) == 0 {
				continue
			}
			c := plotutil.Color(j)
			if s.Line {
				l, err := plotter.NewLine(pts)
				if err != nil {
					return err
				}
				l.Color = color.Gray{Y: 80}
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
				p.Add(l)
				if s.Label != "" {
					p.Legend.Add(s.Label, l)
				}
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.Color = c
			sc.Shape = draw.CircleGlyph{}
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{pts, errs})
			if err != nil {
				return err
			}
			eb.Color = c
			ln, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			ln.Color = c
			ln.Width = vg.Points(0.5)
			p.Add(ln, sc, eb)
			if s.Label != "" {
				p.Legend.Add(s.Label, sc)
			}
		}
		p.Legend.Top = true
		plots[i/cols][i%cols] = p
	}
	w, h := vg.Length(cols)*3.2*vg.Inch, vg.Length(rows)*2.6*vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for r := range plots {
		for c := range plots[r] {
			if plots[r][c] != nil {
				plots[r][c].Draw(canvases[r][c])
			}
		}
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("plot: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

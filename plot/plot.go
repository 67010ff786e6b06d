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
	Curve bool // a plain coloured line without markers (a loss curve)
}

// Panel is one quantity against the scanned parameter, or a 2D density
// (contours of Z on the grid X × Y, Z[i][j] at (X[j], Y[i])) with sample
// points.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	Contour               *Contour
	Points                [][2]float64
	Box                   *[4]float64 // axis ranges x0, x1, y0, y1
}

// Contour is a density on a grid, drawn as contour lines of Z.
type Contour struct {
	X, Y   []float64
	Z      [][]float64
	Levels []float64
}

type grid struct{ c *Contour }

func (g grid) Dims() (c, r int)   { return len(g.c.X), len(g.c.Y) }
func (g grid) Z(c, r int) float64 { return g.c.Z[r][c] }
func (g grid) X(c int) float64    { return g.c.X[c] }
func (g grid) Y(r int) float64    { return g.c.Y[r] }

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
		p.Y.Label.Text = pn.YLabel
		p.Add(plotter.NewGrid())
		if pn.Contour != nil {
			ct := plotter.NewContour(grid{pn.Contour}, pn.Contour.Levels, nil)
			ct.LineStyles = []draw.LineStyle{{Color: color.RGBA{R: 200, G: 40, B: 40, A: 255}, Width: vg.Points(0.8)}}
			p.Add(ct)
		}
		if len(pn.Points) > 0 {
			pts := make(plotter.XYs, len(pn.Points))
			for k, q := range pn.Points {
				pts[k] = plotter.XY{X: q[0], Y: q[1]}
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.Color = color.NRGBA{R: 30, G: 80, B: 200, A: 110}
			sc.Shape = draw.CircleGlyph{}
			sc.Radius = vg.Points(0.8)
			p.Add(sc)
		}
		if pn.Box != nil {
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.Box[0], pn.Box[1], pn.Box[2], pn.Box[3]
		}
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
			if s.Curve {
				l, err := plotter.NewLine(pts)
				if err != nil {
					return err
				}
				l.Color = c
				p.Add(l)
				if s.Label != "" {
					p.Legend.Add(s.Label, l)
				}
				continue
			}
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

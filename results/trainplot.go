package results

import (
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf/train"
	"github.com/mcflow/mcflow/plot"
)

// TrainPlot draws the loss per epoch against the exact −ln Z (when known)
// and, for a planar target (model.Planar), its contours with samples of
// the flow.
func TrainPlot(path string, tr *train.Trainer, tg model.Target, minusLnZ float64, rng *mc.PCG) error {
	n := len(tr.Losses)
	ep, loss := make([]float64, n), make([]float64, n)
	for i, l := range tr.Losses {
		ep[i], loss[i] = float64(i+1), l
	}
	lp := plot.Panel{Title: "loss (F_q estimate) per epoch", XLabel: "epoch",
		Series: []plot.Series{{Label: "loss", X: ep, Y: loss, Curve: true}}}
	if n > 0 {
		// Zoom on the end of training: the first epochs are far above.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, l := range loss[n/10:] {
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
		if !math.IsNaN(minusLnZ) {
			lp.Series = append(lp.Series, plot.Series{Label: "exact −ln Z", X: []float64{1, float64(n)}, Y: []float64{minusLnZ, minusLnZ}, Line: true})
			lo, hi = math.Min(lo, minusLnZ), math.Max(hi, minusLnZ)
		}
		pad := 0.1*(hi-lo) + 1e-3
		lp.Box = &[4]float64{1, float64(n), lo - pad, hi + pad}
	}
	panels := []plot.Panel{lp}
	if t2, ok := tg.(model.Planar); ok && tg.Dim() == 2 {
		b := t2.PlotBounds()
		const k = 120
		c := &plot.Contour{X: make([]float64, k), Y: make([]float64, k), Z: make([][]float64, k)}
		x := make([]float64, 2)
		for i := range k {
			c.X[i] = b[0] + (b[1]-b[0])*float64(i)/(k-1)
			c.Y[i] = b[2] + (b[3]-b[2])*float64(i)/(k-1)
		}
		for i := range k {
			c.Z[i] = make([]float64, k)
			for j := range k {
				x[0], x[1] = c.X[j], c.Y[i]
				c.Z[i][j] = math.Exp(t2.LogProb(x))
			}
		}
		mx := 0.0
		for _, row := range c.Z {
			for _, v := range row {
				mx = math.Max(mx, v)
			}
		}
		for _, f := range []float64{0.1, 0.5, 0.9} {
			c.Levels = append(c.Levels, f*mx)
		}
		xs, _ := tr.Model.Sample(rng, 2000)
		pts := make([][2]float64, 0, 2000)
		for i := range 2000 {
			pts = append(pts, [2]float64{xs.Data[2*i], xs.Data[2*i+1]})
		}
		panels = append(panels, plot.Panel{Title: tg.Name() + ": target contours, 2000 flow samples", XLabel: "x1", YLabel: "x2",
			Contour: c, Points: pts, Box: &b})
	}
	return plot.Grid(path, panels, len(panels))
}

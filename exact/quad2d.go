package exact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// Moments2D are the normalising constant and the first and second moments
// of a 2D density p(x) = exp(ln p(x))/Z.
type Moments2D struct {
	LnZ    float64
	Mean   [2]float64 // E x₁, E x₂
	Second [3]float64 // E x₁², E x₂², E x₁x₂
}

// Quad2D integrates exp(logp) over the box [x1lo, x1hi] × [x2lo, x2hi] by
// tensor-product Gauss–Legendre quadrature on square panels of side at
// most h (order points per panel and axis), and returns ln Z and the
// moments. The box must hold all but a negligible part of the mass; h must
// resolve the density's finest feature (see the tests for the toy
// densities' convergence).
func Quad2D(logp func(x1, x2 float64) float64, box [4]float64, h float64, order int) (Moments2D, error) {
	if !(box[1] > box[0]) || !(box[3] > box[2]) || !(h > 0) || order < 2 {
		return Moments2D{}, fmt.Errorf("exact: Quad2D over %v with panels of %v and %d points: want a non-empty box, h > 0, order >= 2", box, h, order)
	}
	axis := func(lo, hi float64) (x, w []float64) {
		np := int(math.Ceil((hi - lo) / h))
		side := (hi - lo) / float64(np)
		nx, nw := make([]float64, order), make([]float64, order)
		for p := range np {
			a := lo + float64(p)*side
			quad.Legendre{}.FixedLocations(nx, nw, a, a+side)
			x = append(x, nx...)
			w = append(w, nw...)
		}
		return x, w
	}
	x1, w1 := axis(box[0], box[1])
	x2, w2 := axis(box[2], box[3])
	lp := make([]float64, len(x1)*len(x2))
	shift := math.Inf(-1)
	for i, a := range x1 {
		for j, b := range x2 {
			v := logp(a, b)
			if math.IsNaN(v) {
				return Moments2D{}, fmt.Errorf("exact: Quad2D: ln p(%v, %v) is NaN", a, b)
			}
			lp[i*len(x2)+j] = v
			shift = math.Max(shift, v)
		}
	}
	var z, m1, m2, s11, s22, s12 float64
	for i, a := range x1 {
		for j, b := range x2 {
			p := w1[i] * w2[j] * math.Exp(lp[i*len(x2)+j]-shift)
			z += p
			m1 += p * a
			m2 += p * b
			s11 += p * a * a
			s22 += p * b * b
			s12 += p * a * b
		}
	}
	return Moments2D{
		LnZ:    math.Log(z) + shift,
		Mean:   [2]float64{m1 / z, m2 / z},
		Second: [3]float64{s11 / z, s22 / z, s12 / z},
	}, nil
}

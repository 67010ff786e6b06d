package exact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/mcflow/mcflow/model"
)

// Toy2D returns ln Z and the moments of a 2D toy density. Radial densities
// (ring2d, ring5) are integrated over r, ∫ 2πr p(r) dr, on panels of side
// at most h whose ends include the half-integers, where ring5's nearest
// ring changes and its ln p has a kink; the others by Quad2D on their
// bounding box. h = 0.25 or less resolves all five to 1e-10 (20
// Gauss–Legendre points per panel and axis).
func Toy2D(t *model.Toy2D, h float64) (Moments2D, error) {
	if prof, ok := t.Radial(); ok {
		return radial(prof, t.Bounds()[1], h)
	}
	x := make([]float64, 2)
	return Quad2D(func(a, b float64) float64 {
		x[0], x[1] = a, b
		return t.LogProb(x)
	}, t.Bounds(), h, 20)
}

func radial(prof func(r float64) float64, rmax, h float64) (Moments2D, error) {
	if !(h > 0) {
		return Moments2D{}, fmt.Errorf("exact: radial quadrature with panels of %v: want h > 0", h)
	}
	const order = 20
	x, w := make([]float64, order), make([]float64, order)
	var z, r2 float64
	shift := prof(2) // a value near the maximum, for scaling
	for lo := 0.0; lo < rmax; lo += 0.5 {
		n := int(math.Ceil(0.5 / h))
		side := 0.5 / float64(n)
		for p := range n {
			a := lo + float64(p)*side
			quad.Legendre{}.FixedLocations(x, w, a, a+side)
			for i, r := range x {
				v := w[i] * 2 * math.Pi * r * math.Exp(prof(r)-shift)
				z += v
				r2 += v * r * r
			}
		}
	}
	return Moments2D{LnZ: math.Log(z) + shift, Second: [3]float64{r2 / z / 2, r2 / z / 2, 0}}, nil
}

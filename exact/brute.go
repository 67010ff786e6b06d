package exact

import (
	"fmt"
	"math"
)

// BruteForce returns ln Z/N, E/N and C/N of the L×L periodic Ising model
// with coupling J and field h by enumerating all 2^(L²) states (L <= 5).
func BruteForce(L int, beta, J, h float64) (Thermo, error) {
	if L < 2 || L > 5 {
		return Thermo{}, fmt.Errorf("exact: brute force needs 2 <= L <= 5, got %d", L)
	}
	n := L * L
	// Histogram of (bond sum, magnetisation) over all states.
	type key struct{ b, m int }
	hist := map[key]float64{}
	s := make([]int, n)
	for st := 0; st < 1<<n; st++ {
		for i := range s {
			s[i] = 1 - 2*(st>>i&1)
		}
		b, m := 0, 0
		for y := range L {
			for x := range L {
				v := s[y*L+x]
				b += v * (s[y*L+(x+1)%L] + s[((y+1)%L)*L+x])
				m += v
			}
		}
		hist[key{b, m}]++
	}
	// Shift energies by the minimum for stability.
	emin := math.Inf(1)
	for k := range hist {
		emin = math.Min(emin, -J*float64(k.b)-h*float64(k.m))
	}
	var z, e1, e2 float64
	for k, g := range hist {
		e := -J*float64(k.b) - h*float64(k.m)
		w := g * math.Exp(-beta*(e-emin))
		z += w
		e1 += w * e
		e2 += w * e * e
	}
	e1 /= z
	e2 /= z
	fn := float64(n)
	return Thermo{
		LnZ: (math.Log(z) - beta*emin) / fn,
		E:   e1 / fn,
		C:   beta * beta * (e2 - e1*e1) / fn,
	}, nil
}

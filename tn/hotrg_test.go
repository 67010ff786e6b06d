package tn

import (
	"fmt"
	"math"
	"testing"

	"github.com/mcflow/mcflow/exact"
)

// TestHOTRGExactSmall: one step without truncation contracts the 2×2
// torus exactly (against Kaufman); in 3D, two coarse-grainings along two
// different axes contract tori of 2×2×1, 2×1×2 and 1×2×2 sites (the axis
// of side 1 closes each spin on itself), against enumeration: ln Z, E and
// C per site. (The 2×2×2 torus takes tensors of 16⁶ entries, GBs with
// their derivatives.)
func TestHOTRGExactSmall(t *testing.T) {
	for _, beta := range []float64{0.2, 0.4406868, 0.7} {
		want, _ := exact.Kaufman(2, beta, 1)
		got, err := HOTRG(beta, 1, HOTRGOptions{Dim: 2, Dcut: 16, Steps: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkThermo(t, "2D L=2", beta, got, Thermo(want), 1e-12)
	}
	for _, axes := range [][]int{{0, 1}, {2, 0}, {1, 2}} {
		side := [3]int{1, 1, 1}
		for _, a := range axes {
			side[a] *= 2
		}
		for _, beta := range []float64{0.1, 0.2216546, 0.4} {
			got := hotrg(beta, 1, 3, 16, axes)
			checkThermo(t, fmt.Sprintf("3D %v", side), beta, got, enumerate3D(side, beta), 1e-11)
		}
	}
}

// enumerate3D sums the Ising model on a periodic box of the given sides
// (1 or 2): each site bonded to its + neighbour along every axis, the
// neighbour being itself along an axis of side 1.
func enumerate3D(side [3]int, beta float64) Thermo {
	n := side[0] * side[1] * side[2]
	var z, e1, e2 float64
	for s := range 1 << n {
		spin := func(x, y, w int) float64 {
			i := ((x%side[0])*side[1]+y%side[1])*side[2] + w%side[2]
			return float64(1 - 2*(s>>i&1))
		}
		var e float64
		for x := range side[0] {
			for y := range side[1] {
				for w := range side[2] {
					c := spin(x, y, w)
					e -= c * (spin(x+1, y, w) + spin(x, y+1, w) + spin(x, y, w+1))
				}
			}
		}
		b := math.Exp(-beta * e)
		z, e1, e2 = z+b, e1+b*e, e2+b*e*e
	}
	mean := e1 / z
	N := float64(n)
	return Thermo{LnZ: math.Log(z) / N, E: mean / N, C: beta * beta * (e2/z - mean*mean) / N}
}

func checkThermo(t *testing.T, what string, beta float64, got, want Thermo, tol float64) {
	t.Helper()
	for _, q := range []struct {
		name      string
		got, want float64
	}{{"lnZ/N", got.LnZ, want.LnZ}, {"E/N", got.E, want.E}, {"C/N", got.C, want.C}} {
		if d := math.Abs(q.got - q.want); !(d <= tol*math.Max(1, math.Abs(q.want))) {
			t.Errorf("%s beta=%v: %s %.15g, exact %.15g", what, beta, q.name, q.got, q.want)
		}
	}
}

// TestHOTRGOnsager: 2D HOTRG at Dcut = 16 over 2^30 sites against Onsager
// at β = 0.3, β_c and 0.5, and against TRG at the same Dcut and size:
// ln Z/N within 1e-6 relative everywhere (measured: 1.8e-10, 5.6e-7,
// 1.3e-8), and closer to Onsager than TRG's at every point.
func TestHOTRGOnsager(t *testing.T) {
	betas := []float64{0.3, exact.BetaC, 0.5}
	type pair struct{ h, t Thermo }
	res := parallel(betas, func(b float64) pair {
		h, err := HOTRG(b, 1, HOTRGOptions{Dim: 2, Dcut: 16, Steps: 15})
		if err != nil {
			t.Error(err)
		}
		r, err := TRG(b, 1, TRGOptions{Dcut: 16, Steps: 30})
		if err != nil {
			t.Error(err)
		}
		return pair{h, r}
	})
	for i, beta := range betas {
		on, _ := exact.Onsager(beta, 1)
		h, r := res[i].h, res[i].t
		dh, dt := math.Abs(h.LnZ-on.LnZ)/on.LnZ, math.Abs(r.LnZ-on.LnZ)/on.LnZ
		t.Logf("beta=%.7f: lnZ/N relative error HOTRG %.2e, TRG %.2e; E/N error HOTRG %.2e, TRG %.2e",
			beta, dh, dt, h.E-on.E, r.E-on.E)
		if dh > 1e-6 {
			t.Errorf("beta=%v: HOTRG lnZ/N relative error %.2e > 1e-6", beta, dh)
		}
		if dh >= dt {
			t.Errorf("beta=%v: HOTRG lnZ/N error %.2e not below TRG's %.2e at the same Dcut", beta, dh, dt)
		}
	}
}

// TestHOTRGFiniteDifferences: E and C are the derivatives of HOTRG's own
// truncated ln Z(β), in 2D (Dcut 8) and 3D (Dcut 4): E against a central
// difference (h = 1e-4) to 1e-6 relative, C against a second difference
// to 1e-4.
func TestHOTRGFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		o    HOTRGOptions
		beta float64
	}{{HOTRGOptions{Dim: 2, Dcut: 8, Steps: 10}, 0.42}, {HOTRGOptions{Dim: 2, Dcut: 8, Steps: 10}, 0.46},
		{HOTRGOptions{Dim: 3, Dcut: 4, Steps: 6}, 0.21}, {HOTRGOptions{Dim: 3, Dcut: 4, Steps: 6}, 0.24}} {
		lnZ := func(b float64) float64 {
			r, err := HOTRG(b, 1, c.o)
			if err != nil {
				t.Fatal(err)
			}
			return r.LnZ
		}
		r, err := HOTRG(c.beta, 1, c.o)
		if err != nil {
			t.Fatal(err)
		}
		const h = 1e-4
		fdE := -(lnZ(c.beta+h) - lnZ(c.beta-h)) / (2 * h)
		fdC := c.beta * c.beta * (lnZ(c.beta+h) - 2*r.LnZ + lnZ(c.beta-h)) / (h * h)
		if d := math.Abs(r.E-fdE) / math.Abs(fdE); d > 1e-6 {
			t.Errorf("%dD beta=%v: E by jets %.12f, finite difference %.12f (relative %.2e)", c.o.Dim, c.beta, r.E, fdE, d)
		}
		if d := math.Abs(r.C-fdC) / math.Abs(fdC); d > 1e-4 {
			t.Errorf("%dD beta=%v: C by jets %.10f, finite difference %.10f (relative %.2e)", c.o.Dim, c.beta, r.C, fdC, d)
		}
	}
}

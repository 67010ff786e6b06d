package potts

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
)

// At the q = 3 transition, β_c = ln(1 + √3), the energy per site of the
// infinite lattice is Baxter's −(1 + 1/√q); on the L×L torus it approaches
// it as E(L) = E_c + a·L^(−4/5) (ν = 5/6, (1 − α)/ν = 4/5). A weighted
// least-squares fit over L = 16…64 (Swendsen–Wang) gives E_c within 4σ.
// Long: MCFLOW_LONG=1.
func TestQ3CriticalEnergy(t *testing.T) {
	if !long() {
		t.Skip("long: MCFLOW_LONG=1")
	}
	const q = 3
	beta := math.Log(1 + math.Sqrt(3))
	want := -(1 + 1/math.Sqrt(q))
	var xs, ys, ws []float64
	for _, L := range []int{16, 24, 32, 48, 64} {
		p := Params{L: L, Q: q, Beta: beta, J: 1}
		o := kindtest.Options{Chains: 4, Thermalize: 1000, Draws: 20000, MeasureEvery: 1, Seed: uint64(L)}
		obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewSwendsenWang(p, true, r); return c }, append(names, "clusters"), o)
		s := stats.Summarize(obs["e"])
		se := math.Max(s.Stderr, s.StderrBinning)
		t.Logf("L = %d: e = %.6f ± %.6f", L, s.Mean, se)
		xs, ys, ws = append(xs, math.Pow(float64(L), -0.8)), append(ys, s.Mean), append(ws, 1/(se*se))
	}
	// Weighted linear fit y = c + a x.
	var sw, sx, sy, sxx, sxy float64
	for i := range xs {
		sw += ws[i]
		sx += ws[i] * xs[i]
		sy += ws[i] * ys[i]
		sxx += ws[i] * xs[i] * xs[i]
		sxy += ws[i] * xs[i] * ys[i]
	}
	det := sw*sxx - sx*sx
	c := (sxx*sy - sx*sxy) / det
	sc := math.Sqrt(sxx / det)
	t.Logf("E_c = %.6f ± %.6f, Baxter %.6f", c, sc, want)
	if math.Abs(c-want) > 4*sc {
		t.Errorf("E_c = %.6f ± %.6f, Baxter's −(1 + 1/√3) = %.6f: %.1fσ off", c, sc, want, math.Abs(c-want)/sc)
	}
}

package xy

import (
	"math"
	"os"
	"testing"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
)

var names = []string{"e", "m", "absm", "m2", "upsilon"}

// quad2x2 integrates over the 2×2 torus's angles (θ_0 = 0 by the model's
// rotation symmetry; the periodic trapezoid rule converges exponentially):
// ⟨e⟩, ⟨m2⟩, ⟨upsilon⟩ with the Lattice's measurements, and, with x-bonds
// twisted by δ, ln Z(δ).
func quad2x2(p Params, k int, delta float64) (e, m2, ups, lnZ float64) {
	lat := NewLattice(2, false, nil)
	h := 2 * math.Pi / float64(k)
	var z float64
	var obs []float64
	for a := range k {
		for b := range k {
			for c := range k {
				for i, t := range [4]float64{0, float64(a) * h, float64(b) * h, float64(c) * h} {
					lat.set(i, t)
				}
				// E with twisted x-bonds: bond i → i+x̂ is cos(θ_i − θ_{i+x̂} − δ).
				var en float64
				for i := range 4 {
					x, y := i%2, i/2
					jx, jy := y*2+(x+1)%2, ((y+1)%2)*2+x
					en -= p.J * (math.Cos(lat.Theta[i]-lat.Theta[jx]-delta) + math.Cos(lat.Theta[i]-lat.Theta[jy]))
				}
				w := math.Exp(-p.Beta * en)
				obs = lat.observe(obs[:0], p)
				z += w
				e += w * obs[0]
				m2 += w * obs[3]
				ups += w * obs[4]
			}
		}
	}
	return e / z, m2 / z, ups / z, math.Log(z * h * h * h)
}

// The helicity modulus the observable estimates is the free energy's
// curvature in a twist: Υ = (1/N)(Υ_x + Υ_y)/2 with Υ_x = ∂²F/∂δ², F = −ln Z/β,
// and Υ_x = Υ_y by symmetry. This checks the observable's formula
// independently of the sampler.
func TestUpsilonIsTwistCurvature(t *testing.T) {
	p := Params{L: 2, Beta: 1, J: 1}
	const k, d = 40, 1e-3
	_, _, ups, lz0 := quad2x2(p, k, 0)
	_, _, _, lzp := quad2x2(p, k, d)
	_, _, _, lzm := quad2x2(p, k, -d)
	curv := -(lzp - 2*lz0 + lzm) / (d * d) / p.Beta
	if got := curv / 4; math.Abs(got-ups) > 1e-5 {
		t.Errorf("Υ from the twist's curvature %.8f, ⟨upsilon⟩ %.8f", got, ups)
	}
}

func TestChainsConform(t *testing.T) {
	p := Params{L: 4, Beta: 1.1, J: 1}
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r, DefaultStep, true) }, kindtest.Options{})
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, false, r, 0.7, false) }, kindtest.Options{})
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, kindtest.Options{})
}

// Metropolis (adapted step) and Wolff against quadrature on the 2×2 torus.
func TestQuadrature2x2(t *testing.T) {
	p := Params{L: 2, Beta: 1, J: 1}
	e, m2, ups, _ := quad2x2(p, 40, 0)
	o := kindtest.Options{Chains: 4, Thermalize: 2000, Draws: 50000, MeasureEvery: 1, Seed: 9}
	obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r, DefaultStep, true) }, names, o)
	kindtest.Agree(t, "metropolis e", obs["e"], e, 4)
	kindtest.Agree(t, "metropolis m2", obs["m2"], m2, 4)
	kindtest.Agree(t, "metropolis upsilon", obs["upsilon"], ups, 4)
	obs = kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), o)
	kindtest.Agree(t, "wolff e", obs["e"], e, 4)
	kindtest.Agree(t, "wolff m2", obs["m2"], m2, 4)
	kindtest.Agree(t, "wolff upsilon", obs["upsilon"], ups, 4)
}

// The adapted step reaches acceptance ½ and stays fixed after thermalize.
func TestStepAdapts(t *testing.T) {
	c := NewMetropolis(Params{L: 16, Beta: 1.1199, J: 1}, true, mc.NewStream(1, "", mc.Moves, 0), DefaultStep, true)
	for range 300 {
		c.Step()
	}
	c.EndThermalize()
	step := c.StepSize()
	c.Observe(nil)
	for range 200 {
		c.Step()
	}
	if a := c.AcceptRate(); math.Abs(a-0.5) > 0.03 || c.StepSize() != step {
		t.Errorf("acceptance %.3f with step %.3f (frozen at %.3f), want 0.5 and a frozen step", a, c.StepSize(), step)
	}
}

// At the BKT point (β = 1.1199, Hasenbusch 2005) the helicity modulus
// decreases with L and stays above the universal jump 2T/π: Υ(8) > Υ(16) >
// Υ(32) > 2T/π, each gap more than 3σ. Long: MCFLOW_LONG=1.
func TestBKTOrdering(t *testing.T) {
	if os.Getenv("MCFLOW_LONG") != "1" {
		t.Skip("long: MCFLOW_LONG=1")
	}
	const beta = 1.1199
	prev, prevErr := math.Inf(1), 0.0
	for _, L := range []int{8, 16, 32} {
		p := Params{L: L, Beta: beta, J: 1}
		o := kindtest.Options{Chains: 8, Thermalize: 2000, Draws: 40000, MeasureEvery: 1, Seed: uint64(L)}
		obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), o)
		s := summarize(obs["upsilon"])
		t.Logf("L = %d: Υ = %.5f ± %.5f", L, s[0], s[1])
		if gap := prev - s[0]; !math.IsInf(prev, 1) && gap <= 3*math.Hypot(prevErr, s[1]) {
			t.Errorf("Υ(%d) − Υ(L) = %.5f, not > 3σ", L/2, gap)
		}
		prev, prevErr = s[0], s[1]
	}
	if jump := 2 / (beta * math.Pi); prev-jump <= 3*prevErr {
		t.Errorf("Υ(32) = %.5f ± %.5f, not > 2T/π = %.5f by 3σ", prev, prevErr, jump)
	}
}

func summarize(s [][]float64) [2]float64 {
	e := stats.Summarize(s)
	return [2]float64{e.Mean, math.Max(e.Stderr, e.StderrBinning)}
}

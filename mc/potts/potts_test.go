package potts

import (
	"math"
	"os"
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
)

// enumerate returns the exact ⟨e⟩ and ⟨m2⟩ per site by summing over all
// q^(L²) states with the Lattice's own measurements.
func enumerate(p Params) (e, m2 float64) {
	n := p.L * p.L
	lat := Lattice{L: p.L, Q: p.Q, S: make([]uint8, n), count: make([]int, p.Q)}
	var z, se, sm2 float64
	var obs []float64
	for {
		obs = lat.observe(obs[:0], p)
		w := math.Exp(-p.Beta * obs[0] * float64(n))
		z += w
		se += w * obs[0]
		sm2 += w * obs[3]
		i := 0 // next state, odometer order
		for ; i < n; i++ {
			lat.S[i]++
			if int(lat.S[i]) < p.Q {
				break
			}
			lat.S[i] = 0
		}
		if i == n {
			break
		}
	}
	return se / z, sm2 / z
}

func TestChainsConform(t *testing.T) {
	p := Params{L: 5, Q: 3, Beta: 0.9, J: 1, H: 0.2}
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, kindtest.Options{})
	p.H = 0
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, kindtest.Options{})
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { c, _ := NewSwendsenWang(p, true, r); return c }, kindtest.Options{})
}

var names = []string{"e", "m", "absm", "m2"}

// All three chains against enumeration of the 3⁹ states of the 3×3 torus.
func TestEnumeration(t *testing.T) {
	o := kindtest.Options{Chains: 4, Thermalize: 1000, Draws: 40000, MeasureEvery: 1, Seed: 3}
	p := Params{L: 3, Q: 3, Beta: 0.8, J: 1, H: 0.3}
	e, m2 := enumerate(p)
	obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, names, o)
	kindtest.Agree(t, "metropolis h=0.3 e", obs["e"], e, 4)
	kindtest.Agree(t, "metropolis h=0.3 m2", obs["m2"], m2, 4)

	p.H = 0
	e, m2 = enumerate(p)
	obs = kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, names, o)
	kindtest.Agree(t, "metropolis e", obs["e"], e, 4)
	kindtest.Agree(t, "metropolis m2", obs["m2"], m2, 4)
	obs = kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewSwendsenWang(p, true, r); return c }, append(names, "clusters"), o)
	kindtest.Agree(t, "swendsen-wang e", obs["e"], e, 4)
	kindtest.Agree(t, "swendsen-wang m2", obs["m2"], m2, 4)
	obs = kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), o)
	kindtest.Agree(t, "wolff e", obs["e"], e, 4)
	kindtest.Agree(t, "wolff m2", obs["m2"], m2, 4)
}

// q = 2 is the Ising model at half the coupling: E_Potts/N at β equals
// ½·E_Ising/N at β/2 (Kaufman) − J, and C/N is the same.
func TestQ2IsKaufman(t *testing.T) {
	p := Params{L: 8, Q: 2, Beta: 0.8, J: 1}
	k, err := exact.Kaufman(p.L, p.Beta/2, p.J)
	if err != nil {
		t.Fatal(err)
	}
	o := kindtest.Options{Chains: 4, Thermalize: 500, Draws: 20000, MeasureEvery: 1, Seed: 5}
	for _, c := range []struct {
		name string
		new  func(*mc.PCG) mc.Chain
		obs  []string
	}{
		{"swendsen-wang", func(r *mc.PCG) mc.Chain { c, _ := NewSwendsenWang(p, true, r); return c }, append(names, "clusters")},
		{"metropolis", func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, names},
	} {
		obs := kindtest.Sample(t, c.new, c.obs, o)
		kindtest.Agree(t, c.name+" e", obs["e"], k.E/2-p.J, 4)
		kindtest.AgreeValue(t, c.name+" C", ising.DerivedSites(p.L*p.L, p.Beta, obs)["C"], k.C, 4)
	}
}

func TestCorruptState(t *testing.T) {
	p := Params{L: 4, Q: 3, Beta: 1, J: 1}
	c := NewMetropolis(p, true, mc.NewPCG(1, 2))
	b, _ := c.MarshalBinary()
	b[len(magic)+9] = 7 // a state >= q
	if err := c.UnmarshalBinary(b); err == nil {
		t.Error("a state >= q accepted")
	}
}

func long() bool { return os.Getenv("MCFLOW_LONG") == "1" }

// The h = 0 sweep makes the general sweep's decisions.
func TestNoFieldSweepIsGeneral(t *testing.T) {
	for _, q := range []int{2, 3, 7} {
		p := Params{L: 5 + q, Q: q, Beta: 1.1, J: 1} // L = 7, 8, 12
		a := NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(q)))
		b := NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(q)))
		for i := range 50 {
			a.stepNoField()
			b.stepField()
			if string(a.Lat.S) != string(b.Lat.S) || *a.rng != *b.rng {
				t.Fatalf("q = %d, sweep %d: the sweeps differ", q, i)
			}
		}
	}
}

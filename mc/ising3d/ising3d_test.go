package ising3d

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/lattice"
	"github.com/mcflow/mcflow/mc/multispin"
)

// bruteForce returns ⟨e⟩, ⟨|m|⟩ and ⟨m2⟩ per site over all 2^(L³)
// states, visited in Gray-code order (one spin flips per state).
func bruteForce(p Params) (e, absm, m2 float64) {
	n := p.L * p.L * p.L
	lat := NewLattice(p.L, false, nil)
	bonds, mag := lat.Sums()
	var z, se, sa, sm float64
	nf := float64(n)
	// Boltzmann weights relative to the ground state, for stability.
	e0 := -p.J*float64(bonds) - p.H*float64(mag)
	for k := uint64(0); ; k++ {
		en := -p.J*float64(bonds) - p.H*float64(mag)
		w := math.Exp(-p.Beta * (en - e0))
		m := float64(mag) / nf
		z += w
		se += w * en / nf
		sa += w * math.Abs(m)
		sm += w * m * m
		if k+1 == 1<<uint(n) {
			break
		}
		i := 0 // the Gray code's next flip: the lowest set bit of k+1
		for (k+1)>>uint(i)&1 == 0 {
			i++
		}
		s := int64(lat.Spin[i])
		var nb int64
		for _, j := range lattice.NewTorus(p.L, 3).Neighbours(i) {
			nb += int64(lat.Spin[j])
		}
		bonds -= 2 * s * nb
		mag -= 2 * s
		lat.Spin[i] = -lat.Spin[i]
	}
	return se / z, sa / z, sm / z
}

var names = []string{"e", "m", "absm", "m2"}

func TestChainsConform(t *testing.T) {
	p := Params{L: 3, Beta: 0.25, J: 1, H: 0.1}
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, kindtest.Options{})
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { return NewMultispin(p, true, r) }, kindtest.Options{Chains: 2})
	p.H = 0
	kindtest.Chain(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, kindtest.Options{})
}

// multispinNames names the 64 replicas' observables.
func multispinNames() []string {
	var out []string
	for r := range Replicas {
		for _, n := range names {
			out = append(out, fmt.Sprintf("%s/%d", n, r))
		}
	}
	return out
}

// replicas regroups a multispin sample by observable, a replica a chain.
func replicas(obs map[string][][]float64) map[string][][]float64 {
	out := map[string][][]float64{}
	for _, n := range names {
		for r := range Replicas {
			out[n] = append(out[n], obs[fmt.Sprintf("%s/%d", n, r)]...)
		}
	}
	return out
}

func checkExact(t *testing.T, p Params, o kindtest.Options) {
	e, absm, m2 := bruteForce(p)
	obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMetropolis(p, true, r) }, names, o)
	kindtest.Agree(t, "metropolis e", obs["e"], e, 4)
	kindtest.Agree(t, "metropolis absm", obs["absm"], absm, 4)
	kindtest.Agree(t, "metropolis m2", obs["m2"], m2, 4)
	mo := o
	mo.Chains, mo.Draws = 1, o.Draws/8
	obs = replicas(kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMultispin(p, true, r) }, multispinNames(), mo))
	kindtest.Agree(t, "multispin e", obs["e"], e, 4)
	kindtest.Agree(t, "multispin m2", obs["m2"], m2, 4)
	if p.H == 0 {
		obs = kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), o)
		kindtest.Agree(t, "wolff e", obs["e"], e, 4)
		kindtest.Agree(t, "wolff m2", obs["m2"], m2, 4)
	}
}

// The 2×2×2 torus (256 states) by brute force, at h = 0 and in a field.
func TestBruteForce2(t *testing.T) {
	o := kindtest.Options{Chains: 4, Thermalize: 500, Draws: 40000, MeasureEvery: 1, Seed: 4}
	checkExact(t, Params{L: 2, Beta: 0.3, J: 1}, o)
	checkExact(t, Params{L: 2, Beta: 0.2, J: 1, H: 0.3}, o)
}

// The 3×3×3 torus (2²⁷ states). Long: MCFLOW_LONG=1.
func TestBruteForce3(t *testing.T) {
	if os.Getenv("MCFLOW_LONG") != "1" {
		t.Skip("long: MCFLOW_LONG=1")
	}
	checkExact(t, Params{L: 3, Beta: 0.2, J: 1}, kindtest.Options{Chains: 4, Thermalize: 500, Draws: 40000, MeasureEvery: 1, Seed: 6})
}

// At β_c = 0.221654626 the Binder cumulant U4 = 1 − ⟨m⁴⟩/(3⟨m²⟩²) is
// within 0.01 of its universal value 0.4655 at L = 24 and 32 (Wolff).
// At L = 16 the corrections to scaling are about 0.01 themselves: U4 =
// 0.4731(10), 0.4750(10), 0.4768(10) for three seeds, and 0.4732(10) with
// the multispin engine, so L = 16 is not a test of the samplers.
// Long: MCFLOW_LONG=1.
func TestBinderAtCriticality(t *testing.T) {
	if os.Getenv("MCFLOW_LONG") != "1" {
		t.Skip("long: MCFLOW_LONG=1")
	}
	const betaC = 0.221654626
	for _, L := range []int{24, 32} {
		p := Params{L: L, Beta: betaC, J: 1}
		o := kindtest.Options{Chains: 8, Thermalize: 2000, Draws: 20000, MeasureEvery: 10, Seed: uint64(L)}
		obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), o)
		u4 := ising.DerivedSites(L*L*L, betaC, obs)["U4"]
		t.Logf("L = %d: U4 = %.4f ± %.4f", L, u4.Value, u4.Stderr)
		if math.Abs(u4.Value-0.4655) > 0.01 {
			t.Errorf("L = %d: U4 = %.4f ± %.4f, want 0.4655 ± 0.01", L, u4.Value, u4.Stderr)
		}
	}
}

// The ferromagnetic multispin sweep makes the general sweep's decisions,
// on a lattice of odd size too.
func TestMultispinFerroIsGeneral(t *testing.T) {
	for _, L := range []int{4, 5} {
		p := Params{L: L, Beta: 0.25, J: 1}
		a := NewMultispin(p, true, mc.NewStream(2, "", mc.Moves, 0))
		b := NewMultispin(p, true, mc.NewStream(2, "", mc.Moves, 0))
		if !a.ferro {
			t.Fatal("h = 0, J > 0 does not take the ferromagnetic sweep")
		}
		b.ferro = false
		for i := range 30 {
			a.Step()
			b.Step()
			if !slices.Equal(a.s, b.s) || a.u.Lanes != b.u.Lanes {
				t.Fatalf("L = %d, sweep %d: the sweeps differ", L, i)
			}
		}
	}
}

// Every vector kernel sweeps bit-identically to the portable one, for
// odd and even sizes, fields and both signs of J.
func TestMultispinKernelsIdentical(t *testing.T) {
	kernels := multispin.Supported()
	if len(kernels) == 1 {
		t.Skip("this machine runs only the portable kernel")
	}
	defer multispin.Use(multispin.Active())
	for i, p := range []Params{{L: 3, Beta: 0.3, J: 1}, {L: 4, Beta: 0.22, J: 1, H: 0.2}, {L: 6, Beta: 0.5, J: -0.6, H: -0.1}, {L: 10, Beta: 0.2216546, J: 1}} {
		var ref []byte
		for _, k := range kernels {
			if _, err := multispin.Use(k); err != nil {
				t.Fatal(err)
			}
			c := NewMultispin(p, true, mc.NewStream(6, "", mc.Moves, uint64(i)))
			for range 15 {
				c.Step()
			}
			b, _ := c.MarshalBinary()
			if ref == nil {
				ref = b
			} else if !bytes.Equal(b, ref) {
				t.Errorf("%+v: kernel %v differs from %v", p, k, kernels[0])
			}
		}
	}
}

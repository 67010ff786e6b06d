package ea_test

import (
	"fmt"
	"testing"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ea"
)

// Both engines keep mcflow's chain invariants (state in their bytes,
// any number of workers, stopped and resumed runs identical).
func TestChains(t *testing.T) {
	for _, dim := range []int{2, 3} {
		lat, err := ea.NewLattice(dim, 4, ea.Draw(1, dim, 4, false, 3))
		if err != nil {
			t.Fatal(err)
		}
		kindtest.Chain(t, func(rng *mc.PCG) mc.Chain { return ea.NewMetropolis(lat, 0.8, true, true, rng) }, kindtest.Options{})
		kindtest.Chain(t, func(rng *mc.PCG) mc.Chain {
			c, err := ea.NewMultispin(lat, 0.8, true, rng)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, kindtest.Options{})
	}
}

// BenchmarkMultispin: 64 replica pairs of a ±J sample at β = 1 (2D L =
// 256, 3D L = 40), spin flips attempted per nanosecond (128 spins a site).
func BenchmarkMultispin(b *testing.B) {
	for _, c := range []struct{ dim, L int }{{2, 256}, {3, 40}} {
		b.Run(fmt.Sprintf("dim=%d/L=%d", c.dim, c.L), func(b *testing.B) {
			lat, err := ea.NewLattice(c.dim, c.L, ea.Draw(1, c.dim, c.L, false, 0))
			if err != nil {
				b.Fatal(err)
			}
			ch, err := ea.NewMultispin(lat, 1, true, mc.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				ch.Step()
			}
			b.ReportMetric(float64(b.N)*2*ea.Replicas*float64(lat.N)/float64(b.Elapsed().Nanoseconds()), "flips/ns")
		})
	}
}

// BenchmarkMetropolis: one pair with the plain engine, for comparison.
func BenchmarkMetropolis(b *testing.B) {
	lat, _ := ea.NewLattice(2, 256, ea.Draw(1, 2, 256, false, 0))
	ch := ea.NewMetropolis(lat, 1, true, true, mc.NewPCG(1, 2))
	for range b.N {
		ch.Step()
	}
	b.ReportMetric(float64(b.N)*2*float64(lat.N)/float64(b.Elapsed().Nanoseconds()), "flips/ns")
}

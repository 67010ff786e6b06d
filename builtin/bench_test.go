package builtin

import (
	"testing"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/ising3d"
	"github.com/mcflow/mcflow/mc/potts"
	"github.com/mcflow/mcflow/mc/xy"
)

// BenchmarkSweep measures the Metropolis sweeps of the lattice models per
// site and per attempted move (sites/ns; 64 per site for multispin), in
// one run, so that `make bench` reports them as ratios to the 2D Ising
// plain engine: ising3d at or above 1, potts at or above ½.
func BenchmarkSweep(b *testing.B) {
	rng := func() *mc.PCG { return mc.NewStream(1, "bench", mc.Moves, 0) }
	cases := []struct {
		name  string
		sites int
		chain mc.Chain
	}{
		{"ising2d/L=256", 256 * 256, ising.NewMetropolis(ising.Params{L: 256, Beta: 0.4406868, J: 1}, true, rng())},
		{"ising3d/L=64", 64 * 64 * 64, ising3d.NewMetropolis(ising3d.Params{L: 64, Beta: 0.221654626, J: 1}, true, rng())},
		{"ising3d-multispin/L=40", 64 * 40 * 40 * 40, ising3d.NewMultispin(ising3d.Params{L: 40, Beta: 0.221654626, J: 1}, true, rng())},
		{"potts-q3/L=256", 256 * 256, potts.NewMetropolis(potts.Params{L: 256, Q: 3, Beta: 1.0050525762, J: 1}, true, rng())},
		{"xy/L=256", 256 * 256, xy.NewMetropolis(xy.Params{L: 256, Beta: 1.1199, J: 1}, true, rng(), 1, false)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.chain.Step()
			b.ResetTimer()
			for b.Loop() {
				c.chain.Step()
			}
			b.ReportMetric(float64(c.sites)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "sites/ns")
		})
	}
}

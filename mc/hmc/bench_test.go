package hmc

import (
	"testing"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
)

// BenchmarkHMCPhi4Leapfrog is the workload of torch_ref.py hmc_phi4: φ⁴
// on L = 64 (m² = −1, λ = 1), 16 chains, trajectories of 10 leapfrog
// steps of 0.05 (hand-written gradient); reported per leapfrog step of
// all 16 chains, trajectory overhead (momenta, Metropolis test) included.
func BenchmarkHMCPhi4Leapfrog(b *testing.B) {
	const L, chains, steps = 64, 16, 10
	tg, _ := model.NewPhi4(L, -1, 1)
	hs := make([]*HMC, chains)
	for c := range hs {
		rng := mc.NewStream(0, "", mc.Moves, uint64(0), uint64(c))
		x0 := make([]float64, L*L)
		for i := range x0 {
			x0[i] = 0.1 * (float64(rng.Uint64()>>11)/(1<<53) - 0.5)
		}
		h, err := New(tg, x0, Options{Eps: 0.05, Steps: steps}, rng)
		if err != nil {
			b.Fatal(err)
		}
		hs[c] = h
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, h := range hs {
			h.Step()
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/steps, "s/leapfrog")
}

// BenchmarkNUTSOverhead is the cost of a leapfrog step inside NUTS's tree
// (U-turn checks, multinomial sampling, copies of phase points) beside
// HMC's (momenta and the Metropolis test spread over 10 steps): one chain
// on φ⁴ L = 16 (m² = −4, λ = 8), ε = 0.1, unit metric, from a state after
// 200 HMC trajectories; reported per leapfrog step.
func BenchmarkNUTSOverhead(b *testing.B) {
	const L = 16
	tg, _ := model.NewPhi4(L, -4, 8)
	warm, err := New(tg, make([]float64, L*L), Options{Eps: 0.1, Steps: 10}, mc.NewStream(0, "", mc.Moves, 0))
	if err != nil {
		b.Fatal(err)
	}
	for range 200 {
		warm.Step()
	}
	for _, c := range []struct {
		name string
		o    Options
	}{{"hmc", Options{Eps: 0.1, Steps: 10}}, {"nuts", Options{Eps: 0.1, NUTS: true}}} {
		b.Run(c.name, func(b *testing.B) {
			h, err := New(tg, warm.Position(), c.o, mc.NewStream(1, "", mc.Moves, 0))
			if err != nil {
				b.Fatal(err)
			}
			h.AppendSeries(nil)
			b.ReportAllocs()
			steps := 0
			for b.Loop() {
				h.Step()
				steps += h.leapfrogs
				h.leapfrogs = 0
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(steps), "s/leapfrog")
		})
	}
}

package model

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPhi4Leapfrog is the workload of torch_ref.py hmc_phi4: φ⁴ on
// L = 64 (m² = −1, λ = 1), 16 chains, leapfrog steps of 0.05 with the
// hand-written gradient; reported per leapfrog step of all 16 chains
// (one gradient and the position and momentum updates).
func BenchmarkPhi4Leapfrog(b *testing.B) {
	const L, chains, eps = 64, 16, 0.05
	p, _ := NewPhi4(L, -1, 1)
	rng := rand.New(rand.NewPCG(0, 0))
	n := L * L
	q := make([][]float64, chains)
	mom := make([][]float64, chains)
	g := make([]float64, n)
	for c := range chains {
		q[c], mom[c] = make([]float64, n), make([]float64, n)
		for i := range n {
			q[c][i] = 0.1 * rng.NormFloat64()
			mom[c][i] = rng.NormFloat64()
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for c := range chains {
			qc, pc := q[c], mom[c]
			for i := range qc {
				qc[i] += eps * pc[i]
			}
			p.GradLogProb(g, qc)
			for i, gi := range g {
				pc[i] += eps * gi
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/leapfrog")
}

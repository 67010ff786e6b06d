package nf

import (
	"testing"
	"time"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
)

// BenchmarkCNFTrainStep is one reverse-KL gradient of the cnf flow at its
// default architecture (20 features, 49 frequencies, 21 time-basis
// functions, 50 RK4 steps) on a shard of 16 configurations at L = 12, on
// one goroutine: forward, and the adjoint that recomputes each step.
func BenchmarkCNFTrainStep(b *testing.B) {
	for _, L := range []int{12, 32} {
		b.Run(map[int]string{12: "L=12", 32: "L=32"}[L], func(b *testing.B) {
			f := benchCNF(b, L)
			z := ad.NewTensor(normals(16*L*L, 3), 16, L*L)
			b.ResetTimer()
			for range b.N {
				x, ld := f.Forward(ad.Const(z))
				y := ad.Add(ad.Sum(ad.Square(x)), ad.Sum(ld))
				ad.MustGrad(y, f.Params())
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/16*1e3, "ms/sample")
		})
	}
}

// BenchmarkCNFProposal is the cost of one flow-MH proposal of the default
// cnf flow at L = 32 (a draw and its ln q: ForwardValues on a batch of 16,
// per configuration, 50 RK4 steps) in units of one HMC trajectory of 10
// leapfrog steps on φ⁴ at the same L (the hand-written gradient), both
// timed in this benchmark on one goroutine.
func BenchmarkCNFProposal(b *testing.B) {
	const L, batch, leapfrogs = 32, 16, 10
	f := benchCNF(b, L)
	z := ad.NewTensor(normals(batch*L*L, 3), batch, L*L)
	p, err := model.NewPhi4(L, -4, 4.572)
	if err != nil {
		b.Fatal(err)
	}
	q, mom, g := normals(L*L, 4), normals(L*L, 5), make([]float64, L*L)
	for i := range q {
		q[i] *= 0.1
	}
	trajectory := func() {
		for range leapfrogs {
			p.GradLogProb(g, q)
			for i, gi := range g {
				mom[i] += 0.05 * gi
			}
			for i := range q {
				q[i] += 0.05 * mom[i]
			}
		}
	}
	const trajectories = 200
	var tProp, tTraj time.Duration
	for b.Loop() {
		t0 := time.Now()
		f.ForwardValues(z)
		t1 := time.Now()
		for range trajectories {
			trajectory()
		}
		tProp += t1.Sub(t0)
		tTraj += time.Since(t1)
	}
	prop := tProp.Seconds() / float64(b.N*batch)
	traj := tTraj.Seconds() / float64(b.N*trajectories)
	b.ReportMetric(prop*1e3, "ms/proposal")
	b.ReportMetric(traj*1e6, "us/trajectory")
	b.ReportMetric(prop/traj, "trajectories/proposal")
}

// benchCNF is the default cnf flow on an L×L lattice with small random
// kernels (W = 0 would make the map the identity).
func benchCNF(b *testing.B, L int) *CNF {
	c := Config{Kind: "cnf"}
	c.Defaults(L*L, L)
	m, err := New(c, mc.NewPCG(1, 1))
	if err != nil {
		b.Fatal(err)
	}
	f := m.Flow.(*CNF)
	rng := mc.NewPCG(2, 2)
	for i := range f.W.Value.Data {
		f.W.Value.Data[i] = 0.01 * mc.Normal(rng)
	}
	return f
}

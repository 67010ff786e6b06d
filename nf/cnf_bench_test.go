package nf

import (
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// BenchmarkCNFTrainStep is one reverse-KL gradient of the cnf flow at its
// default architecture (20 features, 49 frequencies, 21 time-basis
// functions, 50 RK4 steps) on a shard of 16 configurations at L = 12, on
// one goroutine: forward, and the adjoint that recomputes each step.
func BenchmarkCNFTrainStep(b *testing.B) {
	for _, L := range []int{12, 32} {
		b.Run(map[int]string{12: "L=12", 32: "L=32"}[L], func(b *testing.B) {
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

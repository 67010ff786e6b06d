package ad_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/ad/optim"
)

// BenchmarkMLPStep is torch_ref.py mlp_step: batch 1024, 2→32→32→1 tanh
// MLP, loss mean(out²), forward + backward + Adam step.
func BenchmarkMLPStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(0, 0))
	net := ad.NewMLP([]int{2, 32, 32, 1}, ad.Tanh, rng)
	x := ad.Zeros(1024, 2)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	X := ad.Const(x)
	opt := optim.NewAdam(1e-3)
	params := net.Params()
	b.ReportAllocs()
	for b.Loop() {
		loss := ad.Mean(ad.Square(net.Forward(X)))
		g, err := ad.Grad(loss, params)
		if err != nil {
			b.Fatal(err)
		}
		if err := opt.Step(params, g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/step")
}

// BenchmarkOpOverhead is torch_ref.py op_overhead: multiply two 4-element
// tensors, sum, backward.
func BenchmarkOpOverhead(b *testing.B) {
	rng := rand.New(rand.NewPCG(0, 1))
	at, bt := ad.Zeros(4), ad.Zeros(4)
	for i := range 4 {
		at.Data[i], bt.Data[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	a, c := ad.Param(at), ad.Const(bt)
	xs := []*ad.Var{a}
	b.ReportAllocs()
	for b.Loop() {
		y := ad.Sum(ad.Mul(a, c))
		if _, err := ad.Grad(y, xs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "us/op")
}

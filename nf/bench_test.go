package nf

import (
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/model"
)

// BenchmarkMongeAmpereTrainStep is the workload of torch_ref.py ma_flow:
// 2D Ring2D, ln cosh potential with 32 terms, 50 RK4 steps of 0.1, batch
// 1024, reverse KL, Adam lr 1e-2.
func BenchmarkMongeAmpereTrainStep(b *testing.B) {
	tg, _ := model.NewToy2D("ring2d")
	m, err := New(Config{Kind: "monge-ampere", Dim: 2, Potential: "lncosh", Hidden: []int{32}, Steps: 50, Eps: 0.1}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, tg, 1024, 1e-2)
}

// BenchmarkRealNVPPhi4TrainStep is the workload of torch_ref.py realnvp:
// φ⁴ L=8, m² = −4, λ = 8, 8 affine coupling layers with checkerboard masks,
// MLP 64-64 (tanh), batch 256, reverse KL, Adam lr 1e-3.
func BenchmarkRealNVPPhi4TrainStep(b *testing.B) {
	tg, _ := model.NewPhi4(8, -4, 8)
	m, err := New(Config{Kind: "realnvp", Dim: 64, Layers: 8, Hidden: []int{64, 64}, Mask: "checkerboard", L: 8}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, tg, 256, 1e-3)
}

func benchTrain(b *testing.B, m *Model, tg model.Target, batch int, lr float64) {
	tr, err := NewTrainer(m, tg, TrainOptions{Loss: ReverseKL, Batch: batch, LR: lr, Workers: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for range 2 { // warm-up, as torch_ref.py does
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/step")
}

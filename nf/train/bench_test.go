package train

import (
	"testing"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// BenchmarkMongeAmpereTrainStep is the workload of torch_ref.py ma_flow:
// 2D Ring2D, ln cosh potential with 32 terms, 50 RK4 steps of 0.1, batch
// 1024, reverse KL, Adam lr 1e-2.
func BenchmarkMongeAmpereTrainStep(b *testing.B) {
	tg, _ := model.NewToy2D("ring2d")
	m, err := nf.New(nf.Config{Kind: "monge-ampere", Dim: 2, Potential: "lncosh", Hidden: []int{32}, Steps: 50, Eps: 0.1}, mc.NewPCG(0, 0))
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
	m, err := nf.New(nf.Config{Kind: "realnvp", Dim: 64, Layers: 8, Hidden: []int{64, 64}, Mask: "checkerboard", L: 8}, mc.NewPCG(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, tg, 256, 1e-3)
}

func benchTrain(b *testing.B, m *nf.Model, tg model.Target, batch int, lr float64) {
	tr, err := NewTrainer(m, tg, TrainOptions{Loss: ReverseKL, Batch: batch, LR: lr, Workers: 1, Streams: mc.Streams{Seed: 1, Purpose: mc.Train}})
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

// BenchmarkConvPhi4TrainStep is the workload of the lattice tutorial
// (torch_conv.py train): φ⁴ L=8, m² = −4, λ = 8, 16 affine coupling layers
// whose nets are 3×3 periodic convolutions with hidden channels [8, 8]
// (tanh), checkerboard masks, batch 64, reverse KL, Adam lr 1e-3.
func BenchmarkConvPhi4TrainStep(b *testing.B) {
	tg, _ := model.NewPhi4(8, -4, 8)
	m, err := nf.New(nf.Config{Kind: "realnvp", Dim: 64, Layers: 16, Hidden: []int{8, 8}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3}, mc.NewPCG(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, tg, 64, 1e-3)
}

// BenchmarkSplineConvPhi4TrainStep: as BenchmarkConvPhi4TrainStep with
// rational-quadratic spline couplings of 8 bins (23 channels out).
func BenchmarkSplineConvPhi4TrainStep(b *testing.B) {
	tg, _ := model.NewPhi4(8, -4, 8)
	m, err := nf.New(nf.Config{Kind: "realnvp", Dim: 64, Layers: 16, Hidden: []int{8, 8}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 8, Bound: 5}, mc.NewPCG(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, tg, 64, 1e-3)
}

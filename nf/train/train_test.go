package train

import (
	"math"
	"slices"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

func paramsOf(m *nf.Model) []float64 {
	var out []float64
	for _, p := range m.Flow.Params() {
		out = append(out, p.Value.Data...)
	}
	return out
}

func newTrainer(t *testing.T, c nf.Config, tg model.Target, o TrainOptions) *Trainer {
	t.Helper()
	m := mustNew(t, c, 21)
	tr, err := NewTrainer(m, tg, o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Training gives the same parameters for any number of workers, and a run
// resumed from a marshalled state the same as an uninterrupted one.
func TestTrainerDeterminism(t *testing.T) {
	tg, _ := model.NewToy2D("ring2d")
	data := ad.Zeros(500, 2)
	rng := mc.NewPCG(1, 2)
	for i := range data.Data { // N(2, 0.5²): far from the initial flow (≈ N(0, 1)), so the loss must fall
		data.Data[i] = 2 + 0.5*mc.Normal(rng)
	}
	for _, tc := range []struct {
		c nf.Config
		o TrainOptions
	}{
		{nf.Config{Kind: "realnvp", Dim: 2, Layers: 3, Hidden: []int{8}, Mask: "halves", Symmetric: nf.Mixture}, TrainOptions{Loss: ReverseKL, Batch: 300, LR: 1e-2, Streams: mc.Streams{Seed: 5, Purpose: mc.Train}, Epochs: 12, Schedule: "cosine"}},
		{nf.Config{Kind: "monge-ampere", Dim: 2, Potential: "lncosh", Hidden: []int{8}, Steps: 4, Eps: 0.2}, TrainOptions{Loss: ReverseKL, Batch: 300, LR: 1e-2, Streams: mc.Streams{Seed: 5, Purpose: mc.Train}}},
		{nf.Config{Kind: "monge-ampere", Dim: 2, Potential: "mlp", Hidden: []int{4}, Steps: 2, Eps: 0.2, Hutchinson: true}, TrainOptions{Loss: ReverseKL, Batch: 300, LR: 1e-2, Streams: mc.Streams{Seed: 5, Purpose: mc.Train}}},
		{nf.Config{Kind: "realnvp", Dim: 2, Layers: 2, Hidden: []int{8}, Mask: "halves"}, TrainOptions{Loss: ForwardKL, Batch: 300, LR: 1e-2, Streams: mc.Streams{Seed: 5, Purpose: mc.Train}, Data: data}},
	} {
		var ref []float64
		var refLoss []float64
		for _, workers := range []int{1, 2, 3} {
			o := tc.o
			o.Workers = workers
			tr := newTrainer(t, tc.c, tg, o)
			for range 6 {
				if _, err := tr.Step(); err != nil {
					t.Fatal(err)
				}
			}
			if workers == 3 { // interrupt: marshal, continue in a new trainer
				state, err := tr.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				tr = newTrainer(t, tc.c, tg, o)
				if err := tr.UnmarshalBinary(state); err != nil {
					t.Fatal(err)
				}
			}
			for range 6 {
				if _, err := tr.Step(); err != nil {
					t.Fatal(err)
				}
			}
			p := paramsOf(tr.Model)
			if ref == nil {
				ref, refLoss = p, tr.Losses
				continue
			}
			if !slices.Equal(p, ref) || !slices.Equal(tr.Losses, refLoss) {
				t.Errorf("%s %s: parameters or losses differ with %d workers (3: resumed)", tc.c.Kind, tc.o.Loss, workers)
			}
		}
		if !(refLoss[len(refLoss)-1] < refLoss[0]) {
			t.Errorf("%s %s: loss did not decrease: %v", tc.c.Kind, tc.o.Loss, refLoss)
		}
	}
}

// The estimators of Evaluate on weights with a known distribution: for
// q = N(0, 1) and p = N(0, s²) (unnormalised exp(−x²/2s²)), ln Z = ln(s√2π),
// F_q = −ln Z + KL(q‖p) and ESS/N = E[w]²/E[w²] = s√(2 − s²) in closed
// form. (s < √(4/3) keeps E[w⁴] finite, which the error of ESS/N needs.)
func TestEvaluationEstimators(t *testing.T) {
	s := 1.1
	rng := mc.NewPCG(8, 9)
	const n = 200000
	f := make([]float64, n)
	for i := range f {
		x := mc.Normal(rng)
		lq := -0.5*x*x - 0.5*math.Log(2*math.Pi)
		lp := -x * x / (2 * s * s)
		f[i] = lq - lp
	}
	ev, err := evaluation(f)
	if err != nil {
		t.Fatal(err)
	}
	lnZ := math.Log(s * math.Sqrt(2*math.Pi))
	kl := math.Log(s) + 1/(2*s*s) - 0.5
	ess := s * math.Sqrt(2-s*s)
	for _, c := range []struct {
		name      string
		got, want float64
		se        float64
	}{
		{"F_q", ev.Fq.Value, -lnZ + kl, ev.Fq.Stderr},
		{"ln Z", ev.LogZ.Value, lnZ, ev.LogZ.Stderr},
		{"ESS/N", ev.ESSPerSample.Value, ess, ev.ESSPerSample.Stderr},
	} {
		if !(c.se > 0) || math.Abs(c.got-c.want) > 4*c.se {
			t.Errorf("%s = %v ± %v, want %v", c.name, c.got, c.se, c.want)
		}
	}
}

// The learning rate: the cosine schedule from LR to LR/100, and a warmup
// that raises it linearly over its first epochs.
func TestLearningRate(t *testing.T) {
	for _, tc := range []struct {
		o     TrainOptions
		epoch int
		want  float64
	}{
		{TrainOptions{LR: 2, Schedule: "constant"}, 7, 2},
		{TrainOptions{LR: 2, Schedule: "cosine", Epochs: 10}, 0, 2},
		{TrainOptions{LR: 2, Schedule: "cosine", Epochs: 10}, 5, 2 * (0.01 + 0.99*0.5)},
		{TrainOptions{LR: 2, Schedule: "cosine", Epochs: 10}, 10, 0.02},
		{TrainOptions{LR: 2, Schedule: "constant", Warmup: 4}, 0, 0.5},
		{TrainOptions{LR: 2, Schedule: "constant", Warmup: 4}, 3, 2},
		{TrainOptions{LR: 2, Schedule: "cosine", Epochs: 10, Warmup: 4}, 1, 2 * (0.01 + 0.99*0.5*(1+math.Cos(math.Pi/10))) / 2},
	} {
		if got := tc.o.lr(tc.epoch); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%+v at epoch %d: lr %v, want %v", tc.o, tc.epoch, got, tc.want)
		}
	}
}

func mustNew(t *testing.T, c nf.Config, seed uint64) *nf.Model {
	t.Helper()
	m, err := nf.New(c, mc.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

package optim

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/ad"
)

// quadratic returns the gradient of ½Σ a_i p_i² at p.
func quadratic(p *ad.Var) []*ad.Var {
	a := ad.Const(ad.NewTensor([]float64{1, 3, 10}, 3))
	loss := ad.Scale(ad.Sum(ad.Mul(a, ad.Square(p))), 0.5)
	return ad.MustGrad(loss, []*ad.Var{p})
}

func run(t *testing.T, opt Optimizer, want [][]float64) {
	t.Helper()
	p := ad.Param(ad.NewTensor([]float64{1, -2, 0.5}, 3))
	for k, w := range want {
		if err := opt.Step([]*ad.Var{p}, quadratic(p)); err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if d := math.Abs(p.Value.Data[i] - w[i]); d > 1e-12 {
				t.Errorf("step %d, p[%d] = %.17g, want %.17g", k+1, i, p.Value.Data[i], w[i])
			}
		}
	}
}

// TestAdamSequence: the first three steps of Adam(lr=0.1) on ½Σa p².
// Step 1 by hand: m̂ = g, v̂ = g², so p₁ = p₀ − 0.1·g/(|g| + 1e-8), e.g.
// 1 − 0.1/(1 + 1e-8) = 0.900000001; all three steps equal
// torch.optim.Adam's (float64) to the last digits.
func TestAdamSequence(t *testing.T) {
	run(t, NewAdam(0.1), [][]float64{
		{0.900000001, -1.9000000001666666, 0.4000000002},
		{0.8004122297123382, -1.800166485947237, 0.30118742000198795},
		{0.701586274504415, -1.7006233917912488, 0.20487125001697837},
	})
}

// TestSGDMomentum: torch.optim.SGD(lr=0.1, momentum=0.9), by hand:
// b₁ = g₀, p₁ = p₀ − 0.1 g₀ = (0.9, −1.4, 0); b₂ = 0.9 b₁ + g₁ ...
func TestSGDMomentum(t *testing.T) {
	run(t, NewSGD(0.1, 0.9), [][]float64{
		{0.9, -1.4, 0},
		{0.72, -0.44, -0.45},
		{0.486, 0.556, -0.405},
	})
}

// TestMarshalResume: an optimizer restored from its bytes continues
// exactly as the original.
func TestMarshalResume(t *testing.T) {
	for name, mk := range map[string]func() Optimizer{
		"adam": func() Optimizer { return NewAdam(0.05) },
		"sgd":  func() Optimizer { s := NewSGD(0.05, 0.8); s.Nesterov = true; return s },
	} {
		a := mk()
		p := ad.Param(ad.NewTensor([]float64{1, -2, 0.5}, 3))
		for range 3 {
			a.Step([]*ad.Var{p}, quadratic(p))
		}
		state, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		b := mk()
		if err := b.UnmarshalBinary(state); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := ad.Param(p.Value.Clone())
		for range 3 {
			a.Step([]*ad.Var{p}, quadratic(p))
			b.Step([]*ad.Var{q}, quadratic(q))
		}
		for i := range p.Value.Data {
			if p.Value.Data[i] != q.Value.Data[i] {
				t.Errorf("%s: resumed optimizer diverged: %v vs %v", name, q.Value.Data, p.Value.Data)
				break
			}
		}
		if err := b.UnmarshalBinary(state[:len(state)-1]); err == nil {
			t.Errorf("%s: truncated state accepted", name)
		}
	}
}

func TestShapeMismatch(t *testing.T) {
	p := ad.Param(ad.Zeros(3))
	a := NewAdam(0.1)
	if err := a.Step([]*ad.Var{p}, []*ad.Var{ad.Const(ad.Zeros(2))}); err == nil {
		t.Error("gradient of the wrong size accepted")
	}
}

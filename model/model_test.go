package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/ad"
)

func targets(t *testing.T) []Target {
	var ts []Target
	for _, n := range Toy2DNames {
		tt, err := NewToy2D(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tt)
	}
	p, err := NewPhi4(4, -4, 8)
	if err != nil {
		t.Fatal(err)
	}
	p3, _ := NewPhi4(3, 0.5, 0.3)
	r, err := NewIsingRelaxed(4, 0.44)
	if err != nil {
		t.Fatal(err)
	}
	r3, _ := NewIsingRelaxed(3, 0.3)
	return append(ts, p, p3, r, r3)
}

// The hand-written per-point ln p and gradient agree with the batched ad
// program and its reverse-mode gradient.
func TestHandWrittenAgreesWithAD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tg := range targets(t) {
		n := tg.Dim()
		const B = 7
		x := ad.Zeros(B, n)
		for i := range x.Data {
			x.Data[i] = 1.5 * rng.NormFloat64()
		}
		xv := ad.Param(x)
		lp := LogProbVar(tg, xv)
		g := ad.MustGrad(ad.Sum(lp), []*ad.Var{xv})[0]
		grad := make([]float64, n)
		for b := range B {
			row := x.Data[b*n : (b+1)*n]
			l1 := tg.LogProb(row)
			l2 := tg.GradLogProb(grad, row)
			scale := 1 + math.Abs(l1)
			if math.Abs(l1-lp.Value.Data[b]) > 1e-12*scale || l1 != l2 {
				t.Errorf("%s: ln p = %v (GradLogProb %v), ad %v", tg.Name(), l1, l2, lp.Value.Data[b])
			}
			for i := range n {
				want := g.Value.Data[b*n+i]
				if math.Abs(grad[i]-want) > 1e-11*(1+math.Abs(want)) {
					t.Errorf("%s: ∂/∂x%d = %v, ad %v", tg.Name(), i, grad[i], want)
				}
			}
		}
		if err := ad.GradCheck(func(xs []*ad.Var) *ad.Var { return ad.Sum(LogProbVar(tg, xs[0])) }, []*ad.Tensor{x}, 1e-6); err != nil {
			t.Errorf("%s: %v", tg.Name(), err)
		}
	}
}

// φ⁴ action by the definition, term by term, on a 3×3 torus.
func TestPhi4Action(t *testing.T) {
	p, _ := NewPhi4(3, -1.5, 0.7)
	rng := rand.New(rand.NewPCG(3, 4))
	phi := make([]float64, 9)
	for i := range phi {
		phi[i] = rng.NormFloat64()
	}
	at := func(i, j int) float64 { return phi[((i+3)%3)*3+(j+3)%3] }
	var s float64
	for i := range 3 {
		for j := range 3 {
			f := at(i, j)
			s += f*(2*f-at(i+1, j)-at(i-1, j)) + f*(2*f-at(i, j+1)-at(i, j-1)) + p.M2*f*f + p.Lam*f*f*f*f
		}
	}
	if got := p.Action(phi); math.Abs(got-s) > 1e-12 {
		t.Errorf("S = %v, want %v", got, s)
	}
	if got := p.Observe(nil, phi); math.Abs(got[3]-s/9) > 1e-13 {
		t.Errorf("s = %v, want %v", got[3], s/9)
	}
}

// Drawing spins from p(s|x) at a fixed x reproduces tanh(x) as the mean.
func TestIsingRelaxedSpins(t *testing.T) {
	r, _ := NewIsingRelaxed(2, 0.3)
	x := []float64{0.3, -1.2, 0, 2}
	rng := rand.New(rand.NewPCG(5, 6))
	s := make([]int8, 4)
	sum := make([]float64, 4)
	const n = 200000
	for range n {
		r.Spins(s, x, rng.Float64)
		for i, v := range s {
			sum[i] += float64(v)
		}
	}
	for i := range x {
		mean, want := sum[i]/n, math.Tanh(x[i])
		se := math.Sqrt((1 - want*want) / n)
		if math.Abs(mean-want) > 4*se+1e-12 {
			t.Errorf("⟨s_%d⟩ = %v, want tanh x = %v ± %v", i, mean, want, se)
		}
	}
}

// gradOnly hides a target's batched program: what a user who writes only
// ln p and its gradient registers.
type gradOnly struct{ t Target }

func (g gradOnly) Name() string                          { return g.t.Name() }
func (g gradOnly) Dim() int                              { return g.t.Dim() }
func (g gradOnly) LogProb(x []float64) float64           { return g.t.LogProb(x) }
func (g gradOnly) GradLogProb(grad, x []float64) float64 { return g.t.GradLogProb(grad, x) }

// Without a batched program, LogProbVar is one operation with the
// target's values and first derivatives.
func TestLogProbVarFromGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tg := range targets(t) {
		n := tg.Dim()
		x := ad.Zeros(5, n)
		for i := range x.Data {
			x.Data[i] = rng.NormFloat64()
		}
		xa, xb := ad.Param(x), ad.Param(x.Clone())
		a, b := LogProbVar(tg, xa), LogProbVar(gradOnly{tg}, xb)
		ga := ad.MustGrad(ad.Sum(ad.Mul(a, a)), []*ad.Var{xa})[0] // a chain rule through the operation
		gb := ad.MustGrad(ad.Sum(ad.Mul(b, b)), []*ad.Var{xb})[0]
		for i, v := range a.Value.Data {
			if math.Abs(v-b.Value.Data[i]) > 1e-12*(1+math.Abs(v)) {
				t.Errorf("%s: ln p %v, from LogProb %v", tg.Name(), v, b.Value.Data[i])
			}
		}
		for i, v := range ga.Value.Data {
			if math.Abs(v-gb.Value.Data[i]) > 1e-10*(1+math.Abs(v)) {
				t.Errorf("%s: gradient %v, from GradLogProb %v", tg.Name(), v, gb.Value.Data[i])
			}
		}
	}
}

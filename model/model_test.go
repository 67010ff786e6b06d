package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/exact"
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
		lp := tg.LogProbVar(xv)
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
		if err := ad.GradCheck(func(xs []*ad.Var) *ad.Var { return ad.Sum(tg.LogProbVar(xs[0])) }, []*ad.Tensor{x}, 1e-6); err != nil {
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

// ln Z of the Ising relaxation at L = 2 by 4-D Gauss–Hermite quadrature,
// against the closed form from the exact Ising ln Z.
func TestIsingRelaxedLogZ(t *testing.T) {
	for _, beta := range []float64{0.2, 0.4406868} {
		r, err := NewIsingRelaxed(2, beta)
		if err != nil {
			t.Fatal(err)
		}
		N := 4
		// A = K + αI, K = β·adjacency (each 2×2-torus bond doubled).
		A := mat.NewSymDense(N, nil)
		for i := range N {
			A.SetSym(i, i, r.Alpha)
			for j := range N {
				if i != j && (i/2 == j/2 || i%2 == j%2) {
					A.SetSym(i, j, 2*beta)
				}
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(A) {
			t.Fatal("A not positive definite")
		}
		var C mat.TriDense
		ch.LTo(&C)
		// x = √2 C y: ∫ e^{−½xᵀA⁻¹x} Π cosh x dx = 2^{N/2} √det A ∫ e^{−|y|²} Π cosh((√2Cy)_i) dy
		const n = 40
		nodes, w := make([]float64, n), make([]float64, n)
		quad.Hermite{}.FixedLocations(nodes, w, math.Inf(-1), math.Inf(1))
		var sum float64
		y := make([]float64, N)
		var idx [4]int
		for k := 0; k < n*n*n*n; k++ {
			rest := k
			wt := 1.0
			for d := range N {
				idx[d] = rest % n
				rest /= n
				y[d] = nodes[idx[d]]
				wt *= w[idx[d]]
			}
			prod := 1.0
			for i := range N {
				var xi float64
				for j := 0; j <= i; j++ {
					xi += math.Sqrt2 * C.At(i, j) * y[j]
				}
				prod *= math.Cosh(xi)
			}
			sum += wt * prod
		}
		got := math.Log(sum) + float64(N)/2*math.Ln2 + 0.5*math.Log(mat.Det(A))
		th, err := exact.BruteForce(2, beta, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := r.LogZFromIsing(th.LnZ * float64(N))
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("beta=%v: ln Z_x by quadrature %v, closed form %v", beta, got, want)
		}
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

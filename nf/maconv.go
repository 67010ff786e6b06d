package nf

import (
	"math/rand/v2"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// convPotential is the translation-invariant, Z₂-even potential of a
// Monge–Ampère flow on an L×L lattice (potential = "conv"):
//
//	u(φ) = Σ_x Σ_a c_a f_a(φ_x) + Σ_x Σ_{a,b} Σ_r K_ab(r) f_a(φ_x) f_b(φ_{x+r}),   f_a(φ) = ln cosh(w_a φ),
//
// with A features f_a (Hidden[0]) and K a Kernel×Kernel window (the
// single-site term gives u its quadratic part near φ = 0, where the pair
// term is quartic). Its gradient is a convolution, ∇u_x = Σ_a f′_a(φ_x)
// h_a(x) with h = K̃ ⋆ f + c and K̃ = K + K's adjoint, and its Laplacian
// is exact and as cheap,
//
//	∇²u = Σ_x Σ_a [f″_a(φ_x) h_a(x) + f′_a(φ_x) Σ_b K̃_ab(0) f′_b(φ_x)],
//
// so the flow it drives commutes with the lattice's translations and with
// φ → −φ, at the cost of a few convolutions per RK4 stage.
type convPotential struct {
	w *ad.Var // (1, A, 1, 1): the features' scales
	c *ad.Var // (1, A, 1, 1): the single-site weights
	K *ad.Var // (A, A, k, k)
	L int
}

func newConvPotential(c Config, rng *mc.PCG) *convPotential {
	a, k := c.Hidden[0], c.Kernel
	w, K := ad.Zeros(1, a, 1, 1), ad.Zeros(a, a, k, k)
	r := rand.New(rng)
	for i := range w.Data {
		w.Data[i] = 1 + 0.5*r.NormFloat64()
	}
	for i := range K.Data {
		K.Data[i] = 0.01 * r.NormFloat64()
	}
	return &convPotential{w: ad.Param(w), c: ad.Param(ad.Zeros(1, a, 1, 1)), K: ad.Param(K), L: c.L}
}

func (p *convPotential) params() []*ad.Var { return []*ad.Var{p.w, p.c, p.K} }

func (p *convPotential) field(x *ad.Var, _ *mc.PCG) (v, lap *ad.Var) {
	b, L := x.Shape()[0], p.L
	phi := ad.Reshape(x, b, 1, L, L)
	wphi := ad.Mul(phi, p.w) // (b, A, L, L)
	f := ad.LogCosh(wphi)
	th := ad.Tanh(wphi)
	d1 := ad.Mul(th, p.w)                                                // f′
	d2 := ad.Mul(ad.AddScalar(ad.Neg(ad.Square(th)), 1), ad.Square(p.w)) // f″
	kt := ad.Add(p.K, ad.FlipT(p.K))
	h := ad.Add(ad.Conv2D(f, kt), p.c)
	v = ad.Reshape(ad.SumAxis(ad.Mul(d1, h), 1, false), b, L*L)
	c := p.K.Shape()[2] / 2
	k0 := ad.Slice(ad.Slice(kt, 2, c, c+1), 3, c, c+1) // K̃(0): (A, A, 1, 1)
	a := p.w.Shape()[1]
	self := ad.Mul(d1, ad.Conv2D(d1, k0))
	lap = ad.SumAxis(ad.Reshape(ad.Add(ad.Mul(d2, h), self), b, a*L*L), 1, false)
	return v, lap
}

package nf

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// The conv potential's field and Laplacian against ad's gradient and
// second derivatives of u itself, written directly as Σ_x Σ_a f_a·(c_a +
// (K ⋆ f)_a);
// the field is odd in φ and commutes with translations.
func TestConvPotential(t *testing.T) {
	const L, b = 5, 3
	c := Config{Kind: "monge-ampere", Dim: L * L, Potential: "conv", Steps: 2, Eps: 0.1}
	c.Defaults(L*L, L)
	c.Kernel = 3
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := mc.NewPCG(21, 22)
	p := newConvPotential(c, rng)
	for i := range p.K.Value.Data {
		p.K.Value.Data[i] = 0.3 * mc.Normal(rng)
	}
	for i := range p.c.Value.Data {
		p.c.Value.Data[i] = mc.Normal(rng)
	}
	x := randn(rng, 0.8, b, L*L)
	xv := ad.Param(x.Clone())
	f := ad.LogCosh(ad.Mul(ad.Reshape(xv, b, 1, L, L), p.w))
	u := ad.Add(ad.Sum(ad.Mul(f, ad.Conv2D(f, p.K))), ad.Sum(ad.Mul(f, p.c)))
	g := ad.MustGrad(u, []*ad.Var{xv}, ad.CreateGraph())[0]
	lap := make([]float64, b)
	for i := range L * L {
		col := ad.MustGrad(ad.Sum(ad.Slice(g, 1, i, i+1)), []*ad.Var{xv})[0]
		for r := range b {
			lap[r] += col.Value.Data[r*L*L+i]
		}
	}
	v, l := p.field(ad.Const(x), nil)
	for i, want := range g.Value.Data {
		if math.Abs(v.Value.Data[i]-want) > 1e-11 {
			t.Fatalf("∇u[%d] = %v, ad %v", i, v.Value.Data[i], want)
		}
	}
	for r := range b {
		if math.Abs(l.Value.Data[r]-lap[r]) > 1e-10 {
			t.Fatalf("∇²u[%d] = %v, ad %v", r, l.Value.Data[r], lap[r])
		}
	}
	vn, _ := p.field(ad.Const(randNeg(x)), nil)
	shifted := ad.Roll(ad.Roll(ad.Reshape(ad.Const(x), b, L, L), 2, 1), -1, 2)
	vs, _ := p.field(ad.Reshape(shifted, b, L*L), nil)
	vshift := ad.Roll(ad.Roll(ad.Reshape(v, b, L, L), 2, 1), -1, 2).Value.Data
	for i := range v.Value.Data {
		if math.Abs(vn.Value.Data[i]+v.Value.Data[i]) > 1e-12 || math.Abs(vs.Value.Data[i]-vshift[i]) > 1e-12 {
			t.Fatalf("field not odd or not translation-equivariant at %d", i)
		}
	}
}

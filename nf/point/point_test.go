package point

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// randomize perturbs every parameter so that no layer is near the identity.
func randomize(m *nf.Model, rng *mc.PCG, scale float64) {
	for _, p := range m.Flow.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += scale * mc.Normal(rng)
		}
	}
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestPointMatchesAD checks the graph-free evaluator against the ad path
// (the reference): ln q, the forward map and its log-determinant, the
// latent log-density and its gradient, and Sample (same draws, same
// points), for plain, equivariant and mixture RealNVPs with halves and
// checkerboard masks, no, one and two hidden layers.
func TestPointMatchesAD(t *testing.T) {
	for _, c := range []nf.Config{
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{12}, Mask: "checkerboard", L: 4, Symmetric: nf.Equivariant},
		{Kind: "realnvp", Dim: 16, Layers: 3, Hidden: []int{8, 10}, Mask: "halves", Symmetric: nf.NoSymmetry},
		{Kind: "realnvp", Dim: 16, Layers: 2, Hidden: []int{9}, Mask: "checkerboard", L: 4, Symmetric: nf.Mixture},
		{Kind: "realnvp", Dim: 25, Layers: 3, Hidden: []int{3, 4}, Mask: "checkerboard", L: 5, Net: "conv", Kernel: 3, Symmetric: nf.NoSymmetry},
		{Kind: "realnvp", Dim: 36, Layers: 4, Hidden: []int{4}, Mask: "checkerboard", L: 6, Net: "conv", Kernel: 5, Symmetric: nf.Equivariant},
		{Kind: "realnvp", Dim: 16, Layers: 2, Hidden: []int{3}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3, Symmetric: nf.Mixture},
		{Kind: "realnvp", Dim: 25, Layers: 3, Hidden: []int{3}, Mask: "checkerboard", L: 5, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 5, Bound: 2, Symmetric: nf.NoSymmetry},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{3, 2}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 4, Bound: 2.5, Symmetric: nf.Equivariant},
		{Kind: "realnvp", Dim: 16, Layers: 2, Hidden: []int{3}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 3, Bound: 2, Symmetric: nf.Mixture},
	} {
		tg, _ := model.NewPhi4(max(c.L, 4), -4, 4)
		for _, hidden := range [][]int{c.Hidden, nil} {
			name := fmt.Sprintf("%s-%s-%s-%v", c.Net, c.Symmetric, c.Mask, hidden)
			t.Run(name, func(t *testing.T) {
				rng := mc.NewPCG(3, 4)
				m, err := nf.New(c, rng)
				if err != nil {
					t.Fatal(err)
				}
				if hidden == nil { // no hidden layer: a linear net
					for _, net := range m.Flow.(*nf.RealNVP).Nets {
						net.Layers = []*ad.Linear{ad.NewLinear(c.Dim, 2*c.Dim, rand.New(rng))}
					}
					for _, net := range m.Flow.(*nf.RealNVP).Convs {
						net.Layers = []*ad.Conv{ad.NewConv(1, m.Flow.(*nf.RealNVP).Channels(), c.Kernel, rand.New(rng))}
					}
				}
				randomize(m, rng, 0.3)
				p := New(m)
				d := c.Dim
				x, z, gz := make([]float64, d), make([]float64, d), make([]float64, d)
				for trial := range 5 {
					for i := range z {
						z[i] = 1.5 * mc.Normal(rng)
					}
					// ln q at a point
					want := m.LogProb(ad.Const(ad.NewTensor(append([]float64(nil), z...), 1, d))).Item()
					if got := p.LogProb(z); !closeTo(got, want, 1e-12) {
						t.Fatalf("trial %d: ln q = %.15g, ad %.15g", trial, got, want)
					}
					if c.Symmetric == nf.Mixture {
						continue
					}
					// forward and the latent gradient
					zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, d))
					xv, ld := m.Flow.Forward(zv)
					lp := ad.Add(model.LogProbVar(tg, xv), ld)
					g, err := ad.Grad(ad.Sum(lp), []*ad.Var{zv})
					if err != nil {
						t.Fatal(err)
					}
					got := p.LatentGrad(gz, x, z, tg.GradLogProb)
					if !closeTo(got, lp.Item(), 1e-12) {
						t.Fatalf("trial %d: latent ln p = %.15g, ad %.15g", trial, got, lp.Item())
					}
					for i := range gz {
						if !closeTo(x[i], xv.Value.Data[i], 1e-12) || !closeTo(gz[i], g[0].Value.Data[i], 1e-10) {
							t.Fatalf("trial %d, coordinate %d: x %.15g (ad %.15g), gradient %.15g (ad %.15g)",
								trial, i, x[i], xv.Value.Data[i], gz[i], g[0].Value.Data[i])
						}
					}
					if v := p.LatentLogProb(x, z, tg.LogProb); !closeTo(v, got, 1e-13) {
						t.Fatalf("LatentLogProb %.15g, LatentGrad %.15g", v, got)
					}
				}
				// Reload: after the flow changes in place, the packed copy follows
				before := p.LogProb(z)
				randomize(m, rng, 0.05)
				if p.LogProb(z) != before {
					t.Fatal("Point changed without Reload")
				}
				p.Reload()
				want := m.LogProb(ad.Const(ad.NewTensor(append([]float64(nil), z...), 1, d))).Item()
				if got := p.LogProb(z); !closeTo(got, want, 1e-12) {
					t.Fatalf("after Reload: ln q = %.15g, ad %.15g", got, want)
				}
				// Sample: the same draws as Model.Sample
				const n = 7
				wx, wlq := m.Sample(mc.NewPCG(9, 9), n)
				gx, glq := make([]float64, n*d), make([]float64, n)
				p.Sample(mc.NewPCG(9, 9), gx, glq)
				for i := range gx {
					if !closeTo(gx[i], wx.Data[i], 1e-12) {
						t.Fatalf("sample %d: %.15g, ad %.15g", i, gx[i], wx.Data[i])
					}
				}
				for i := range glq {
					if !closeTo(glq[i], wlq[i], 1e-12) {
						t.Fatalf("sample %d: ln q %.15g, ad %.15g", i, glq[i], wlq[i])
					}
				}
			})
		}
	}
}

// TestPointNoAlloc: the per-step calls allocate nothing, with MLP and
// with conv nets, affine and spline.
func TestPointNoAlloc(t *testing.T) {
	tg, _ := model.NewPhi4(8, -4, 4)
	for _, c := range []nf.Config{
		{Kind: "realnvp", Dim: 64, Layers: 4, Hidden: []int{32}, Mask: "checkerboard", L: 8, Symmetric: nf.Equivariant},
		{Kind: "realnvp", Dim: 64, Layers: 4, Hidden: []int{4, 4}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3, Symmetric: nf.Mixture},
		{Kind: "realnvp", Dim: 64, Layers: 2, Hidden: []int{4}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 4, Bound: 3, Symmetric: nf.Equivariant},
	} {
		m, err := nf.New(c, mc.NewPCG(1, 1))
		if err != nil {
			t.Fatal(err)
		}
		p := New(m)
		x, z, g := make([]float64, 64), make([]float64, 64), make([]float64, 64)
		for i := range z {
			z[i] = float64(i%5) - 2
		}
		lq := make([]float64, 4)
		xs := make([]float64, 4*64)
		rng := mc.NewPCG(2, 2)
		if a := testing.AllocsPerRun(20, func() {
			p.LogProb(z)
			p.LatentGrad(g, x, z, tg.GradLogProb)
			p.Sample(rng, xs, lq)
		}); a != 0 {
			t.Fatalf("net %q: %v allocations per call", c.Net, a)
		}
	}
}

package point

import (
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// pointModel is the shape of testdata/flows/phi4-L8-*: φ⁴ L=8, 8
// equivariant coupling layers, one hidden layer of 64.
func pointModel(b *testing.B) (*nf.Model, model.Target) {
	tg, _ := model.NewPhi4(8, -4, 4)
	m, err := nf.New(nf.Config{Kind: "realnvp", Dim: 64, Layers: 8, Hidden: []int{64}, Mask: "checkerboard", L: 8, Symmetric: nf.Equivariant}, mc.NewPCG(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	return m, tg
}

// BenchmarkLogProbPoint: ln q at one point, graph-free (Point) and by the
// ad graph (what flow-MH needs after a local move).
func BenchmarkLogProbPoint(b *testing.B) {
	m, _ := pointModel(b)
	x := make([]float64, 64)
	for i := range x {
		x[i] = float64(i%7)/3 - 1
	}
	b.Run("point", func(b *testing.B) {
		p := New(m)
		for b.Loop() {
			p.LogProb(x)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/point")
	})
	b.Run("ad", func(b *testing.B) {
		for b.Loop() {
			m.LogProb(ad.Const(ad.NewTensor(append([]float64(nil), x...), 1, 64))).Item()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/point")
	})
}

// BenchmarkLatentGradPoint: ln p(g(z)) + ln|det| and its gradient at one
// point (one latent-HMC leapfrog step), graph-free and by ad.
func BenchmarkLatentGradPoint(b *testing.B) {
	m, tg := pointModel(b)
	z, x, g := make([]float64, 64), make([]float64, 64), make([]float64, 64)
	for i := range z {
		z[i] = float64(i%7)/3 - 1
	}
	b.Run("point", func(b *testing.B) {
		p := New(m)
		for b.Loop() {
			p.LatentGrad(g, x, z, tg.GradLogProb)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/point")
	})
	b.Run("ad", func(b *testing.B) {
		for b.Loop() {
			zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, 64))
			xv, ld := m.Flow.Forward(zv)
			if _, err := ad.Grad(ad.Sum(ad.Add(model.LogProbVar(tg, xv), ld)), []*ad.Var{zv}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/point")
	})
}

// BenchmarkSamplePoint: 64 flow draws with ln q (one flow-MH batch).
func BenchmarkSampleBatch(b *testing.B) {
	m, _ := pointModel(b)
	b.Run("point", func(b *testing.B) {
		p := New(m)
		rng := mc.NewPCG(1, 1)
		x, lq := make([]float64, 64*64), make([]float64, 64)
		for b.Loop() {
			p.Sample(rng, x, lq)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6/64, "us/point")
	})
	b.Run("ad", func(b *testing.B) {
		rng := mc.NewPCG(1, 1)
		for b.Loop() {
			m.Sample(rng, 64)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6/64, "us/point")
	})
}

// BenchmarkConvPoint: the tutorial's conv coupling flow (φ⁴ L = 8, 16
// layers, 3×3 convolutions with channels [8, 8], equivariant), affine and
// with splines of 8 bins, at one point, graph-free (Point) and by the ad
// graph: ln q (flow-MH after a local move) and the latent log-density with
// its gradient (latent HMC).
func BenchmarkConvPoint(b *testing.B) {
	tg, _ := model.NewPhi4(8, -4, 8)
	for _, cp := range []string{"affine", "spline"} {
		c := nf.Config{Kind: "realnvp", Dim: 64, Layers: 16, Hidden: []int{8, 8}, Mask: "checkerboard", L: 8, Net: "conv", Kernel: 3, Symmetric: nf.Equivariant}
		if cp == "spline" {
			c.Coupling, c.Bins, c.Bound = "spline", 8, 5
		}
		m, err := nf.New(c, mc.NewPCG(0, 0))
		if err != nil {
			b.Fatal(err)
		}
		z, x, g := make([]float64, 64), make([]float64, 64), make([]float64, 64)
		for i := range z {
			z[i] = float64(i%7)/3 - 1
		}
		p := New(m)
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"logq/point", func() { p.LogProb(z) }},
			{"logq/ad", func() { m.LogProb(ad.Const(ad.NewTensor(append([]float64(nil), z...), 1, 64))).Item() }},
			{"latent/point", func() { p.LatentGrad(g, x, z, tg.GradLogProb) }},
			{"latent/ad", func() {
				zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, 64))
				xv, ld := m.Flow.Forward(zv)
				if _, err := ad.Grad(ad.Sum(ad.Add(model.LogProbVar(tg, xv), ld)), []*ad.Var{zv}); err != nil {
					b.Fatal(err)
				}
			}},
		} {
			b.Run(cp+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					c.f()
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/point")
			})
		}
	}
}

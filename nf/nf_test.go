package nf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/mc"
)

func randn(rng *mc.PCG, s float64, shape ...int) *ad.Tensor {
	t := ad.Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = s * mc.Normal(rng)
	}
	return t
}

// perturb gives every parameter a random value of scale s, so that tests
// do not run at the near-identity initialisation.
func perturb(f Flow, rng *mc.PCG, s float64) {
	for _, p := range f.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += s * mc.Normal(rng)
		}
	}
}

func mustNew(t *testing.T, c Config, seed uint64) *Model {
	t.Helper()
	m, err := New(c, mc.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bruteLogDet returns ln|det ∂x/∂z| of row b by a Jacobian built row by
// row from separate reverse passes on a batch of one.
func bruteLogDet(t *testing.T, f Flow, z []float64) float64 {
	d := len(z)
	zv := ad.Param(ad.NewTensor(append([]float64(nil), z...), 1, d))
	x, _ := f.Forward(zv)
	J := ad.Zeros(d, d)
	for i := range d {
		g := ad.MustGrad(ad.Sum(ad.Slice(x, 1, i, i+1)), []*ad.Var{zv})[0]
		copy(J.Data[i*d:(i+1)*d], g.Value.Data)
	}
	return ad.LogAbsDet(ad.Const(J)).Item()
}

func TestRealNVPExact(t *testing.T) {
	rng := mc.NewPCG(3, 4)
	for _, c := range []Config{
		{Kind: "realnvp", Dim: 2, Layers: 4, Hidden: []int{8, 8}, Mask: "halves"},
		{Kind: "realnvp", Dim: 5, Layers: 3, Hidden: []int{7}, Mask: "halves"},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{12}, Mask: "checkerboard", L: 4},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{12}, Mask: "checkerboard", L: 4, Symmetric: Equivariant},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{4, 4}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3},
		{Kind: "realnvp", Dim: 36, Layers: 2, Hidden: []int{3}, Mask: "checkerboard", L: 6, Net: "conv", Kernel: 5, Symmetric: Equivariant},
		// splines: a bound of 1.5 puts points on both sides of it
		{Kind: "realnvp", Dim: 3, Layers: 3, Hidden: []int{6}, Mask: "halves", Coupling: "spline", Bins: 5, Bound: 1.5},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{5}, Mask: "checkerboard", L: 4, Coupling: "spline", Bins: 4, Bound: 1.5, Symmetric: Equivariant},
		{Kind: "realnvp", Dim: 16, Layers: 3, Hidden: []int{4}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 6, Bound: 2},
		{Kind: "realnvp", Dim: 16, Layers: 4, Hidden: []int{4, 3}, Mask: "checkerboard", L: 4, Net: "conv", Kernel: 3, Coupling: "spline", Bins: 3, Bound: 1.5, Symmetric: Equivariant},
	} {
		m := mustNew(t, c, 1)
		perturb(m.Flow, rng, 0.3)
		const B = 6
		z := randn(rng, 1, B, c.Dim)
		x, ld := m.Flow.Forward(ad.Const(z))
		back, ldi := m.Flow.Inverse(ad.Const(x.Value))
		for i := range z.Data {
			if math.Abs(back.Value.Data[i]-z.Data[i]) > 1e-10 {
				t.Fatalf("%+v: inverse(forward(z)) − z = %v", c, back.Value.Data[i]-z.Data[i])
			}
		}
		for b := range B {
			want := bruteLogDet(t, m.Flow, z.Data[b*c.Dim:(b+1)*c.Dim])
			if math.Abs(ld.Value.Data[b]-want) > 1e-10 || math.Abs(ldi.Value.Data[b]+want) > 1e-10 {
				t.Errorf("%+v: ln|det| = %v (inverse %v), brute force %v", c, ld.Value.Data[b], -ldi.Value.Data[b], want)
			}
		}
		if c.Symmetric == Equivariant {
			xm, _ := m.Flow.Forward(ad.Const(randNeg(z)))
			for i := range xm.Value.Data {
				if math.Abs(xm.Value.Data[i]+x.Value.Data[i]) > 1e-12 {
					t.Fatalf("equivariant flow: g(−z) ≠ −g(z)")
				}
			}
		}
	}
}

func randNeg(z *ad.Tensor) *ad.Tensor {
	n := z.Clone()
	for i := range n.Data {
		n.Data[i] = -n.Data[i]
	}
	return n
}

// Sample's ln q equals LogProb at the samples, for the plain flow and for
// the symmetrised mixture; the mixture's density is even.
func TestModelDensity(t *testing.T) {
	rng := mc.NewPCG(5, 6)
	for _, sym := range []Symmetry{NoSymmetry, Mixture} {
		m := mustNew(t, Config{Kind: "realnvp", Dim: 3, Layers: 4, Hidden: []int{8}, Mask: "halves", Symmetric: sym}, 2)
		perturb(m.Flow, rng, 0.3)
		x, lq := m.Sample(rng, 20)
		lp := m.LogProb(ad.Const(x)).Value.Data
		lpm := m.LogProb(ad.Const(randNeg(x))).Value.Data
		for i := range lq {
			if math.Abs(lq[i]-lp[i]) > 1e-10 {
				t.Errorf("%s: sample ln q %v, LogProb %v", sym, lq[i], lp[i])
			}
			if sym == Mixture && math.Abs(lp[i]-lpm[i]) > 1e-10 {
				t.Errorf("mixture: q(x) %v ≠ q(−x) %v", lp[i], lpm[i])
			}
		}
	}
}

// The fused ln cosh field and RK4 step, with their hand-written vjps (a
// kernel of their own for d = 2), against ad, to second order (the graph
// version is what exact mode differentiates).
func TestLnCoshField(t *testing.T) {
	rng := mc.NewPCG(7, 8)
	for _, d := range []int{2, 3} {
		x := randn(rng, 1, 5, d)
		W := randn(rng, 0.7, 4, d)
		w := randn(rng, 0.7, 4)
		field := func(xs []*ad.Var) *ad.Var {
			p := &lnCoshPotential{W: xs[1], w: xs[2]}
			v, lap := p.field(xs[0], nil)
			return ad.Add(ad.Sum(ad.Sin(v)), ad.Sum(ad.Mul(lap, lap)))
		}
		step := func(xs []*ad.Var) *ad.Var {
			p := &lnCoshPotential{W: xs[1], w: xs[2]}
			xn, dl := p.step(xs[0], 0.3)
			xn, dl2 := p.step(ad.Sin(xn), 0.3)
			return ad.Add(ad.Sum(ad.Sin(xn)), ad.Sum(ad.Mul(dl, dl2)))
		}
		for name, f := range map[string]func([]*ad.Var) *ad.Var{"field": field, "step": step} {
			if err := ad.GradCheck(f, []*ad.Tensor{x, W, w}, 1e-7); err != nil {
				t.Errorf("%s d=%d: %v", name, d, err)
			}
			if err := ad.GradCheck2(f, []*ad.Tensor{x, W, w}, 1e-6, 3, rand.New(rng)); err != nil {
				t.Errorf("%s d=%d: %v", name, d, err)
			}
		}
		// ∇u against ad's gradient of u itself
		xv := ad.Param(x)
		u := ad.Sum(ad.Mul(ad.LogCosh(ad.MatMulT(xv, ad.Const(W), false, true)), ad.Const(w)))
		gu := ad.MustGrad(u, []*ad.Var{xv})[0]
		v, _ := (&lnCoshPotential{W: ad.Const(W), w: ad.Const(w)}).field(ad.Const(x), nil)
		for i := range gu.Value.Data {
			if math.Abs(gu.Value.Data[i]-v.Value.Data[i]) > 1e-14 {
				t.Fatalf("∇u = %v, ad %v", v.Value.Data[i], gu.Value.Data[i])
			}
		}
	}
}

// The Monge–Ampère flow's forward–backward error and the error of its
// accumulated log-density (against the exact log-Jacobian of the discrete
// map) shrink as ε⁴ at fixed total time Nε = 1. The log-density's error
// is of order 4; the forward–backward error is measured at order 5: the
// ε⁵ terms of a step's local error are odd in ε and cancel between the
// forward and the backward step, so at least order 4 is asked of it.
func TestMongeAmpereOrder(t *testing.T) {
	rng := mc.NewPCG(9, 10)
	for _, pot := range []string{"lncosh", "mlp"} {
		hidden := []int{8}
		if pot == "mlp" {
			hidden = []int{6, 6}
		}
		z := randn(rng, 1, 8, 2)
		var fb, ld []float64
		for _, n := range []int{8, 16, 32, 64} {
			c := Config{Kind: "monge-ampere", Dim: 2, Potential: pot, Hidden: hidden, Steps: n, Eps: 1 / float64(n)}
			m := mustNew(t, c, 3)
			perturb(m.Flow, mc.NewPCG(11, 12), 0.5)
			x, l := m.Flow.Forward(ad.Const(z))
			back, _ := m.Flow.Inverse(ad.Const(x.Value))
			c.Exact = true
			me := mustNew(t, c, 3)
			if err := copyParams(me.Flow, m.Flow); err != nil {
				t.Fatal(err)
			}
			_, le := me.Flow.Forward(ad.Const(z))
			var e1, e2 float64
			for i := range z.Data {
				e1 = math.Max(e1, math.Abs(back.Value.Data[i]-z.Data[i]))
			}
			for i := range l.Value.Data {
				e2 = math.Max(e2, math.Abs(l.Value.Data[i]-le.Value.Data[i]))
			}
			fb, ld = append(fb, e1), append(ld, e2)
		}
		for i := 0; i+1 < len(fb); i++ {
			o1, o2 := math.Log2(fb[i]/fb[i+1]), math.Log2(ld[i]/ld[i+1])
			t.Logf("%s: N=%d→%d: forward-backward %.3g→%.3g (order %.2f), log-det %.3g→%.3g (order %.2f)",
				pot, 8<<i, 16<<i, fb[i], fb[i+1], o1, ld[i], ld[i+1], o2)
			if o1 < 3.8 || o2 < 3.7 || o2 > 4.5 {
				t.Errorf("%s: measured orders %.2f, %.2f; want 4", pot, o1, o2)
			}
		}
	}
}

// In exact mode the log-determinant is that of the discrete map (against
// the product of the single steps' Jacobians and the brute-force Jacobian
// of the whole map), and the inverse is exact to round-off.
func TestMongeAmpereExactMode(t *testing.T) {
	rng := mc.NewPCG(13, 14)
	for _, pot := range []string{"lncosh", "mlp"} {
		hidden := []int{8}
		if pot == "mlp" {
			hidden = []int{6, 6}
		}
		c := Config{Kind: "monge-ampere", Dim: 3, Potential: pot, Hidden: hidden, Steps: 5, Eps: 0.2, Exact: true}
		m := mustNew(t, c, 4)
		perturb(m.Flow, rng, 0.8)
		z := randn(rng, 1, 4, 3)
		x, ld := m.Flow.Forward(ad.Const(z))
		back, ldi := m.Flow.Inverse(ad.Const(x.Value))
		for i := range z.Data {
			if math.Abs(back.Value.Data[i]-z.Data[i]) > 1e-10 {
				t.Errorf("%s: exact inverse(forward(z)) − z = %v", pot, back.Value.Data[i]-z.Data[i])
			}
		}
		for b := range 4 {
			want := bruteLogDet(t, m.Flow, z.Data[b*3:(b+1)*3])
			if math.Abs(ld.Value.Data[b]-want) > 1e-10 || math.Abs(ldi.Value.Data[b]+ld.Value.Data[b]) > 1e-10 {
				t.Errorf("%s: ln|det| %v, inverse's −%v, brute force %v", pot, ld.Value.Data[b], ldi.Value.Data[b], want)
			}
		}
	}
}

// A flow saved and loaded gives identical log-densities, and h5py reads
// the file.
func TestSaveLoad(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5")
	}
	rng := mc.NewPCG(15, 16)
	dir := t.TempDir()
	for i, c := range []Config{
		{Kind: "realnvp", Dim: 4, Layers: 3, Hidden: []int{5, 6}, Mask: "checkerboard", L: 2, Symmetric: Mixture},
		{Kind: "monge-ampere", Dim: 2, Potential: "lncosh", Hidden: []int{7}, Steps: 3, Eps: 0.2, Exact: true},
		{Kind: "monge-ampere", Dim: 2, Potential: "mlp", Hidden: []int{4, 4}, Steps: 3, Eps: 0.2, Symmetric: Equivariant},
	} {
		m := mustNew(t, c, 5)
		perturb(m.Flow, rng, 0.3)
		path := filepath.Join(dir, fmt.Sprintf("f%d.h5", i))
		if err := Save(path, m, h5.Attrs{"target": "test"}); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		x := ad.Const(randn(rng, 1, 5, c.Dim))
		a, b := m.LogProb(x).Value.Data, got.LogProb(x).Value.Data
		for j := range a {
			if a[j] != b[j] {
				t.Errorf("%s: ln q %v after loading, %v before", c.Kind, b[j], a[j])
			}
		}
		if got.Sym != m.Sym || got.Flow.Config().Kind != c.Kind {
			t.Errorf("loaded %+v, saved %+v", got.Flow.Config(), c)
		}
		py := exec.Command("/usr/bin/python3", "-c", `import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
c = json.loads(f.attrs["config"])
n = sum(f["params"][k].size for k in f["params"])
print(c["Kind"], f.attrs["kind"], n)`, path)
		out, err := py.CombinedOutput()
		if err != nil {
			t.Skipf("python3 with h5py not available: %v %s", err, out)
		}
		var n int
		for _, p := range m.Flow.Params() {
			n += p.Value.Size()
		}
		if want := fmt.Sprintf("%s %s %d\n", c.Kind, c.Kind, n); string(out) != want {
			t.Errorf("h5py read %q, want %q", out, want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.h5"), 0); err == nil {
		t.Error("loading a missing file succeeded")
	}
}

// A conv-coupling flow commutes with the lattice shifts that preserve its
// checkerboard masks ((1, 1) and (2, 0)): g(shift z) = shift g(z), with
// the same log-determinant; with symmetric = "equivariant" also g(−z) = −g(z).
func TestConvRealNVPEquivariant(t *testing.T) {
	const L = 6
	rng := mc.NewPCG(5, 6)
	m := mustNew(t, Config{Kind: "realnvp", Dim: L * L, Layers: 4, Hidden: []int{4}, Mask: "checkerboard", L: L, Net: "conv", Kernel: 3, Symmetric: Equivariant}, 2)
	perturb(m.Flow, rng, 0.3)
	z := randn(rng, 1, 3, L*L)
	shift := func(a *ad.Tensor, di, dj int) *ad.Tensor {
		out := ad.Zeros(a.Shape...)
		for b := range a.Shape[0] {
			for i := range L {
				for j := range L {
					out.Data[b*L*L+((i+di)%L)*L+(j+dj)%L] = a.Data[b*L*L+i*L+j]
				}
			}
		}
		return out
	}
	x, ld := m.Flow.Forward(ad.Const(z))
	for _, s := range [][2]int{{1, 1}, {2, 0}, {0, 4}} {
		xs, lds := m.Flow.Forward(ad.Const(shift(z, s[0], s[1])))
		want := shift(x.Value, s[0], s[1])
		for i := range want.Data {
			if math.Abs(xs.Value.Data[i]-want.Data[i]) > 1e-12 {
				t.Fatalf("shift %v: g(shift z) ≠ shift g(z) at %d", s, i)
			}
		}
		for b := range ld.Value.Data {
			if math.Abs(lds.Value.Data[b]-ld.Value.Data[b]) > 1e-12 {
				t.Fatalf("shift %v: log-determinant changed", s)
			}
		}
	}
	neg := z.Clone()
	for i := range neg.Data {
		neg.Data[i] = -neg.Data[i]
	}
	xn, _ := m.Flow.Forward(ad.Const(neg))
	for i := range xn.Value.Data {
		if math.Abs(xn.Value.Data[i]+x.Value.Data[i]) > 1e-12 {
			t.Fatalf("g(−z) ≠ −g(z) at %d", i)
		}
	}
}

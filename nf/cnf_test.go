package nf

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/mc"
)

// testCNF is a small cnf flow on an L×L lattice with random kernels of
// the given scale (a trained flow's are not zero).
func testCNF(t *testing.T, L, steps int, scale float64) *CNF {
	t.Helper()
	c := Config{Kind: "cnf", Features: 3, Frequencies: 4, TimeBasis: 3, Steps: steps}
	c.Defaults(L*L, L)
	m, err := New(c, mc.NewPCG(7, 1))
	if err != nil {
		t.Fatal(err)
	}
	f := m.Flow.(*CNF)
	rng := mc.NewPCG(8, 1)
	for i := range f.W.Value.Data {
		f.W.Value.Data[i] = scale * mc.Normal(rng)
	}
	for i := range f.F.Value.Data {
		f.F.Value.Data[i] = 0.5 * mc.Normal(rng)
	}
	return f
}

func normals(n int, seed uint64) []float64 {
	rng := mc.NewPCG(seed, 3)
	x := make([]float64, n)
	for i := range x {
		x[i] = mc.Normal(rng)
	}
	return x
}

// directField is v and ∇·v written out: the sum over displacements and
// features with math.Sin, the divergence as the trace of the Jacobian by
// central differences.
func directField(f *CNF, phi []float64, t float64) (v []float64, div float64) {
	g := f.geom
	L, A, J1, Nb := g.L, g.A, g.J1, g.Nb
	tau := make([]float64, Nb)
	timeBasis(tau, t)
	W, F := f.W.Value.Data, f.F.Value.Data
	hfun := func(a int, s float64) float64 {
		out := F[a*J1] * s
		for j := 1; j < J1; j++ {
			out += F[a*J1+j] * math.Sin(g.omega[j]*s)
		}
		return out
	}
	vel := func(phi []float64) []float64 {
		v := make([]float64, g.V)
		for y := range L {
			for x := range L {
				for dy := range L {
					for dx := range L {
						o := orbitOf(dx, dy, L)
						site := ((y+dy)%L)*L + (x+dx)%L
						for a := range A {
							var k float64
							for b := range Nb {
								k += W[(o*A+a)*Nb+b] * tau[b]
							}
							v[y*L+x] += k * hfun(a, phi[site])
						}
					}
				}
			}
		}
		return v
	}
	v = vel(phi)
	const eps = 1e-5
	for i := range phi {
		p := append([]float64(nil), phi...)
		p[i] += eps
		up := vel(p)[i]
		p[i] -= 2 * eps
		div += (up - vel(p)[i]) / (2 * eps)
	}
	return v, div
}

// TestCNFFieldDirect checks the FFT convolution and the closed-form
// divergence against the direct sum and the trace of the Jacobian, on an
// odd and an even lattice.
func TestCNFFieldDirect(t *testing.T) {
	for _, L := range []int{3, 4, 5} {
		f := testCNF(t, L, 4, 0.3)
		r := f.newRun(2)
		x := normals(2*L*L, uint64(L))
		st := r.newStage()
		v, div := make([]float64, 2*L*L), make([]float64, 2)
		for _, ti := range []int{0, 3, 8} {
			r.field(st, x, ti, v, div)
			for s := range 2 {
				want, wdiv := directField(f, x[s*L*L:(s+1)*L*L], float64(ti)*r.h/2)
				for i, w := range want {
					if math.Abs(v[s*L*L+i]-w) > 1e-12*(1+math.Abs(w)) {
						t.Fatalf("L=%d ti=%d: v[%d] = %v, direct %v", L, ti, i, v[s*L*L+i], w)
					}
				}
				if math.Abs(div[s]-wdiv) > 1e-7*(1+math.Abs(wdiv)) {
					t.Errorf("L=%d ti=%d: div = %.12g, trace of the Jacobian %.12g", L, ti, div[s], wdiv)
				}
			}
		}
	}
}

// TestCNFGradient checks Forward's hand-written adjoint against central
// differences in z, W and F of a loss using x and the log-determinant.
func TestCNFGradient(t *testing.T) {
	f := testCNF(t, 4, 3, 0.3)
	z := ad.NewTensor(normals(2*16, 11), 2, 16)
	cx, cl := normals(2*16, 12), []float64{0.7, -1.3}
	loss := func() float64 {
		x, ld := f.ForwardValues(z)
		var s float64
		for i, v := range x.Data {
			s += cx[i] * v
		}
		return s + cl[0]*ld[0] + cl[1]*ld[1]
	}
	zv := ad.Param(z)
	x, ld := f.Forward(zv)
	y := ad.Add(ad.Sum(ad.Mul(x, ad.Const(ad.NewTensor(cx, 2, 16)))), ad.Sum(ad.Mul(ld, ad.Const(ad.NewTensor(cl, 2)))))
	g := ad.MustGrad(y, []*ad.Var{zv, f.W, f.F})
	for k, p := range []*ad.Tensor{z, f.W.Value, f.F.Value} {
		for _, i := range []int{0, 3, len(p.Data) / 2, len(p.Data) - 1} {
			old := p.Data[i]
			const eps = 1e-6
			p.Data[i] = old + eps
			up := loss()
			p.Data[i] = old - eps
			down := loss()
			p.Data[i] = old
			want := (up - down) / (2 * eps)
			if got := g[k].Value.Data[i]; math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("input %d, index %d: gradient %.10g, central difference %.10g", k, i, got, want)
			}
		}
	}
}

// TestCNFInverse checks inverse∘forward to 1e-8 and that ln q of a draw
// equals the density its forward map reported.
func TestCNFInverse(t *testing.T) {
	f := testCNF(t, 6, 10, 0.1)
	z := ad.NewTensor(normals(3*36, 5), 3, 36)
	x, ld := f.ForwardValues(z)
	zb, ldi := f.Inverse(ad.Const(x))
	for i, v := range zb.Value.Data {
		if math.Abs(v-z.Data[i]) > 1e-8 {
			t.Fatalf("z[%d] = %v after inverse∘forward, want %v", i, v, z.Data[i])
		}
	}
	for s := range 3 {
		if math.Abs(ldi.Value.Data[s]+ld[s]) > 1e-8 {
			t.Errorf("row %d: inverse log-det %v, forward %v", s, ldi.Value.Data[s], ld[s])
		}
	}
}

// roll, rotate, reflect and negate act on one L×L configuration.
func transformed(x []float64, L int, kind string) []float64 {
	out := make([]float64, len(x))
	for y := range L {
		for c := range L {
			var src int
			switch kind {
			case "roll":
				src = ((y+2)%L)*L + (c+1)%L
			case "rotate":
				src = c*L + (L - 1 - y)
			case "reflect":
				src = y*L + (L - 1 - c)
			case "negate":
				src = y*L + c
			}
			out[y*L+c] = x[src]
			if kind == "negate" {
				out[y*L+c] = -x[src]
			}
		}
	}
	return out
}

// TestCNFEquivariance checks that the map commutes with translations, the
// point group and φ → −φ, and that ln q is invariant under them.
func TestCNFEquivariance(t *testing.T) {
	L := 5
	f := testCNF(t, L, 6, 0.4)
	m := &Model{Flow: f, Sym: Equivariant}
	z := normals(L*L, 9)
	x, ld := f.ForwardValues(ad.NewTensor(z, 1, L*L))
	lq := m.LogProb(ad.Const(x)).Item()
	for _, k := range []string{"roll", "rotate", "reflect", "negate"} {
		xt, ldt := f.ForwardValues(ad.NewTensor(transformed(z, L, k), 1, L*L))
		want := transformed(x.Data, L, k)
		for i, v := range xt.Data {
			if math.Abs(v-want[i]) > 1e-12 {
				t.Fatalf("%s: g(Tz)[%d] = %v, T g(z) = %v", k, i, v, want[i])
			}
		}
		if math.Abs(ldt[0]-ld[0]) > 1e-12 {
			t.Errorf("%s: log-det %v, untransformed %v", k, ldt[0], ld[0])
		}
		if lqt := m.LogProb(ad.Const(ad.NewTensor(want, 1, L*L))).Item(); math.Abs(lqt-lq) > 1e-9 {
			t.Errorf("%s: ln q(Tx) = %v, ln q(x) = %v", k, lqt, lq)
		}
	}
}

// TestCNFDensityGap measures δ = (RK4 log-density) − (log-Jacobian of the
// discrete map, from a brute-force Jacobian) at L = 4: small, and O(h⁴)
// (doubling the steps divides it by about 16).
func TestCNFDensityGap(t *testing.T) {
	z := normals(16, 21)
	gap := func(steps int) float64 {
		f := testCNF(t, 4, steps, 0.1)
		_, ld := f.ForwardValues(ad.NewTensor(z, 1, 16))
		return ld[0] - jacobianLogDet(f, z)
	}
	g5, g10 := gap(10), gap(20)
	t.Logf("δ = %.3g (5 steps), %.3g (10 steps)", g5, g10)
	if !(math.Abs(g10) < 1e-5) {
		t.Errorf("δ = %v at 10 steps: the RK4 log-density is not that of the map", g10)
	}
	if r := g5 / g10; !(r > 10 && r < 24) {
		t.Errorf("δ(5 steps)/δ(10 steps) = %v, want about 16 (fourth order)", r)
	}
}

// TuneSteps doubles the steps until the measured density error is below
// the tolerance, records the training steps, and leaves a flow already
// below it alone; the error it records is MeasureDensityError's at the
// chosen steps.
func TestCNFTuneSteps(t *testing.T) {
	streams := mc.Streams{Seed: 3, Task: "tune", Purpose: mc.Eval}
	err := func(steps int) float64 { return testCNF(t, 4, steps, 0.4).MeasureDensityError(128, 2, streams) }
	start, e6, e12 := err(3), err(6), err(12)
	t.Logf("density error %.3g, %.3g, %.3g at 3, 6, 12 steps", start, e6, e12)
	tol := math.Sqrt(e6 * e12) // two doublings are needed, one is not enough
	f := testCNF(t, 4, 3, 0.4)
	if !f.TuneSteps(tol, 24, 128, 2, streams) {
		t.Fatalf("error %v at %d steps, tolerance %v", f.DensityError(), f.cfg.Steps, tol)
	}
	if f.cfg.Steps != 12 || f.cfg.TrainSteps != 3 {
		t.Errorf("steps %d (trained with %d), want 12 (3): error %.3g → %.3g", f.cfg.Steps, f.cfg.TrainSteps, start, f.DensityError())
	}
	if got := f.MeasureDensityError(128, 1, streams); got != f.DensityError() {
		t.Errorf("recorded error %v, measured at the chosen steps %v", f.DensityError(), got)
	}
	if f.TuneSteps(f.DensityError()/1e6, 24, 128, 2, streams) || f.cfg.Steps != 24 || f.cfg.TrainSteps != 3 {
		t.Errorf("a tolerance out of reach: reported met, or steps %d (trained with %d), want the bound 24 (3)", f.cfg.Steps, f.cfg.TrainSteps)
	}
	g := testCNF(t, 4, 3, 0.4)
	if !g.TuneSteps(2*start, 24, 128, 2, streams) || g.cfg.Steps != 3 || g.cfg.TrainSteps != 0 {
		t.Errorf("a flow within tolerance was changed: steps %d, trained with %d", g.cfg.Steps, g.cfg.TrainSteps)
	}
}

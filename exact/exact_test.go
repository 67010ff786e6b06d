package exact

import (
	"math"
	"testing"
)

func TestKaufmanBruteForce(t *testing.T) {
	for _, L := range []int{2, 3, 4} {
		for _, beta := range []float64{0.05, 0.2, 0.3, 0.4406868, 0.5, 0.8, 1.5} {
			for _, J := range []float64{1, 0.7} {
				got, err := Kaufman(L, beta, J)
				if err != nil {
					t.Fatal(err)
				}
				want, err := BruteForce(L, beta, J, 0)
				if err != nil {
					t.Fatal(err)
				}
				if d := math.Abs(got.LnZ - want.LnZ); d > 1e-10 {
					t.Errorf("L=%d beta=%v J=%v: lnZ/N = %.15g, brute force %.15g", L, beta, J, got.LnZ, want.LnZ)
				}
				if d := math.Abs(got.E - want.E); d > 1e-10 {
					t.Errorf("L=%d beta=%v J=%v: E/N = %.15g, brute force %.15g", L, beta, J, got.E, want.E)
				}
				if d := math.Abs(got.C - want.C); d > 1e-10 {
					t.Errorf("L=%d beta=%v J=%v: C/N = %.15g, brute force %.15g", L, beta, J, got.C, want.C)
				}
			}
		}
	}
}

// TestKaufmanOnsager checks that the finite torus approaches the infinite
// lattice: exponentially fast away from T_c, and with the known finite-size
// shift (C grows like ln L) at T_c.
func TestKaufmanOnsager(t *testing.T) {
	for _, beta := range []float64{0.3, 0.6} {
		inf, err := Onsager(beta, 1)
		if err != nil {
			t.Fatal(err)
		}
		prev := math.Inf(1)
		for _, L := range []int{8, 16, 32, 64} {
			k, err := Kaufman(L, beta, 1)
			if err != nil {
				t.Fatal(err)
			}
			lnZ := k.LnZ
			if beta > BetaC {
				// Two ordered states: Z → 2 Z_∞ on the torus below T_c.
				lnZ -= math.Ln2 / float64(L*L)
			}
			d := math.Abs(lnZ-inf.LnZ) + math.Abs(k.E-inf.E) + math.Abs(k.C-inf.C)
			if d > prev && d > 1e-12 {
				t.Errorf("beta=%v L=%d: distance to Onsager %g grew from %g", beta, L, d, prev)
			}
			prev = d
		}
		if prev > 1e-10 {
			t.Errorf("beta=%v L=64: distance to Onsager %g, want < 1e-10", beta, prev)
		}
	}
	// At T_c: ln Z/N converges like 1/L², E/N like 1/L, C/N diverges like
	// (8/π) β_c² ln L (Ferdinand & Fisher), so C(2L) − C(L) → (8/π) β_c² ln 2.
	inf, _ := Onsager(BetaC, 1)
	var cPrev float64
	for i, L := range []int{32, 64, 128, 256} {
		k, err := Kaufman(L, BetaC, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(k.LnZ - inf.LnZ); d > 2/float64(L*L) {
			t.Errorf("beta_c L=%d: |lnZ/N - Onsager| = %g, want < 2/L²", L, d)
		}
		if d := math.Abs(k.E - inf.E); d > 2/float64(L) {
			t.Errorf("beta_c L=%d: |E/N - Onsager| = %g, want < 2/L", L, d)
		}
		if i > 0 {
			slope := (k.C - cPrev) / math.Ln2
			want := 8 / math.Pi * BetaC * BetaC
			if math.Abs(slope-want) > 0.01*want {
				t.Errorf("beta_c L=%d: dC/dlnL = %g, want %g", L, slope, want)
			}
		}
		cPrev = k.C
	}
}

// TestOnsagerClosedForm checks the quadrature ln Z against the closed-form
// energy by a finite difference, and known values.
func TestOnsagerClosedForm(t *testing.T) {
	for _, beta := range []float64{0.2, 0.3, 0.4, 0.5, 0.6} {
		const h = 1e-4
		p, _ := Onsager(beta+h, 1)
		m, _ := Onsager(beta-h, 1)
		o, _ := Onsager(beta, 1)
		fd := -(p.LnZ - m.LnZ) / (2 * h)
		if math.Abs(fd-o.E) > 1e-7 {
			t.Errorf("beta=%v: -d lnZ/dbeta = %.10f, closed-form E = %.10f", beta, fd, o.E)
		}
		fd2 := beta * beta * (p.LnZ - 2*o.LnZ + m.LnZ) / (h * h)
		if math.Abs(fd2-o.C) > 1e-5 {
			t.Errorf("beta=%v: beta² d²lnZ/dbeta² = %.8f, closed-form C = %.8f", beta, fd2, o.C)
		}
	}
	c, _ := Onsager(BetaC, 1)
	if math.Abs(c.E+math.Sqrt2) > 1e-12 || !math.IsInf(c.C, 1) {
		t.Errorf("at beta_c: E = %v, C = %v; want -√2 and +Inf", c.E, c.C)
	}
}

// TestOnsagerAD: E and C by hyper-dual differentiation of the quadrature
// equal Onsager's closed forms to 1e-10.
func TestOnsagerAD(t *testing.T) {
	for _, beta := range []float64{0.3, 0.4, 0.5, 0.6, 0.2, 0.44, 0.45, 1} {
		got, err := OnsagerAD(beta, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Onsager(beta, 1)
		for _, q := range []struct {
			name      string
			got, want float64
		}{{"lnZ/N", got.LnZ, want.LnZ}, {"E/N", got.E, want.E}, {"C/N", got.C, want.C}} {
			if d := math.Abs(q.got - q.want); d > 1e-10 {
				t.Errorf("beta=%v: %s by AD %.15g, closed form %.15g (diff %.2g)", beta, q.name, q.got, q.want, d)
			}
		}
	}
	// At β_c: E finite and equal to −√2; C finite (the quadrature resolves
	// the logarithmic divergence down to 2⁻⁴⁰) and above its value nearby.
	c, _ := OnsagerAD(BetaC, 1)
	near, _ := Onsager(0.44, 1)
	if math.Abs(c.E+math.Sqrt2) > 1e-9 || math.IsInf(c.C, 0) || !(c.C > near.C) {
		t.Errorf("at beta_c: E = %v (want -√2), C = %v (want finite, > %v)", c.E, c.C, near.C)
	}
}

package exact

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
)

// Thermo holds per-site thermodynamics: ln Z / N, E / N and C / N.
type Thermo struct {
	LnZ, E, C float64
}

// Kaufman returns the exact ln Z/N, E/N and C/N of the L×L periodic Ising
// model at h = 0 with coupling J > 0 and inverse temperature β >= 0:
//
//	Z = ½ (2 sinh 2K)^{N/2} (Z₁ + Z₂ + Z₃ + Z₄),   K = βJ,
//	Z₁ = Π_{r<L} 2cosh(Lγ_{2r+1}/2),   Z₂ = Π 2sinh(Lγ_{2r+1}/2),
//	Z₃ = Π_{r<L} 2cosh(Lγ_{2r}/2),     Z₄ = Π 2sinh(Lγ_{2r}/2),
//	cosh γ_k = cosh 2K coth 2K − cos(πk/L),   γ₀ = 2K + ln tanh K,
//
// with γ₀ signed (negative below T_c). Derivatives in K are exact
// (hyper-dual numbers), not finite differences.
func Kaufman(L int, beta, J float64) (Thermo, error) {
	if L < 2 {
		return Thermo{}, fmt.Errorf("exact: Kaufman needs L >= 2, got %d", L)
	}
	if !(J > 0) || !(beta >= 0) || math.IsInf(beta, 0) || math.IsInf(J, 0) {
		return Thermo{}, fmt.Errorf("exact: Kaufman needs J > 0 and finite beta >= 0, got J = %v, beta = %v", J, beta)
	}
	if beta == 0 {
		return Thermo{LnZ: math.Ln2}, nil
	}
	K := ad.HyperVar(beta * J)
	fL := float64(L)
	half := fL / 2
	c2 := K.Scale(2).Cosh().Mul(K.Scale(2).Tanh().Recip()) // cosh 2K coth 2K
	// ln of the products, without the γ₀ factor of Z₃ and Z₄.
	var a1, a2, a3, a4 ad.HyperDual
	for k := 0; k < 2*L; k++ {
		if k == 0 {
			continue
		}
		g := acosh(c2.Sub(ad.HyperConst(math.Cos(math.Pi * float64(k) / fL)))).Scale(half)
		if k%2 == 1 {
			a1 = a1.Add(logCosh2(g))
			a2 = a2.Add(logSinh2(g))
		} else {
			a3 = a3.Add(logCosh2(g))
			a4 = a4.Add(logSinh2(g))
		}
	}
	g0 := K.Scale(2).Add(K.Tanh().Log()).Scale(half) // Lγ₀/2, signed
	a3 = a3.Add(logCosh2(g0))
	// 2 sinh(Lγ₀/2) = sign · exp(ln 2sinh|Lγ₀/2|), or directly when small.
	var c4 ad.HyperDual // Z₄ = c4 · exp(a4)
	if math.Abs(g0.V) > 20 {
		sgn := 1.0
		if g0.V < 0 {
			sgn, g0 = -1, g0.Scale(-1)
		}
		a4 = a4.Add(logSinh2(g0))
		c4 = ad.HyperConst(sgn)
	} else {
		c4 = g0.Sinh().Scale(2)
	}
	m := math.Max(math.Max(a1.V, a2.V), math.Max(a3.V, a4.V))
	M := ad.HyperConst(m)
	sum := a1.Sub(M).Exp().Add(a2.Sub(M).Exp()).Add(a3.Sub(M).Exp()).Add(c4.Mul(a4.Sub(M).Exp()))
	n := fL * fL
	lnZ := sum.Log().Add(M).Add(ad.HyperConst(-math.Ln2)).Add(K.Scale(2).Sinh().Scale(2).Log().Scale(n / 2))
	f := lnZ.Scale(1 / n)
	return Thermo{LnZ: f.V, E: -J * f.D1, C: K.V * K.V * f.D12}, nil
}

// acosh of a hyper-dual number.
func acosh(a ad.HyperDual) ad.HyperDual {
	x := a.V
	r := math.Sqrt(x*x - 1)
	return a.Apply(math.Acosh(x), 1/r, -x/(r*r*r))
}

// log1pexp returns ln(1 + e^a).
func log1pexp(a ad.HyperDual) ad.HyperDual {
	s := 1 / (1 + math.Exp(-a.V)) // σ(a)
	return a.Apply(math.Log1p(math.Exp(a.V)), s, s*(1-s))
}

// logCosh2 returns ln(2 cosh a) = |a| + ln(1 + e^{-2|a|}), smooth in a.
func logCosh2(a ad.HyperDual) ad.HyperDual {
	if a.V < 0 {
		a = a.Scale(-1)
	}
	return a.Add(log1pexp(a.Scale(-2)))
}

// logSinh2 returns ln(2 sinh a) for a > 0: a + ln(1 - e^{-2a}).
func logSinh2(a ad.HyperDual) ad.HyperDual {
	e := math.Exp(-2 * a.V) // d/da ln(1-e^{-2a}) = 2e/(1-e)
	g := 2 * e / (1 - e)
	g2 := -4 * e / ((1 - e) * (1 - e))
	return a.Add(a.Apply(math.Log1p(-e), g, g2))
}

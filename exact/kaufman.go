package exact

import (
	"fmt"
	"math"
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
// with γ₀ signed (negative below T_c). Derivatives in K are exact (Taylor
// arithmetic), not finite differences.
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
	K := variable(beta * J)
	fL := float64(L)
	half := fL / 2
	c2 := K.scale(2).cosh().mul(K.scale(2).coth()) // cosh 2K coth 2K
	// ln of the products, without the γ₀ factor of Z₃ and Z₄.
	var a1, a2, a3, a4 t2
	for k := 0; k < 2*L; k++ {
		if k == 0 {
			continue
		}
		g := c2.sub(cst(math.Cos(math.Pi * float64(k) / fL))).acosh().scale(half)
		if k%2 == 1 {
			a1 = a1.add(g.logCosh2())
			a2 = a2.add(g.logSinh2())
		} else {
			a3 = a3.add(g.logCosh2())
			a4 = a4.add(g.logSinh2())
		}
	}
	g0 := K.scale(2).add(K.tanh().log()).scale(half) // Lγ₀/2, signed
	a3 = a3.add(g0.logCosh2())
	// 2 sinh(Lγ₀/2) = sign · exp(ln 2sinh|Lγ₀/2|), or directly when small.
	var c4 t2 // Z₄ = c4 · exp(a4)
	if math.Abs(g0.v) > 20 {
		sgn := 1.0
		if g0.v < 0 {
			sgn, g0 = -1, g0.scale(-1)
		}
		a4 = a4.add(g0.logSinh2())
		c4 = cst(sgn)
	} else {
		c4 = g0.sinh().scale(2)
	}
	m := math.Max(math.Max(a1.v, a2.v), math.Max(a3.v, a4.v))
	M := cst(m)
	sum := a1.sub(M).exp().add(a2.sub(M).exp()).add(a3.sub(M).exp()).add(c4.mul(a4.sub(M).exp()))
	n := fL * fL
	lnZ := sum.log().add(M).add(cst(-math.Ln2)).add(K.scale(2).sinh().scale(2).log().scale(n / 2))
	f := lnZ.scale(1 / n)
	return Thermo{LnZ: f.v, E: -J * f.d, C: K.v * K.v * f.dd}, nil
}

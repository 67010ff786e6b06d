package exact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// BetaC is the critical inverse temperature of the square lattice at J = 1:
// ln(1 + √2)/2.
var BetaC = math.Log1p(math.Sqrt2) / 2

// Onsager returns the infinite-lattice ln Z/N, E/N and C/N at h = 0:
//
//	ln Z/N = ln(2 cosh 2K) + (1/π) ∫₀^{π/2} ln[½(1 + √(1 − κ² sin²θ))] dθ,
//	E/N = −J coth 2K [1 + (2/π)(2 tanh² 2K − 1) K(κ)],
//	C/N = (2/π)(K coth 2K)² {2K(κ) − 2E(κ) − 2(1 − tanh² 2K)[π/2 + (2tanh² 2K − 1)K(κ)]},
//
// with κ = 2 sinh 2K / cosh² 2K and K(κ), E(κ) the complete elliptic
// integrals of modulus κ. At the critical point C is +Inf.
func Onsager(beta, J float64) (Thermo, error) {
	if !(J > 0) || !(beta >= 0) || math.IsInf(beta, 0) || math.IsInf(J, 0) {
		return Thermo{}, fmt.Errorf("exact: Onsager needs J > 0 and finite beta >= 0, got J = %v, beta = %v", J, beta)
	}
	K := beta * J
	if K == 0 {
		return Thermo{LnZ: math.Ln2}, nil
	}
	c, s, t := math.Cosh(2*K), math.Sinh(2*K), math.Tanh(2*K)
	kappa := 2 * s / (c * c)
	k2 := math.Min(kappa*kappa, 1)
	integrand := func(th float64) float64 {
		st := math.Sin(th)
		return math.Log(0.5 * (1 + math.Sqrt(math.Max(0, 1-k2*st*st))))
	}
	lnZ := math.Log(2*c) + quad.Fixed(integrand, 0, math.Pi/2, 400, quad.Legendre{}, 0)/math.Pi
	a := 2*t*t - 1
	if k2 == 1 {
		return Thermo{LnZ: lnZ, E: -J / t, C: math.Inf(1)}, nil
	}
	kk, ee := mathext.CompleteK(k2), mathext.CompleteE(k2)
	e := -J / t * (1 + 2/math.Pi*a*kk)
	kc := K / t
	cv := 2 / math.Pi * kc * kc * (2*kk - 2*ee - 2*(1-t*t)*(math.Pi/2+a*kk))
	return Thermo{LnZ: lnZ, E: e, C: cv}, nil
}

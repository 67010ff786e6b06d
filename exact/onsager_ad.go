package exact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/mcflow/mcflow/ad"
)

// onsagerNodes are quadrature nodes and weights on [0, π/2], in panels
// that shrink geometrically towards π/2, where the integrand of Onsager's
// formula develops a logarithmic singularity as κ → 1 (T → T_c): 40 panels
// [π/2(1 − 2⁻ᵐ), π/2(1 − 2⁻ᵐ⁻¹)] and the last [π/2(1 − 2⁻⁴⁰), π/2], each
// with 24 Gauss–Legendre points.
var onsagerNodes, onsagerWeights = func() ([]float64, []float64) {
	const panels, per = 41, 24
	var xs, ws []float64
	x, w := make([]float64, per), make([]float64, per)
	lo := 0.0
	for m := 1; m <= panels; m++ {
		hi := math.Pi / 2 * (1 - math.Pow(2, -float64(m)))
		if m == panels {
			hi = math.Pi / 2
		}
		quad.Legendre{}.FixedLocations(x, w, lo, hi)
		xs = append(xs, x...)
		ws = append(ws, w...)
		lo = hi
	}
	return xs, ws
}()

// OnsagerAD returns the infinite-lattice ln Z/N, E/N and C/N at h = 0 from
// Onsager's integral
//
//	ln Z/N = ln(2 cosh 2K) + (1/π) ∫₀^{π/2} ln[½(1 + √(1 − κ² sin²θ))] dθ,
//	κ = 2 sinh 2K / cosh² 2K,  K = βJ,
//
// (the double integral ln 2 + (1/2π²)∬ ln[cosh² 2K − sinh 2K (cos θ₁ + cos θ₂)]
// with one angle integrated in closed form) by quadrature, and E/N =
// −∂(ln Z/N)/∂β, C/N = β²∂²(ln Z/N)/∂β² by forward-mode automatic
// differentiation through the quadrature (hyper-dual numbers): exact
// derivatives of the quadrature, no finite differences. Onsager gives the
// closed forms of E and C to check against.
func OnsagerAD(beta, J float64) (Thermo, error) {
	if !(J > 0) || !(beta >= 0) || math.IsInf(beta, 0) || math.IsInf(J, 0) {
		return Thermo{}, fmt.Errorf("exact: Onsager needs J > 0 and finite beta >= 0, got J = %v, beta = %v", J, beta)
	}
	if beta == 0 {
		return Thermo{LnZ: math.Ln2}, nil
	}
	K := ad.HyperVar(beta * J)
	c2 := K.Scale(2).Cosh()
	kappa := K.Scale(2).Sinh().Scale(2).Div(c2.Mul(c2))
	k2 := kappa.Mul(kappa)
	var integral ad.HyperDual
	for i, th := range onsagerNodes {
		s := math.Sin(th)
		// 1 − κ² sin²θ may round below 0 at κ = 1, θ = π/2.
		r := ad.HyperConst(1).Sub(k2.Scale(s * s))
		if r.V < 0 {
			r.V = 0
		}
		var root ad.HyperDual
		if r.V == 0 {
			root = ad.HyperDual{} // √ at 0: the node carries no weight in the limit
		} else {
			root = r.Sqrt()
		}
		integral = integral.Add(root.AddConst(1).Scale(0.5).Log().Scale(onsagerWeights[i]))
	}
	f := c2.Scale(2).Log().Add(integral.Scale(1 / math.Pi))
	// f(K): ∂/∂β = J ∂/∂K, β²∂²/∂β² = K²∂²/∂K².
	return Thermo{LnZ: f.V, E: -J * f.D1, C: K.V * K.V * f.D12}, nil
}

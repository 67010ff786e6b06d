package model

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/ad"
)

// Phi4 is lattice φ⁴ theory on an L×L torus, ln p = −S with
//
//	S = Σ_x [ Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) + m²φ_x² + λφ_x⁴ ],
//
// the action of Albergo, Kanwar and Shanahan (arXiv:1904.12072) and of the
// flow-MCMC tutorial (arXiv:2101.08176). Sites are row-major, x = i·L + j.
type Phi4 struct {
	L       int
	M2, Lam float64
}

// NewPhi4 validates the parameters.
func NewPhi4(L int, m2, lam float64) (*Phi4, error) {
	if L < 2 {
		return nil, fmt.Errorf("model: phi4 with L = %d: want L >= 2", L)
	}
	if math.IsNaN(m2) || math.IsInf(m2, 0) || !(lam >= 0) || math.IsInf(lam, 0) {
		return nil, fmt.Errorf("model: phi4 with m2 = %v, lam = %v: want a finite m2 and a finite lam >= 0", m2, lam)
	}
	if lam == 0 && m2 <= 0 {
		return nil, fmt.Errorf("model: phi4 with lam = 0 needs m2 > 0 (otherwise exp(-S) is not normalisable)")
	}
	return &Phi4{L: L, M2: m2, Lam: lam}, nil
}

func (p *Phi4) Name() string { return fmt.Sprintf("phi4 L=%d m2=%g lam=%g", p.L, p.M2, p.Lam) }
func (p *Phi4) Dim() int     { return p.L * p.L }
func (p *Phi4) Z2() bool     { return true }

// Action returns S(φ).
func (p *Phi4) Action(phi []float64) float64 {
	L := p.L
	var s float64
	for i := range L {
		up := ((i + 1) % L) * L
		row := i * L
		for j := range L {
			f := phi[row+j]
			r := phi[row+(j+1)%L]
			d := phi[up+j]
			f2 := f * f
			// Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) summed over x is
			// Σ_x Σ_μ 2φ_x(φ_x − φ_{x+μ}).
			s += 4*f2 - 2*f*(r+d) + p.M2*f2 + p.Lam*f2*f2
		}
	}
	return s
}

func (p *Phi4) LogProb(x []float64) float64 { return -p.Action(x) }

// GradLogProb fills grad with −∂S/∂φ and returns −S. The wrap-around
// neighbours are taken outside the inner loop, which has no modulo.
func (p *Phi4) GradLogProb(grad, phi []float64) float64 {
	L := p.L
	m2, lam := p.M2, p.Lam
	var s float64
	for i := range L {
		up := ((i + 1) % L) * L
		dn := ((i + L - 1) % L) * L
		row := phi[i*L : (i+1)*L : (i+1)*L]
		ur := phi[up : up+L : up+L]
		dr := phi[dn : dn+L : dn+L]
		gr := grad[i*L : (i+1)*L : (i+1)*L]
		site := func(j, jl, jr int) {
			f := row[j]
			r, l := row[jr], row[jl]
			u, d := ur[j], dr[j]
			f2 := f * f
			s += 4*f2 - 2*f*(r+u) + m2*f2 + lam*f2*f2
			gr[j] = -(8*f - 2*(r+l+u+d) + 2*m2*f + 4*lam*f2*f)
		}
		site(0, L-1, 1%L)
		for j := 1; j < L-1; j++ {
			f := row[j]
			r, l := row[j+1], row[j-1]
			u, d := ur[j], dr[j]
			f2 := f * f
			s += 4*f2 - 2*f*(r+u) + m2*f2 + lam*f2*f2
			gr[j] = -(8*f - 2*(r+l+u+d) + 2*m2*f + 4*lam*f2*f)
		}
		if L > 1 {
			site(L-1, L-2, 0)
		}
	}
	return -s
}

// LogProbVar is −S of every row of x (batch, L·L).
func (p *Phi4) LogProbVar(x *ad.Var) *ad.Var {
	checkBatch(p, x)
	L := p.L
	phi := ad.Reshape(x, -1, L, L)
	kin := ad.Mul(phi, ad.Sub(ad.Scale(phi, 4), ad.Scale(ad.Add(ad.Roll(phi, 1, 1), ad.Roll(phi, 1, 2)), 2)))
	sq := ad.Square(phi)
	pot := ad.Add(ad.Scale(sq, p.M2), ad.Scale(ad.Square(sq), p.Lam))
	s := ad.SumAxis(ad.Reshape(ad.Add(kin, pot), -1, L*L), 1, false)
	return ad.Neg(s)
}

// ObservableNames: m = M/V, |m|, m² and the action density s = S/V.
func (p *Phi4) ObservableNames() []string { return []string{"m", "absm", "m2", "s"} }

// Observe appends M/V, |M|/V, (M/V)² and S/V.
func (p *Phi4) Observe(dst, x []float64) []float64 {
	var m float64
	for _, v := range x {
		m += v
	}
	v := float64(len(x))
	m /= v
	return append(dst, m, math.Abs(m), m*m, p.Action(x)/v)
}

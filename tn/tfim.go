package tn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/ad/optim"
)

// TFIM is the transverse-field Ising chain of L spins on a ring,
//
//	H = −Σ_i J_i Z_i Z_{i+1} − Σ_i h_i X_i,   i = 0..L−1 (Z_L ≡ Z_0),
//
// with 2L parameters, in the basis of Z eigenstates (bit i of the index is
// spin i, Z = +1 for bit 0). The 2L terms are kept as constant matrices so
// that H, and everything computed from it, is differentiable in (J, h).
type TFIM struct {
	L     int
	terms *ad.Var // (2L, 2^L, 2^L): −Z_iZ_{i+1} for i < L, then −X_i
}

// NewTFIM builds the operator terms of a chain of L spins (2 <= L <= 12).
func NewTFIM(L int) (*TFIM, error) {
	if L < 2 || L > 12 {
		return nil, fmt.Errorf("tn: TFIM needs 2 <= L <= 12, got %d", L)
	}
	n := 1 << L
	t := ad.Zeros(2*L, n, n)
	for i := range L {
		j := (i + 1) % L
		for s := range n {
			zi := 1 - 2*float64(s>>i&1)
			zj := 1 - 2*float64(s>>j&1)
			t.Data[(i*n+s)*n+s] = -zi * zj
			t.Data[((L+i)*n+s)*n+(s^(1<<i))] = -1
		}
	}
	return &TFIM{L: L, terms: ad.Const(t)}, nil
}

// Hamiltonian returns H for params = (J_0..J_{L−1}, h_0..h_{L−1}).
func (m *TFIM) Hamiltonian(params *ad.Var) *ad.Var {
	return ad.Tensordot(params, m.terms, []int{0}, []int{0})
}

// GroundState returns the ground-state energy and vector of H(params).
func (m *TFIM) GroundState(params *ad.Var) (e0, psi *ad.Var) {
	w, v := ad.Eigh(m.Hamiltonian(params))
	return ad.Slice(w, 0, 0, 1), ad.Reshape(ad.Slice(v, 1, 0, 1), -1)
}

// Infidelity returns 1 − |⟨ψ₀(params)|target⟩|² for a normalised real
// target (the sign of an eigenvector is arbitrary; the overlap squared is
// not).
func (m *TFIM) Infidelity(params *ad.Var, target *ad.Tensor) *ad.Var {
	_, psi := m.GroundState(params)
	ov := ad.Sum(ad.Mul(psi, ad.Const(target)))
	return ad.Sub(ad.ConstScalar(1), ad.Square(ov))
}

// RandomParams returns (J, h) uniform in [lo, hi].
func RandomParams(L int, lo, hi float64, rng *rand.Rand) *ad.Tensor {
	p := ad.Zeros(2 * L)
	for i := range p.Data {
		p.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return p
}

// RandomState returns a normalised random real state of L spins.
func RandomState(L int, rng *rand.Rand) *ad.Tensor {
	t := ad.Zeros(1 << L)
	var norm float64
	for i := range t.Data {
		t.Data[i] = rng.NormFloat64()
		norm += t.Data[i] * t.Data[i]
	}
	for i := range t.Data {
		t.Data[i] /= math.Sqrt(norm)
	}
	return t
}

// Learn fits (J, h), starting from start, to make the ground state match
// target, with Adam at learning rate lr for the given number of steps. It
// calls report (if not nil) after every step with the step and the
// infidelity before the update, and returns the final parameters and
// infidelity.
func (m *TFIM) Learn(target, start *ad.Tensor, steps int, lr float64, report func(step int, infid float64)) (*ad.Tensor, float64, error) {
	if len(target.Data) != 1<<m.L {
		return nil, 0, fmt.Errorf("tn: target has %d amplitudes, want 2^%d = %d", len(target.Data), m.L, 1<<m.L)
	}
	if len(start.Data) != 2*m.L {
		return nil, 0, fmt.Errorf("tn: %d starting parameters, want 2L = %d", len(start.Data), 2*m.L)
	}
	var norm float64
	for _, v := range target.Data {
		norm += v * v
	}
	if !(norm > 0) || math.IsInf(norm, 0) {
		return nil, 0, fmt.Errorf("tn: target state has norm² %v", norm)
	}
	tn := target.Clone()
	for i := range tn.Data {
		tn.Data[i] /= math.Sqrt(norm)
	}
	p := ad.Param(start.Clone())
	opt := optim.NewAdam(lr)
	for step := range steps {
		loss := m.Infidelity(p, tn)
		if report != nil {
			report(step, loss.Item())
		}
		g, err := ad.Grad(loss, []*ad.Var{p})
		if err != nil {
			return nil, 0, err
		}
		if err := opt.Step([]*ad.Var{p}, g); err != nil {
			return nil, 0, err
		}
	}
	final := m.Infidelity(p, tn).Item()
	return p.Value, final, nil
}

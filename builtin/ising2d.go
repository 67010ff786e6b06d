package builtin

import (
	"math"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
)

// betaKey is the inverse temperature of a lattice spin model.
var betaKey = kind.FloatKey("beta", 0.4406868, 0, math.Inf(1), "the inverse temperature β")

func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "ising2d",
		Doc:     "Ising model on the L×L torus, E = −J Σ⟨ij⟩ s_i s_j − h Σ s_i (e = E/N)",
		Version: 2,
		Keys: []kind.Key{
			kind.IntKey("L", 16, 2, 1<<15, "the linear size of the L×L torus"),
			betaKey,
			kind.AnyKey("J", 1, "the coupling"),
			kind.AnyKey("h", 0, "the field"),
		},
		New: func(p kind.Values) (kind.Instance, error) {
			ip := ising.Params{L: p.Int("L"), Beta: p.Float("beta"), J: p.Float("J"), H: p.Float("h")}
			return ising2d{ip}, ip.Validate()
		},
	}))
}

type ising2d struct{ p ising.Params }

func (m ising2d) Observables() []string { return ising.Observables }

func (m ising2d) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	return ising.NewMetropolis(m.p, c.Hot, c.RNG), nil
}

func (m ising2d) NewMultispin(c kind.ChainConfig) (mc.Chain, error) {
	return ising.NewMultispin(m.p, c.Hot, c.RNG), nil
}

func (m ising2d) Replicas() int { return ising.Replicas }

func (m ising2d) NewWolff(c kind.ChainConfig) (mc.Chain, error) {
	return ising.NewWolff(m.p, c.Hot, c.RNG)
}

func (m ising2d) WolffDomain() error { return clusterDomain(m.p.J, m.p.H) }

func (m ising2d) Derived(obs map[string][][]float64) map[string]stats.Value {
	return ising.Derived(m.p, obs)
}

func (m ising2d) Odd() map[string]string {
	if m.p.H == 0 {
		return map[string]string{"m": "absm"}
	}
	return nil
}

func (m ising2d) Exact() (map[string]float64, string) {
	if m.p.H != 0 || !(m.p.J > 0) {
		return nil, ""
	}
	return kaufman(m.p.L, m.p.Beta, m.p.J)
}

// ExactAt is Exact at another β (kind.ExactCurve).
func (m ising2d) ExactAt(beta float64) map[string]float64 {
	m.p.Beta = beta
	v, _ := m.Exact()
	return v
}

// kaufman is the exact reference of the L×L Ising torus at h = 0.
func kaufman(L int, beta, J float64) (map[string]float64, string) {
	k, err := exact.Kaufman(L, beta, J)
	if err != nil {
		return nil, ""
	}
	return map[string]float64{"lnZ": k.LnZ, "e": k.E, "C": k.C}, "Kaufman (finite L×L torus, h = 0)"
}

// clusterDomain reports whether cluster moves apply: J > 0 and h = 0.
func clusterDomain(J, h float64) error {
	if h != 0 {
		return kind.Errorf("h", "= %v, but Wolff and Swendsen–Wang cluster moves need h = 0; use kind = \"metropolis\" for a field", h)
	}
	if !(J > 0) {
		return kind.Errorf("J", "= %v, but Wolff and Swendsen–Wang cluster moves need J > 0; use kind = \"metropolis\"", J)
	}
	return nil
}

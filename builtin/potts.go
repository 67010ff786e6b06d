package builtin

import (
	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/potts"
	"github.com/mcflow/mcflow/mc/stats"
)

func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "potts",
		Doc:     "q-state Potts model on the L×L torus, E = −J Σ⟨ij⟩ δ(s_i, s_j) − h Σ δ(s_i, 0) (e = E/N; m = |Σ simplex vectors|/N, 1 when ordered)",
		Version: 1,
		Keys: []kind.Key{
			kind.IntKey("L", 16, 2, 1<<14, "the linear size of the L×L torus"),
			kind.IntKey("q", 3, 2, potts.MaxQ, "the number of states"),
			{Name: "beta", Type: kind.Float, Default: 1.0050525762, Min: 0, Max: betaKey.Max, Doc: "the inverse temperature β (default: β_c = ln(1 + √3) of q = 3)"},
			kind.AnyKey("J", 1, "the coupling"),
			kind.AnyKey("h", 0, "the field on state 0"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			p := potts.Params{L: v.Int("L"), Q: v.Int("q"), Beta: v.Float("beta"), J: v.Float("J"), H: v.Float("h")}
			return pottsModel{p}, p.Validate()
		},
	}))
}

type pottsModel struct{ p potts.Params }

func (m pottsModel) Observables() []string { return potts.Observables }

func (m pottsModel) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	return potts.NewMetropolis(m.p, c.Hot, c.RNG), nil
}

func (m pottsModel) NewWolff(c kind.ChainConfig) (mc.Chain, error) {
	return potts.NewWolff(m.p, c.Hot, c.RNG)
}

func (m pottsModel) NewSwendsenWang(c kind.ChainConfig) (mc.Chain, error) {
	return potts.NewSwendsenWang(m.p, c.Hot, c.RNG)
}

func (m pottsModel) WolffDomain() error { return clusterDomain(m.p.J, m.p.H) }

func (m pottsModel) Derived(obs map[string][][]float64) map[string]stats.Value {
	return ising.DerivedSites(m.p.L*m.p.L, m.p.Beta, obs)
}

// Exact: q = 2 at h = 0 is the Ising model at half the coupling, so
// E_Potts/N = ½ E_Ising/N (Kaufman at β/2) − J, and C/N is the same.
func (m pottsModel) Exact() (map[string]float64, string) {
	if m.p.Q != 2 || m.p.H != 0 || !(m.p.J > 0) {
		return nil, ""
	}
	k, err := exact.Kaufman(m.p.L, m.p.Beta/2, m.p.J)
	if err != nil {
		return nil, ""
	}
	return map[string]float64{"e": k.E/2 - m.p.J, "C": k.C}, "Kaufman (q = 2: the Ising torus at β/2, h = 0)"
}

// ExactAt is Exact at another β (kind.ExactCurve).
func (m pottsModel) ExactAt(beta float64) map[string]float64 {
	m.p.Beta = beta
	v, _ := m.Exact()
	return v
}

package builtin

import (
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/ising3d"
	"github.com/mcflow/mcflow/mc/stats"
)

func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "ising3d",
		Doc:     "Ising model on the L×L×L torus, E = −J Σ⟨ij⟩ s_i s_j − h Σ s_i (e = E/N)",
		Version: 1,
		Keys: []kind.Key{
			kind.IntKey("L", 8, 2, 1024, "the linear size of the L×L×L torus"),
			{Name: "beta", Type: kind.Float, Default: 0.221654626, Min: 0, Max: betaKey.Max, Doc: "the inverse temperature β (default: β_c of the simple cubic lattice)"},
			kind.AnyKey("J", 1, "the coupling"),
			kind.AnyKey("h", 0, "the field"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			p := ising3d.Params{L: v.Int("L"), Beta: v.Float("beta"), J: v.Float("J"), H: v.Float("h")}
			return ising3dModel{p}, p.Validate()
		},
	}))
}

type ising3dModel struct{ p ising3d.Params }

func (m ising3dModel) Observables() []string { return ising3d.Observables }

func (m ising3dModel) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	return ising3d.NewMetropolis(m.p, c.Hot, c.RNG), nil
}

func (m ising3dModel) NewMultispin(c kind.ChainConfig) (mc.Chain, error) {
	return ising3d.NewMultispin(m.p, c.Hot, c.RNG), nil
}

func (m ising3dModel) Replicas() int { return ising3d.Replicas }

func (m ising3dModel) NewWolff(c kind.ChainConfig) (mc.Chain, error) {
	return ising3d.NewWolff(m.p, c.Hot, c.RNG)
}

func (m ising3dModel) WolffDomain() error { return clusterDomain(m.p.J, m.p.H) }

func (m ising3dModel) Odd() map[string]string {
	if m.p.H == 0 {
		return map[string]string{"m": "absm"}
	}
	return nil
}

func (m ising3dModel) Derived(obs map[string][][]float64) map[string]stats.Value {
	return ising.DerivedSites(m.p.L*m.p.L*m.p.L, m.p.Beta, obs)
}

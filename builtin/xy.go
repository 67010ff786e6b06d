package builtin

import (
	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/mc/xy"
)

func init() {
	must(kind.RegisterModel(kind.Model{
		Name:    "xy",
		Doc:     "XY (O(2)) model on the L×L torus, E = −J Σ⟨ij⟩ cos(θ_i − θ_j) (e = E/N; m = |Σ(cos θ, sin θ)|/N; upsilon: the helicity modulus)",
		Version: 1,
		Keys: []kind.Key{
			kind.IntKey("L", 16, 2, 1<<13, "the linear size of the L×L torus"),
			{Name: "beta", Type: kind.Float, Default: 1.1199, Min: 0, Max: betaKey.Max, Doc: "the inverse temperature β (default: the BKT point, Hasenbusch 2005)"},
			kind.AnyKey("J", 1, "the coupling"),
		},
		New: func(v kind.Values) (kind.Instance, error) {
			p := xy.Params{L: v.Int("L"), Beta: v.Float("beta"), J: v.Float("J")}
			return xyModel{p}, p.Validate()
		},
	}))
}

type xyModel struct{ p xy.Params }

func (m xyModel) Observables() []string { return xy.Observables }

// UsesStep: the metropolis sampler's step key applies.
func (m xyModel) UsesStep() {}

func (m xyModel) NewMetropolis(c kind.ChainConfig) (mc.Chain, error) {
	if c.Sampler.Has("step") {
		return xy.NewMetropolis(m.p, c.Hot, c.RNG, c.Sampler.Float("step"), false), nil
	}
	return xy.NewMetropolis(m.p, c.Hot, c.RNG, xy.DefaultStep, true), nil
}

func (m xyModel) NewWolff(c kind.ChainConfig) (mc.Chain, error) {
	return xy.NewWolff(m.p, c.Hot, c.RNG)
}

func (m xyModel) WolffDomain() error { return clusterDomain(m.p.J, 0) }

func (m xyModel) Derived(obs map[string][][]float64) map[string]stats.Value {
	return ising.DerivedSites(m.p.L*m.p.L, m.p.Beta, obs)
}

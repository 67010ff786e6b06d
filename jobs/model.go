package jobs

import (
	"fmt"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
)

// built is a task made ready to run: its chains and what to compute from
// their observables.
type built struct {
	chains  []mc.Chain
	names   []string
	derived func(obs map[string][][]float64) map[string]stats.Value
	// exact returns exact references per site, or nil when none applies.
	exact func() (map[string]float64, string)
}

// build creates the chains of a task, each seeded from (seed, task, chain).
// chain0 and n select a contiguous range of the task's chains.
func build(s *Spec, t Task) (*built, error) {
	switch s.Model.Kind {
	case "ising2d":
		p := ising.Params{L: int(t.Get("L")), Beta: t.Get("beta"), J: t.Get("J"), H: t.Get("h")}
		if err := p.Validate(); err != nil {
			return nil, err
		}
		b := &built{names: ising.Observables}
		hot := s.Sampler.Start == "hot"
		for c := range s.Sampler.Chains {
			rng := mc.NewStream(s.Seed, t.Index, c)
			switch s.Sampler.Kind {
			case "metropolis":
				b.chains = append(b.chains, ising.NewMetropolis(p, hot, rng))
			case "wolff":
				w, err := ising.NewWolff(p, hot, rng)
				if err != nil {
					return nil, err
				}
				b.chains = append(b.chains, w)
				b.names = ising.WolffObservables
			default:
				return nil, fmt.Errorf("sampler %q does not apply to model %q", s.Sampler.Kind, s.Model.Kind)
			}
		}
		b.derived = func(obs map[string][][]float64) map[string]stats.Value { return ising.Derived(p, obs) }
		if p.H == 0 && p.J > 0 {
			b.exact = func() (map[string]float64, string) {
				k, err := exact.Kaufman(p.L, p.Beta, p.J)
				if err != nil {
					return nil, ""
				}
				return map[string]float64{"lnZ": k.LnZ, "e": k.E, "C": k.C}, "Kaufman (finite L×L torus, h = 0)"
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown model kind %q", s.Model.Kind)
}

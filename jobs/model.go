package jobs

import (
	"fmt"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// built is a task made ready to run: its chains and what to compute from
// their observables.
type built struct {
	chains   []mc.Chain
	replicas int   // chains per element of chains (64 for the multispin engine)
	cfgShape []int // the shape of one configuration (configs_every)
	names    []string
	derived  func(obs map[string][][]float64) map[string]stats.Value
	// exact returns exact references per site, or nil when none applies.
	exact func() (map[string]float64, string)
	// odd maps an observable odd under a symmetry that local samplers need
	// not restore (the Ising model's m below T_c) to its even partner.
	odd map[string]string
	// flow and target of a flow sampler (shared by its chains)
	flow   *nf.Model
	target model.Target
}

// observables returns the names of what a task records, or an error if
// the task cannot be built, without allocating any chain.
func observables(s *Spec, t Task) ([]string, error) {
	switch s.Model.Kind {
	case "ising2d":
		p := isingParams(t)
		if err := p.Validate(); err != nil {
			return nil, err
		}
		switch s.Sampler.Kind {
		case "metropolis":
			return ising.Observables, nil
		case "wolff":
			if err := ising.WolffDomain(p); err != nil {
				return nil, err
			}
			return ising.WolffObservables, nil
		}
		return nil, fmt.Errorf("sampler %q does not apply to model %q", s.Sampler.Kind, s.Model.Kind)
	case "phi4", "ising2d-relaxed", "toy2d":
		if !contKinds[s.Sampler.Kind] {
			return nil, &SpecError{File: s.File, Key: "sampler.kind", Msg: fmt.Sprintf("= %q samples ising2d; model.kind = %q needs \"hmc\", \"latent-hmc\" or \"flow-mh\" (this job file is for `mcflow train`?)", s.Sampler.Kind, s.Model.Kind)}
		}
		if _, _, _, err := target(s, t); err != nil {
			return nil, err
		}
		return contObservables(s), nil
	}
	return nil, fmt.Errorf("unknown model kind %q", s.Model.Kind)
}

func isingParams(t Task) ising.Params {
	return ising.Params{L: int(t.Get("L")), Beta: t.Get("beta"), J: t.Get("J"), H: t.Get("h")}
}

// build creates the chains of a task, each seeded from (seed, task, chain).
// lay locates a flow trained by the job itself.
func build(s *Spec, t Task, lay Layout) (*built, error) {
	names, err := observables(s, t)
	if err != nil {
		return nil, err
	}
	if contKinds[s.Sampler.Kind] {
		return buildCont(s, t, lay)
	}
	switch s.Model.Kind {
	case "ising2d":
		p := isingParams(t)
		b := &built{names: names, replicas: 1}
		if p.H == 0 {
			b.odd = map[string]string{"m": "absm"}
		}
		hot := s.Sampler.Start == "hot"
		if s.Sampler.Engine == "multispin" {
			// 64 replicas per unit share the unit's stream (seed, task, unit).
			b.replicas = ising.Replicas
			for u := range uint64(s.Sampler.Chains / ising.Replicas) {
				b.chains = append(b.chains, ising.NewMultispin(p, hot, mc.NewStream(s.Seed, t.Name(), mc.Moves, u)))
			}
		}
		for c := range uint64(s.Sampler.Chains) {
			rng := mc.NewStream(s.Seed, t.Name(), mc.Moves, c)
			switch {
			case s.Sampler.Engine == "multispin":
			case s.Sampler.Kind == "metropolis":
				b.chains = append(b.chains, ising.NewMetropolis(p, hot, rng))
			case s.Sampler.Kind == "wolff":
				w, err := ising.NewWolff(p, hot, rng)
				if err != nil {
					return nil, err
				}
				b.chains = append(b.chains, w)
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

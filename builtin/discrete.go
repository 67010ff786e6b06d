package builtin

import (
	"fmt"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/multispin"
)

func init() {
	must(kind.RegisterSampler(kind.Sampler{
		Name:    "metropolis",
		Doc:     "The model's own local moves: checkerboard single-site Metropolis sweeps (discrete and continuous spins)",
		Version: 2,
		Needs:   "kind.Metropolis (engine = \"multispin\": kind.Multispin)",
		Keys: []kind.Key{
			kind.ChoiceKey("engine", "plain: one configuration per chain; multispin: 64 replicas per machine word (chains a multiple of 64)", "plain", "multispin"),
			{Name: "step", Type: kind.Float, Min: 0, Max: 6.283185307179586, MinOpen: true,
				Doc: "continuous spins (xy): the proposal's half-width in radians; absent: adapted during thermalize toward acceptance 0.5, then frozen"},
		},
		Resolve: func(v kind.Values, _ func(string) bool, p kind.Plan) error {
			if v.String("engine") == "multispin" && p.Chains%64 != 0 {
				return kind.Errorf("chains", "= %d, but engine = \"multispin\" runs chains in words of 64 replicas: use a multiple of 64 (64, 128, ...)", p.Chains)
			}
			return nil
		},
		Accepts: func(m kind.Instance, v kind.Values) error {
			if v.Has("step") {
				if _, ok := m.(stepper); !ok {
					return kind.Errorf("step", "applies to models with continuous spins (xy); drop it")
				}
			}
			if v.String("engine") == "multispin" {
				if _, ok := m.(kind.Multispin); !ok {
					return kind.Errorf("engine", "= \"multispin\": this model has no multispin engine; use engine = \"plain\"")
				}
				return nil
			}
			if _, ok := m.(kind.Metropolis); !ok {
				return fmt.Errorf("the model has no Metropolis moves (kind.Metropolis)")
			}
			return nil
		},
		Kernels: func(v kind.Values) map[string]int {
			if v.String("engine") == "multispin" {
				return map[string]int{"sampler/metropolis-multispin": 3}
			}
			return map[string]int{"sampler/metropolis": 2}
		},
		Unit: func(v kind.Values) int {
			if v.String("engine") == "multispin" {
				return 64
			}
			return 1
		},
		Describe: func(v kind.Values) string {
			if v.String("engine") == "multispin" {
				return "multispin kernel " + multispin.Active().String()
			}
			return ""
		},
		Build: buildMetropolis,
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name:    "wolff",
		Doc:     "Single-cluster moves (J > 0, h = 0); records the mean cluster size `cluster`",
		Version: 2,
		Needs:   "kind.Wolff",
		Accepts: func(m kind.Instance, v kind.Values) error {
			w, ok := m.(kind.Wolff)
			if !ok {
				return fmt.Errorf("the model has no Wolff cluster moves (kind.Wolff)")
			}
			return w.WolffDomain()
		},
		Series: func(kind.Values) []string { return []string{"cluster"} },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) {
			return chainsOf(e, m.(kind.Wolff).NewWolff)
		},
	}))
	must(kind.RegisterSampler(kind.Sampler{
		Name:    "swendsen-wang",
		Doc:     "Multi-cluster moves (J > 0, h = 0): every bond cluster takes a new random state; records the mean number of clusters `clusters`",
		Version: 1,
		Needs:   "kind.SwendsenWang",
		Accepts: func(m kind.Instance, v kind.Values) error {
			w, ok := m.(kind.SwendsenWang)
			if !ok {
				return fmt.Errorf("the model has no Swendsen–Wang moves (kind.SwendsenWang)")
			}
			return w.WolffDomain()
		},
		Series: func(kind.Values) []string { return []string{"clusters"} },
		Build: func(e *kind.Env, m kind.Instance) (*kind.Built, error) {
			return chainsOf(e, m.(kind.SwendsenWang).NewSwendsenWang)
		},
	}))
}

// stepper is a model whose Metropolis moves have a continuous step.
type stepper interface{ UsesStep() }

func buildMetropolis(e *kind.Env, m kind.Instance) (*kind.Built, error) {
	if e.Sampler.String("engine") == "multispin" {
		ms := m.(kind.Multispin)
		b := &kind.Built{}
		// 64 replicas per unit share the unit's stream (seed, task, unit).
		for u := range uint64(e.Plan.Chains / ms.Replicas()) {
			c, err := ms.NewMultispin(kind.ChainConfig{Hot: e.Plan.Hot, RNG: e.Stream(mc.Moves, u), Sampler: e.Sampler})
			if err != nil {
				return nil, err
			}
			b.Chains = append(b.Chains, c)
		}
		return b, nil
	}
	return chainsOf(e, m.(kind.Metropolis).NewMetropolis)
}

// chainsOf makes the task's chains, chain c with the stream (seed, task,
// mc.Moves, c).
func chainsOf(e *kind.Env, newChain func(kind.ChainConfig) (mc.Chain, error)) (*kind.Built, error) {
	b := &kind.Built{}
	for c := range uint64(e.Plan.Chains) {
		ch, err := newChain(kind.ChainConfig{Hot: e.Plan.Hot, RNG: e.Stream(mc.Moves, c), Sampler: e.Sampler})
		if err != nil {
			return nil, err
		}
		b.Chains = append(b.Chains, ch)
	}
	return b, nil
}

package builtin

import (
	"math"
	"testing"

	"github.com/mcflow/mcflow/kind"
	"github.com/mcflow/mcflow/mc"
)

// Every discrete chain that replica exchange runs gives LogProb(of) =
// −β_self · N · e_of, e_of the per-site energy that the other chain
// observes, and Exchange swaps what the chains observe.
func TestExchangers(t *testing.T) {
	for _, c := range []struct {
		model   string
		keys    kind.Values
		sites   int
		samples []string
	}{
		{"ising2d", kind.Values{"L": 6, "J": 1.0, "h": 0.3}, 36, []string{"metropolis"}},
		{"ising2d", kind.Values{"L": 6, "J": 1.0, "h": 0.0}, 36, []string{"wolff"}},
		{"ising3d", kind.Values{"L": 4, "J": 1.0, "h": 0.2}, 64, []string{"metropolis"}},
		{"ising3d", kind.Values{"L": 4, "J": 1.0, "h": 0.0}, 64, []string{"wolff"}},
		{"potts", kind.Values{"L": 5, "q": 3, "J": 1.0, "h": 0.2}, 25, []string{"metropolis"}},
		{"potts", kind.Values{"L": 5, "q": 3, "J": 1.0, "h": 0.0}, 25, []string{"wolff", "swendsen-wang"}},
		{"xy", kind.Values{"L": 5, "J": 1.0}, 25, []string{"metropolis", "wolff"}},
	} {
		def, _ := kind.LookupModel(c.model)
		for _, sampler := range c.samples {
			var chains [2]mc.Exchanger
			betas := [2]float64{0.3, 0.7}
			for i, beta := range betas {
				v := kind.Values{"beta": beta}
				for k, x := range c.keys {
					v[k] = x
				}
				m, err := def.New(v)
				if err != nil {
					t.Fatal(err)
				}
				s, _ := kind.LookupSampler(sampler)
				env := &kind.Env{Seed: 1, Task: "t", Plan: kind.Plan{Chains: 1, Hot: true}, Sampler: kind.Values{"engine": "plain"}}
				b, err := s.Build(env.Sub(uint64(i)), m)
				if err != nil {
					t.Fatal(err)
				}
				var ok bool
				if chains[i], ok = b.Chains[0].(mc.Exchanger); !ok {
					t.Fatalf("%s/%s: %T is not an mc.Exchanger", c.model, sampler, b.Chains[0])
				}
				for range 3 {
					chains[i].Step()
				}
			}
			e := func(ch mc.Chain) float64 { return ch.Observe(nil)[0] * float64(c.sites) }
			e0, e1 := e(chains[0]), e(chains[1])
			for i, self := range chains {
				for j, of := range chains {
					want := -betas[i] * [2]float64{e0, e1}[j]
					if got := self.LogProb(of); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("%s/%s: chain %d LogProb(chain %d) = %v, want %v", c.model, sampler, i, j, got, want)
					}
				}
			}
			chains[0].Exchange(chains[1])
			if a, b := e(chains[0]), e(chains[1]); math.Abs(a-e1) > 1e-9 || math.Abs(b-e0) > 1e-9 {
				t.Errorf("%s/%s: energies after the exchange %v, %v; before %v, %v", c.model, sampler, a, b, e0, e1)
			}
		}
	}
}

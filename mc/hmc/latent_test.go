package hmc

import (
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/mctest"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// Latent-space HMC through the checked-in flows samples the toys exactly:
// moments of x = g(z) against quadrature within 4 standard errors, for a
// RealNVP and for a Monge–Ampère flow in exact mode.
func TestLatentInvariant(t *testing.T) {
	// Each gradient runs ad through the flow for one point (~1 ms for
	// the Ring2D RealNVP, ~30 ms for the Monge–Ampère flow in exact mode,
	// which differentiates the RK4 map's Jacobian): the short suite runs
	// fewer draws, and the Monge–Ampère flow only with MCFLOW_LONG=1.
	cases := []struct {
		flow, target string
		draws        int
	}{
		{"gaussian-realnvp.h5", "gaussian", 1500},
		{"ring2d-realnvp.h5", "ring2d", 300},
	}
	if long {
		cases = append(cases, struct {
			flow, target string
			draws        int
		}{"ring2d-ma-exact.h5", "ring2d", 600})
		cases[1].draws = 1500
	}
	for _, tc := range cases {
		t.Run(tc.flow, func(t *testing.T) {
			tg, _ := model.NewToy2D(tc.target)
			m := testflows.Load(t, tc.flow).WithExactDensity()
			want, _ := exact.Toy2D(tg, 0.25)
			draws := tc.draws
			chains := make([]mc.Chain, 8)
			for c := range chains {
				lt, err := NewLatent(tg, m) // one per chain: it holds scratch space
				if err != nil {
					t.Fatal(err)
				}
				h, err := New(lt, []float64{0.1 * float64(c), -0.2}, Options{Eps: 0.3, Steps: 4, Warmup: 150}, mc.NewStream(21, "", mc.Moves, uint64(0), uint64(c)))
				if err != nil {
					t.Fatal(err)
				}
				chains[c] = h
			}
			obs, _ := mctest.Moments2D(t, chains, mc.Plan{Thermalize: 150, Draws: draws, MeasureEvery: 1})
			mctest.Agree(t, obs, want)
		})
	}
}

// Flows without an exact log-determinant are refused.
func TestLatentRefuses(t *testing.T) {
	tg, _ := model.NewToy2D("ring2d")
	m := testflows.Load(t, "ring2d-ma-exact.h5") // trained without exact mode
	if _, err := NewLatent(tg, m); err == nil {
		t.Error("a Monge–Ampère flow without exact mode was accepted")
	}
	mix := testflows.Load(t, "gaussian-realnvp.h5")
	mix.Sym = nf.Mixture
	if _, err := NewLatent(tg, mix); err == nil {
		t.Error("the symmetrised mixture was accepted")
	}
}

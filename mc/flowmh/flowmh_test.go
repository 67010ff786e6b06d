package flowmh

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/mctest"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/hmc"
	"github.com/mcflow/mcflow/model"
	"github.com/mcflow/mcflow/nf"
)

// Flow-MH leaves the toys invariant: moments against quadrature within 4
// standard errors, with a RealNVP, with its symmetrised mixture, with
// local moves mixed in, and with a Monge–Ampère flow in exact mode.
func TestInvariantToys(t *testing.T) {
	for _, tc := range []struct {
		name, flow, target string
		sym                nf.Symmetry
		opts               Options
		draws              int
		hmcLocal           bool // local steps are HMC trajectories
	}{
		{"ring2d", "ring2d-realnvp.h5", "ring2d", "", Options{}, 3000, false},
		{"ring2d+local", "ring2d-realnvp.h5", "ring2d", "", Options{Local: 0.3, LocalStep: 0.3}, 3000, false},
		{"gaussian-with-ring-flow+hmc", "ring2d-realnvp.h5", "gaussian", "", Options{Local: 0.5}, 3000, true},
		{"gaussian-mixture", "gaussian-realnvp.h5", "gaussian", nf.Mixture, Options{}, 3000, false},
		{"ring2d-monge-ampere", "ring2d-ma-exact.h5", "ring2d", "", Options{Batch: 256}, 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, _ := model.NewToy2D(tc.target)
			q := testflows.Load(t, tc.flow).WithExactDensity()
			if tc.sym != "" {
				q.Sym = tc.sym
			}
			want, _ := exact.Toy2D(tg, 0.25)
			chains := make([]mc.Chain, 8)
			for c := range chains {
				o := tc.opts
				if tc.hmcLocal {
					k, err := hmc.New(tg, []float64{2, 0}, hmc.Options{Eps: 0.2, Steps: 6, NoMetric: true}, mc.NewStream(31, "", mc.Moves, uint64(1), uint64(c)))
					if err != nil {
						t.Fatal(err)
					}
					o.Kernel = k
				}
				ch, err := New(tg, q, []float64{2, 0.1 * float64(c)}, o, mc.NewStream(31, "", mc.Moves, uint64(0), uint64(c)))
				if err != nil {
					t.Fatal(err)
				}
				chains[c] = ch
			}
			obs, acc := mctest.Moments2D(t, chains, mc.Plan{Thermalize: 100, Draws: tc.draws, MeasureEvery: 1})
			t.Logf("acceptance of flow proposals %.3f", acc)
			mctest.Agree(t, obs, want)
		})
	}
}

// Exact draws of the 2D Gaussian, each pushed through one flow-MH step,
// are still exact draws (Kolmogorov–Smirnov at the 0.1% level), with a
// deliberately poor proposal: the Gaussian flow's symmetrised mixture
// with its scale doubled would be wrong, so the flow is used as trained
// and the target is widened instead (acceptance ~50%).
func TestOneStepFromExactDraws(t *testing.T) {
	tg := &wideGaussian{}
	q := testflows.Load(t, "gaussian-realnvp.h5")
	rng := mc.NewPCG(4, 5)
	const n = 20000
	sums := make([]float64, n)
	ch, err := New(tg, q, []float64{0, 0}, Options{Batch: 256}, mc.NewStream(8, "", mc.Moves, uint64(0), uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	acc := 0
	for i := range n {
		u, v := mc.Normal(rng)*math.Sqrt(0.5)*tg.scale(), mc.Normal(rng)*math.Sqrt(0.5)*tg.scale()
		ch.x[0], ch.x[1] = u-v, v
		ch.lp, ch.lq = tg.LogProb(ch.x), ch.logQ(ch.x)
		old := ch.x[0]
		ch.Step()
		if ch.x[0] != old {
			acc++
		}
		sums[i] = ch.x[0] + ch.x[1]
	}
	if acc == 0 || acc == n {
		t.Fatalf("accepted %d of %d: nothing tested", acc, n)
	}
	d := mctest.KSNormal(sums, math.Sqrt(0.5)*tg.scale())
	crit := 1.95 / math.Sqrt(n)
	t.Logf("accepted %d of %d; KS distance %.4f (0.1%% critical value %.4f)", acc, n, d, crit)
	if d > crit {
		t.Errorf("KS distance %.4f > %.4f: one step changed the distribution", d, crit)
	}
}

// wideGaussian is the toy Gaussian scaled by 1.5 (flow-MH needs only
// ln p; the gradient is not used).
type wideGaussian struct{}

func (g *wideGaussian) GradLogProb(grad, x []float64) float64 { panic("not used") }
func (g *wideGaussian) LogProbVar(x *ad.Var) *ad.Var          { panic("not used") }

func (g *wideGaussian) scale() float64 { return 1.5 }
func (g *wideGaussian) Name() string   { return "wide gaussian" }
func (g *wideGaussian) Dim() int       { return 2 }
func (g *wideGaussian) LogProb(x []float64) float64 {
	a, b := x[0]/1.5, x[1]/1.5
	return -(a*a + 2*b*b + 2*a*b)
}

// A chain marshalled mid-batch and restored continues bit for bit; a flow
// without an exact density is refused.
func TestResumeAndRefuse(t *testing.T) {
	tg, _ := model.NewToy2D("ring2d")
	q := testflows.Load(t, "ring2d-realnvp.h5")
	o := Options{Batch: 16, Local: 0.2, LocalStep: 0.2}
	a, _ := New(tg, q, []float64{2, 0}, o, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
	b, _ := New(tg, q, []float64{2, 0}, o, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
	for range 37 {
		a.Step()
		b.Step()
	}
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(tg, q, []float64{1, 1}, o, mc.NewStream(9, "", mc.Moves, uint64(9), uint64(9)))
	if err := c.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		b.Step()
		c.Step()
	}
	if fmt.Sprint(b.x, b.lp, b.lq, b.AcceptRate(), b.FlowAcceptRate()) != fmt.Sprint(c.x, c.lp, c.lq, c.AcceptRate(), c.FlowAcceptRate()) {
		t.Error("restored chain diverged from the uninterrupted one")
	}
	if err := c.UnmarshalBinary(state[:len(state)-2]); err == nil {
		t.Error("truncated state accepted")
	}
	// With an HMC local kernel, its state (position, RNG) is in the chain's.
	mk := func(seed uint64) *Chain {
		k, _ := hmc.New(tg, []float64{2, 0}, hmc.Options{Eps: 0.2, Steps: 4, NoMetric: true}, mc.NewStream(seed, "", mc.Moves, uint64(5), uint64(5)))
		ch, err := New(tg, q, []float64{2, 0}, Options{Batch: 16, Local: 0.5, Kernel: k}, mc.NewStream(seed, "", mc.Moves, uint64(2), uint64(3)))
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	a, b = mk(1), mk(1)
	for range 37 {
		a.Step()
		b.Step()
		// The kernel follows the chain: its next step starts from the state
		// a flow jump reached.
		if !slices.Equal(a.o.Kernel.Position(), a.x) {
			t.Fatalf("kernel at %v, chain at %v", a.o.Kernel.Position(), a.x)
		}
	}
	if state, err = a.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	c = mk(9)
	if err := c.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		b.Step()
		c.Step()
	}
	if fmt.Sprint(b.x, b.lp, b.AcceptRate()) != fmt.Sprint(c.x, c.lp, c.AcceptRate()) || b.accLocal == 0 {
		t.Errorf("restored chain with an HMC kernel diverged (or never moved locally: %d)", b.accLocal)
	}
	if _, err := New(tg, testflows.Load(t, "ring2d-ma-exact.h5"), []float64{2, 0}, Options{}, mc.NewStream(1, "", mc.Moves, uint64(1), uint64(1))); err == nil {
		t.Error("a Monge–Ampère flow without exact mode was accepted")
	}
}

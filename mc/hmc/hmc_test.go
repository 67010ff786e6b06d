package hmc

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mcflow/mcflow/ad"
	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/mctest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/model"
)

// long (MCFLOW_LONG=1, make test-long) runs the slow cases.
var long = os.Getenv("MCFLOW_LONG") != ""

// HMC with adaptation leaves the 2D Gaussian and Ring2D invariant: means
// and second moments against quadrature within 4 standard errors.
func TestInvariantToys(t *testing.T) {
	for _, c := range []struct {
		name, kernel string
		o            Options
	}{
		{"gaussian", "hmc", Options{Eps: 0.3, Length: 2, Warmup: 1000}},
		{"ring2d", "hmc", Options{Eps: 0.3, Length: 2, Warmup: 1000}},
		// MALA: one leapfrog step.
		{"gaussian", "mala", Options{Eps: 0.3, Steps: 1, Warmup: 1000, Target: 0.574}},
		{"ring2d", "mala", Options{Eps: 0.3, Steps: 1, Warmup: 1000, Target: 0.574}},
		{"gaussian", "nuts", Options{Eps: 0.3, NUTS: true, Warmup: 1000}},
		{"ring2d", "nuts", Options{Eps: 0.3, NUTS: true, Warmup: 1000}},
		// A dense metric adapted in the windows.
		{"gaussian", "hmc-dense", Options{Eps: 0.3, Length: 2, Warmup: 1000, Dense: true}},
		{"ring2d", "nuts-dense", Options{Eps: 0.3, NUTS: true, Warmup: 1000, Dense: true}},
	} {
		name, o := c.name, c.o
		t.Run(name+"/"+c.kernel, func(t *testing.T) {
			tg, _ := model.NewToy2D(name)
			want, err := exact.Toy2D(tg, 0.25)
			if err != nil {
				t.Fatal(err)
			}
			chains := make([]mc.Chain, 8)
			for c := range chains {
				rng := mc.NewStream(3, "", mc.Moves, uint64(0), uint64(c))
				x0 := []float64{0.5 + 0.1*float64(c), 1}
				h, err := New(tg, x0, o, rng)
				if err != nil {
					t.Fatal(err)
				}
				chains[c] = h
			}
			obs, _ := mctest.Moments2D(t, chains, mc.Plan{Thermalize: 1000, Draws: 4000, MeasureEvery: 1})
			mctest.Agree(t, obs, want)
		})
	}
}

// Simulation-based check: exact draws of the 2D Gaussian, pushed through
// one HMC trajectory each (fixed ε, unit metric), are still exact draws:
// the Kolmogorov–Smirnov distance of x1 + x2 (which has variance 0.5) and
// of x1 to their exact normal laws is below the 0.1% critical value.
func TestOneStepFromExactDraws(t *testing.T) {
	// HMC (7 leapfrog steps) and MALA (one, with a step long enough that
	// the unadjusted Langevin step would widen the law by a third).
	for _, o := range []Options{{Eps: 0.45, Steps: 7}, {Eps: 0.8, Steps: 1}, {Eps: 0.6, NUTS: true}} {
		oneStepFromExactDraws(t, o, nil)
	}
	// A fixed dense metric, far from the target's covariance (correlation
	// of the wrong sign), for HMC, MALA and NUTS.
	inv := []float64{1, 0.6, 0.6, 1}
	for _, o := range []Options{{Eps: 0.6, Steps: 7, Dense: true}, {Eps: 0.9, Steps: 1, Dense: true}, {Eps: 0.7, NUTS: true, Dense: true}} {
		oneStepFromExactDraws(t, o, inv)
	}
}

// oneStepFromExactDraws runs the check with options o and, if inv is not
// nil, that inverse metric.
func oneStepFromExactDraws(t *testing.T, o Options, inv []float64) {
	tg, _ := model.NewToy2D("gaussian")
	// ln p = −(x1² + 2x2² + 2x1x2): x = (u − v, v) with u ~ N(0, ½),
	// v ~ N(0, ½) gives x1 + x2 = u, x2 = v.
	rng := mc.NewPCG(4, 5)
	const n = 20000
	sums, firsts := make([]float64, n), make([]float64, n)
	h, err := New(tg, []float64{0, 0}, o, mc.NewStream(8, "", mc.Moves, uint64(0), uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	if inv != nil {
		if err := h.SetAdapted(o.Eps, inv); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		u, v := mc.Normal(rng)*math.Sqrt(0.5), mc.Normal(rng)*math.Sqrt(0.5)
		copy(h.x, []float64{u - v, v})
		h.lp = tg.GradLogProb(h.g, h.x)
		if err := h.Step(); err != nil {
			t.Fatal(err)
		}
		sums[i], firsts[i] = h.x[0]+h.x[1], h.x[0]
	}
	if rate := h.AcceptRate(); rate > 0.99 {
		t.Fatalf("acceptance %v: the trajectories are too short to test anything", rate)
	}
	for _, c := range []struct {
		name string
		v    []float64
		sd   float64
	}{{"x1+x2", sums, math.Sqrt(0.5)}, {"x1", firsts, 1}} {
		d := mctest.KSNormal(c.v, c.sd)
		crit := 1.95 / math.Sqrt(n) // p = 0.001
		t.Logf("%+v, %s: KS distance %.4f (0.1%% critical value %.4f)", o, c.name, d, crit)
		if d > crit {
			t.Errorf("%+v, %s: KS distance %.4f > %.4f: one trajectory changed the distribution", o, c.name, d, crit)
		}
	}
}

// Warmup on an anisotropic 50-dimensional Gaussian (σ from 1 to 10)
// finds the variances and a step size with acceptance near the target.
func TestAdaptation(t *testing.T) {
	tg := &scaledGaussian{sd: make([]float64, 50)}
	for i := range tg.sd {
		tg.sd[i] = 1 + 9*float64(i)/49
	}
	x0 := make([]float64, 50)
	for i := range x0 {
		x0[i] = 1
	}
	h, err := New(tg, x0, Options{Eps: 0.1, Length: 3, Warmup: 1500}, mc.NewStream(9, "", mc.Moves, uint64(0), uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	for range 1500 {
		h.Step()
	}
	h.AppendSeries(nil)
	for range 3000 {
		h.Step()
	}
	acc := h.AppendSeries(nil)[1] // the mean acceptance probability
	ratios := make([]float64, len(tg.sd))
	for i, sd := range tg.sd {
		ratios[i] = h.InvMetric()[i] / (sd * sd)
	}
	sort.Float64s(ratios)
	t.Logf("eps %.3f, inverse metric / variance from %.2f to %.2f (median %.2f), acceptance %.3f", h.Eps(), ratios[0], ratios[49], ratios[25], acc)
	// Stan's averaged step size ends a little below the last iterates, so
	// the acceptance overshoots the target somewhat (0.85-0.9 is usual).
	if acc < 0.7 || acc > 0.97 {
		t.Errorf("acceptance after warmup %.3f, want 0.7 to 0.97 (target 0.8)", acc)
	}
	// Variances from the last window (~1000 correlated draws): the bulk
	// within 25%, none off by more than a factor 2.5. Without metric
	// adaptation the ratios would be 1/σ², down to 0.01.
	if ratios[25] < 0.8 || ratios[25] > 1.25 || ratios[0] < 0.4 || ratios[49] > 2.5 {
		t.Errorf("inverse metric / variance from %.2f to %.2f, median %.2f", ratios[0], ratios[49], ratios[25])
	}
	for _, n := range []int{0, 100, 200, 1000} {
		cnt := 0
		for i := range n {
			if windowEnd(i, n) {
				cnt++
			}
		}
		if n >= 150 && cnt == 0 {
			t.Errorf("warmup %d: no slow window ends", n)
		}
	}
}

// The dense metric's warmup on a 10-dimensional normal with AR(1)
// correlation 0.9 (scales 0.1 … 1) learns the covariance: every
// eigenvalue of Σ_true⁻¹·M⁻¹ (1 for a perfect estimate; from 1/100 to
// 50 for the unit metric) lies within a factor 2 of 1. A diagonal metric
// cannot: its eigenvalues spread beyond that.
func TestDenseAdaptation(t *testing.T) {
	tg, err := model.NewMVN(10, 0.1, 1, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	n := tg.Dim()
	cov := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			cov.SetSym(i, j, tg.Sigma[i]*tg.Sigma[j]*math.Pow(0.9, float64(j-i)))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	for _, dense := range []bool{true, false} {
		h, err := New(tg, make([]float64, n), Options{Eps: 0.1, NUTS: true, Warmup: 1500, Dense: dense}, mc.NewStream(9, "", mc.Moves, uint64(1), uint64(0)))
		if err != nil {
			t.Fatal(err)
		}
		for range 1500 {
			h.Step()
		}
		inv, isDense := h.Metric()
		m := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				switch {
				case isDense:
					m.Set(i, j, inv[i*n+j])
				case i == j:
					m.Set(i, i, inv[i])
				}
			}
		}
		// Σ_true⁻¹ M⁻¹ has the eigenvalues of the symmetric L⁻¹ M⁻¹ L⁻ᵀ.
		var l mat.TriDense
		ch.LTo(&l)
		var a, b mat.Dense
		if err := a.Solve(&l, m); err != nil {
			t.Fatal(err)
		}
		if err := b.Solve(&l, a.T()); err != nil {
			t.Fatal(err)
		}
		sym := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				sym.SetSym(i, j, 0.5*(b.At(i, j)+b.At(j, i)))
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(sym, false) {
			t.Fatal("eigen decomposition failed")
		}
		ev := eig.Values(nil)
		lo, hi := slices.Min(ev), slices.Max(ev)
		t.Logf("dense %v: eigenvalues of Σ⁻¹M⁻¹ from %.3f to %.3f, eps %.3f", dense, lo, hi, h.Eps())
		if ok := lo > 0.5 && hi < 2; ok != dense {
			t.Errorf("dense %v: eigenvalues of Σ⁻¹M⁻¹ from %.3f to %.3f (within a factor 2 of 1: %v)", dense, lo, hi, ok)
		}
	}
}

// Jitter draws each trajectory's steps from ⌈(1 ± jitter)·length/ε⌉: with
// length/ε = 10 and jitter 0.5, from 6 to 15 steps, 10 on average.
func TestJitter(t *testing.T) {
	tg := &scaledGaussian{sd: []float64{1, 1}}
	h, err := New(tg, []float64{0, 0}, Options{Eps: 0.1, Length: 1, Jitter: 0.5}, mc.NewStream(5, "", mc.Moves, 0))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	total := 0
	const n = 4000
	for range n {
		h.Step()
		s := h.AppendSeries(nil)
		k := int(s[5]) // n_leapfrog
		seen[k] = true
		total += k
		if k < 5 || k > 15 {
			t.Fatalf("a trajectory of %d steps, want 5 to 15", k)
		}
	}
	// the mean of ⌈10u⌉, u ~ U(0.5, 1.5), is 10.5 (sd 2.9/√n = 0.05)
	if mean := float64(total) / n; len(seen) < 10 || math.Abs(mean-10.5) > 0.25 {
		t.Errorf("%d distinct lengths, mean %.2f steps: want 10 lengths (6 to 15), mean 10.5", len(seen), mean)
	}
	if _, err := New(tg, []float64{0, 0}, Options{Eps: 0.1, Length: 1, Jitter: 1}, mc.NewStream(5, "", mc.Moves, 0)); err == nil {
		t.Error("jitter 1 accepted")
	}
}

type scaledGaussian struct{ sd []float64 }

func (g *scaledGaussian) Name() string { return "scaled gaussian" }
func (g *scaledGaussian) Dim() int     { return len(g.sd) }
func (g *scaledGaussian) LogProb(x []float64) float64 {
	var s float64
	for i, v := range x {
		s -= 0.5 * v * v / (g.sd[i] * g.sd[i])
	}
	return s
}
func (g *scaledGaussian) GradLogProb(grad, x []float64) float64 {
	for i, v := range x {
		grad[i] = -v / (g.sd[i] * g.sd[i])
	}
	return g.LogProb(x)
}
func (g *scaledGaussian) LogProbVar(x *ad.Var) *ad.Var { panic("not used") }

// A chain marshalled mid-warmup and restored continues bit for bit
// (HMC, jittered HMC with a dense metric, NUTS with a dense metric), and
// its steps do not allocate.
func TestResume(t *testing.T) {
	for _, o := range []Options{{Eps: 0.2, Steps: 5, Warmup: 300}, {Eps: 0.2, Steps: 5, Warmup: 300, Dense: true, Jitter: 0.3},
		{Eps: 0.2, NUTS: true, Warmup: 300, Dense: true}} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) { resume(t, o) })
	}
}

func resume(t *testing.T, o Options) {
	tg, _ := model.NewPhi4(4, -1, 1)
	x0 := make([]float64, 16)
	for i := range x0 {
		x0[i] = 0.1 * float64(i%3)
	}
	a, _ := New(tg, x0, o, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
	b, _ := New(tg, x0, o, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
	for range 120 {
		a.Step()
		b.Step()
	}
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(tg, make([]float64, 16), o, mc.NewStream(7, "", mc.Moves, uint64(7), uint64(7)))
	if err := c.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		b.Step()
		c.Step()
	}
	bm, _ := b.Metric()
	cm, _ := c.Metric()
	if fmt.Sprint(b.x, b.eps, bm) != fmt.Sprint(c.x, c.eps, cm) || b.AcceptRate() != c.AcceptRate() {
		t.Error("restored chain diverged from the uninterrupted one")
	}
	if err := c.UnmarshalBinary(state[:len(state)-1]); err == nil {
		t.Error("truncated state accepted")
	}
	if allocs := testing.AllocsPerRun(10, func() { c.Step() }); allocs != 0 {
		t.Errorf("Step allocates %v times", allocs)
	}
}

// Divergences: a step size far beyond the stability limit of a narrow
// Gaussian (ε = 3σ) makes every trajectory's energy error explode, one
// well inside it none; the trajectory is unchanged by the count (the same
// chain with and without divergent steps accepts by the same rule).
// E-BFMI from the recorded series equals Σ(ΔE)²/Σ(E − Ē)² of the energies
// themselves.
func TestDivergencesAndEBFMI(t *testing.T) {
	tg := &scaledGaussian{sd: []float64{0.1, 1, 1, 1}}
	x0 := []float64{0.05, 0.3, -0.2, 0.1}
	for _, c := range []struct {
		eps  float64
		want func(div int) bool
	}{{0.3, func(d int) bool { return d == 500 }}, {0.01, func(d int) bool { return d == 0 }}} {
		h, err := New(tg, x0, Options{Eps: c.eps, Steps: 20}, mc.NewStream(4, "", mc.Moves, 0))
		if err != nil {
			t.Fatal(err)
		}
		h.EndThermalize()
		var energies []float64
		div := 0
		for range 500 {
			h.Step()
			s := h.AppendSeries(nil) // accept, accept_prob, divergent, energy, ebfmi
			div += int(s[2])
			energies = append(energies, s[3])
		}
		if !c.want(div) {
			t.Errorf("eps %v: %d divergent trajectories of 500", c.eps, div)
		}
		var dsq, mean, ss float64
		for i, e := range energies {
			if i > 0 {
				dsq += (e - energies[i-1]) * (e - energies[i-1])
			}
			mean += e / float64(len(energies))
		}
		for _, e := range energies {
			ss += (e - mean) * (e - mean)
		}
		if got, want := h.EBFMI(), dsq/ss; math.Abs(got-want) > 1e-9*want {
			t.Errorf("eps %v: E-BFMI %v, from the energies %v", c.eps, got, want)
		}
		t.Logf("eps %v: %d divergences, E-BFMI %.3f", c.eps, div, h.EBFMI())
	}
}

// EndThermalize freezes a step size that adapts over an unknown number of
// steps (flow-MH's local kernel): the step size is the dual-averaging mean
// and stays so.
func TestEndThermalizeFreezes(t *testing.T) {
	tg := &scaledGaussian{sd: []float64{1, 1}}
	h, err := New(tg, []float64{0, 0}, Options{Eps: 2, Steps: 5, Warmup: 1000, NoMetric: true}, mc.NewStream(5, "", mc.Moves, 0))
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		h.Step()
	}
	h.EndThermalize()
	eps := h.Eps()
	for range 200 {
		h.Step()
	}
	if h.Eps() != eps || eps == 2 || math.Abs(eps-math.Exp(h.da.logEpsBar)) > 1e-15 {
		t.Errorf("eps %v after EndThermalize, %v later (initial 2)", eps, h.Eps())
	}
}

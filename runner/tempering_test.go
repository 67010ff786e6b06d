package runner

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/mc/ea"
	"github.com/mcflow/mcflow/mc/stats"
	"github.com/mcflow/mcflow/results"
)

// Parallel tempering on the 2D Ising model (Metropolis rungs) agrees with
// Kaufman's exact e and C at every β of the ladder, within 4 standard
// errors; every pair swaps and walkers complete round trips. At L = 8 the
// ladder starts with a gap across β_c and adapts toward equal swap rates
// during thermalize; Kaufman is then taken at the adapted β.
func TestPTKaufman(t *testing.T) {
	statistical(t)
	for _, c := range []struct {
		L      int
		sweeps int
		ladder string
	}{
		{4, 20000, "beta_min = 0.25\nbeta_max = 0.7\nrungs = 6\n"},
		// A ladder with a gap across β_c, adapted toward equal swap rates.
		{8, 16000, "betas = [0.25, 0.3, 0.35, 0.4, 0.45, 0.7]\nladder_rounds = 6\nthermalize = 3000\n"},
	} {
		doc := "seed = 5\n[model]\nL = " + strconv.Itoa(c.L) + "\n[sampler]\nkind = \"pt\"\n" + c.ladder + "chains = 4\nmeasure_every = 2\nsweeps = " + strconv.Itoa(c.sweeps) + "\n"
		if !strings.Contains(doc, "thermalize") {
			doc += "thermalize = 1000\n"
		}
		sum := runSummary(t, doc)
		lad := sum.Ladder
		if lad == nil {
			t.Fatal("no ladder in the summary")
		}
		if len(lad.Rungs) != 6 || len(lad.SwapAccept) != 5 {
			t.Fatalf("L = %d: %d rungs, %d swap rates", c.L, len(lad.Rungs), len(lad.SwapAccept))
		}
		lo, hi := 1.0, 0.0
		for i, a := range lad.SwapAccept {
			if !(a > 0.1 && a < 1) {
				t.Errorf("L = %d: pair %d swapped %v of the time", c.L, i, a)
			}
			lo, hi = min(lo, float64(a)), max(hi, float64(a))
		}
		if strings.Contains(c.ladder, "ladder_rounds") && (hi > 2*lo || lad.Betas[1] == 0.3) {
			t.Errorf("L = %d: the adapted ladder %v swaps %v: want rates within a factor of 2", c.L, lad.Betas, lad.SwapAccept)
		}
		if lad.RoundTrips < 10 {
			t.Errorf("L = %d: %d round trips", c.L, lad.RoundTrips)
		}
		for _, r := range lad.Rungs {
			ex := r.Exact.ValuesOf()
			if ex == nil {
				t.Fatalf("L = %d, beta = %v: no exact reference", c.L, r.Params["beta"])
			}
			e, C := r.Observables["e"], r.Derived["C"]
			if d := math.Abs(float64(e.Mean - ex["e"])); d > 4*float64(e.Stderr) {
				t.Errorf("L = %d, beta = %.4f: e = %s, Kaufman %.5f (%.1f standard errors)", c.L, r.Params["beta"], results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex["e"]), d/float64(e.Stderr))
			}
			if d := math.Abs(float64(C.Value - ex["C"])); d > 4*float64(C.Stderr) {
				t.Errorf("L = %d, beta = %.4f: C = %s, Kaufman %.5f (%.1f standard errors)", c.L, r.Params["beta"], results.PM(float64(C.Value), float64(C.Stderr)), float64(ex["C"]), d/float64(C.Stderr))
			}
		}
		tab := results.Table([]*results.TaskSummary{sum}, nil)
		if !strings.Contains(tab, "@beta=0.7") || !strings.Contains(tab, "round trips") {
			t.Errorf("table without the rungs or the ladder line:\n%s", tab)
		}
	}
}

// A continuous target without a beta key is tempered as p^β: on the
// Gaussian toy, ln p = −(x₁² + 2x₂² + 2x₁x₂), HMC rungs give
// E[x₁²] = 1/β at every β within 4 standard errors. The arrays are
// (chain, rung, draw) and beta.npy holds the ladder.
func TestPTTemperedGaussian(t *testing.T) {
	statistical(t)
	doc := "seed = 3\n[model]\nkind = \"toy2d\"\nname = \"gaussian\"\n[sampler]\nkind = \"pt\"\nbase = \"hmc\"\nbetas = [0.25, 0.5, 1.0]\nchains = 4\nthermalize = 500\nsweeps = 8000\nsteps = 5\n[output]\ndir = \"out\"\n"
	s, _, lay := runJob(t, doc)
	task := s.Tasks()[0].Name()
	shape, x1, err := npy.ReadAny(lay.NPY(task, "x1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 3 || shape[0] != 4 || shape[1] != 3 || shape[2] != 8000 {
		t.Fatalf("x1.npy has shape %v, want (4, 3, 8000)", shape)
	}
	_, betas, err := npy.ReadAny(lay.NPY(task, "beta"))
	if err != nil || len(betas) != 3 || betas[0] != 0.25 || betas[2] != 1 {
		t.Fatalf("beta.npy: %v, %v", betas, err)
	}
	for r, beta := range betas {
		var sq [][]float64
		for c := range shape[0] {
			row := x1[(c*shape[1]+r)*shape[2]:][:shape[2]]
			q := make([]float64, len(row))
			for i, v := range row {
				q[i] = v * v
			}
			sq = append(sq, q)
		}
		e := stats.Summarize(sq)
		if d := math.Abs(e.Mean - 1/beta); d > 4*e.Stderr {
			t.Errorf("beta = %v: E[x1²] = %.4f ± %.4f, exact %.4f (%.1f standard errors)", beta, e.Mean, e.Stderr, 1/beta, d/e.Stderr)
		}
	}
}

// The Edwards–Anderson model at L = 4 in 2D (±J and Gaussian samples),
// tempered over β = 0.3…2: e, ⟨q²⟩ and the link overlap of two replicas
// agree with the exact enumeration of the sample's 2^16 states at every β
// within 4 standard errors. The couplings written to OUT/disorder are the
// sample's, and a sample is the same instance whatever the task's place in
// the scan.
func TestEAExact(t *testing.T) {
	statistical(t)
	for _, c := range []string{"pm", "gaussian"} {
		doc := "seed = 4\n[model]\nkind = \"ea\"\nL = 4\ncouplings = \"" + c + "\"\nsample = [2, 0]\n[sampler]\nkind = \"pt\"\nbetas = [0.3, 0.6, 1.0, 1.5, 2.0]\nchains = 4\nthermalize = 1000\nsweeps = 12000\nmeasure_every = 4\n[output]\ndir = \"out\"\n"
		s, rep, lay := runJob(t, doc)
		for _, sum := range rep.Tasks {
			for _, r := range sum.Ladder.Rungs {
				ex := r.Exact.ValuesOf()
				for _, k := range []string{"e", "q2", "ql"} {
					e := r.Observables[k]
					if d := math.Abs(float64(e.Mean - ex[k])); !(d <= 4*float64(e.Stderr)) {
						t.Errorf("%s, %s: %s = %s, exact %.5f (%.1f standard errors)", c, r.Name, k, results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex[k]), d/float64(e.Stderr))
					}
				}
			}
		}
		// The disorder file of sample 0 (the scan's second task) is the
		// stream of (seed, dim, L, couplings, sample 0).
		_, J, err := npy.ReadAny(lay.Disorder(s.Tasks()[1].Name()))
		if err != nil {
			t.Fatal(err)
		}
		if want := ea.Draw(4, 2, 4, c == "gaussian", 0); !slices.Equal(J, want) {
			t.Errorf("%s: disorder file of sample 0 differs from the sample's couplings", c)
		}
	}
}

// Disorder averages of a scan over samples (Metropolis at one β, no
// ladder): [⟨O⟩] is the mean of the samples' thermal means with the
// standard error over samples, the Binder ratio is ½(3 − [q⁴]/[q²]²), and
// the equilibration test from hot starts finds the first bins out of
// equilibrium (the residual is zβ/2 at a random start) and the last ones
// in it.
func TestDisorderAverages(t *testing.T) {
	doc := "seed = 2\n[model]\nkind = \"ea\"\nL = 4\ncouplings = \"gaussian\"\nbeta = 0.7\nsample = [0, 1, 2, 3, 4, 5, 6, 7]\n[sampler]\nchains = 2\nthermalize = 0\nsweeps = 4096\nstart = \"hot\"\n[output]\ndir = \"out\"\n"
	_, rep, _ := runJob(t, doc)
	if len(rep.Disorder) != 1 {
		t.Fatalf("%d disorder groups, want 1", len(rep.Disorder))
	}
	g := rep.Disorder[0]
	var sum, sq float64
	for _, ts := range rep.Tasks {
		v := float64(ts.Observables["e"].Mean)
		sum += v
		sq += v * v
	}
	S := float64(len(rep.Tasks))
	mean := sum / S
	se := math.Sqrt((sq/S - mean*mean) / (S - 1))
	if e := g.Observables["e"]; math.Abs(float64(e.Value)-mean) > 1e-12 || math.Abs(float64(e.Stderr)-se) > 1e-12 {
		t.Errorf("[e] = %v ± %v, want %v ± %v", e.Value, e.Stderr, mean, se)
	}
	q2, q4 := float64(g.Observables["q2"].Value), float64(g.Observables["q4"].Value)
	if b := float64(g.Derived["g"].Value); math.Abs(b-0.5*(3-q4/(q2*q2))) > 1e-12 || !(g.Derived["g"].Stderr > 0) {
		t.Errorf("g = %v ± %v, want %v with an error", b, g.Derived["g"].Stderr, 0.5*(3-q4/(q2*q2)))
	}
	// P(q): normalised, its bins centred on the values q takes, so that its
	// first two moments are [⟨q⟩] and [⟨q²⟩].
	h := g.Histograms["q"]
	if h == nil || len(h.P) != 17 {
		t.Fatalf("P(q): %+v", h)
	}
	var p0, p1, p2 float64
	for i, p := range h.P {
		q := (h.Edges[i] + h.Edges[i+1]) / 2
		p0, p1, p2 = p0+p, p1+p*q, p2+p*q*q
	}
	if math.Abs(p0-1) > 1e-12 || math.Abs(p1-float64(g.Observables["q"].Value)) > 1e-12 || math.Abs(p2-float64(g.Observables["q2"].Value)) > 1e-12 {
		t.Errorf("P(q): total %v, mean %v, second moment %v; want 1, [q] = %v, [q2] = %v", p0, p1, p2, g.Observables["q"].Value, g.Observables["q2"].Value)
	}
	eq := g.Equilibration
	if eq == nil || len(eq.Bins) != 13 {
		t.Fatalf("equilibration bins: %+v", eq)
	}
	first := eq.Bins[0]
	if first.From != 1 || !(float64(first.Residual) > 3*float64(first.Stderr)) {
		t.Errorf("the first bin (the hot start) agrees with equilibrium: %+v", first)
	}
	if a := float64(eq.AgreeFrom); math.IsNaN(a) || a < 2 || a > 1024 {
		t.Errorf("equilibrated from Monte Carlo time %v, want a time in 2..1024", a)
	}
}

// The multispin engine of the ±J spin glass (64 replica pairs a word),
// 2D L = 4 at β = 0.5 and 1.5, 3D L = 2 at β = 1 and 2D L = 3 (odd: not
// bipartite) at β = 0.8: e, ⟨q²⟩ and q_l
// against exact enumeration within 4 standard errors.
func TestEAMultispinExact(t *testing.T) {
	statistical(t)
	for _, model := range []string{"dim = 2\nL = 4\nbeta = [0.5, 1.5]\n", "dim = 3\nL = 2\nbeta = 1.0\n", "dim = 2\nL = 3\nbeta = 0.8\n"} {
		doc := "seed = 8\n[model]\nkind = \"ea\"\nsample = 1\n" + model + "[sampler]\nengine = \"multispin\"\nchains = 64\nthermalize = 500\nsweeps = 3000\nmeasure_every = 3\n"
		_, rep, _ := runJob(t, doc)
		for _, sum := range rep.Tasks {
			ex := sum.Exact.ValuesOf()
			if ex == nil {
				t.Fatalf("%s: no exact reference", sum.Name)
			}
			for _, k := range []string{"e", "q2", "ql"} {
				e := sum.Observables[k]
				if d := math.Abs(float64(e.Mean - ex[k])); !(d <= 4*float64(e.Stderr)) {
					t.Errorf("%s: %s = %s, exact %.5f (%.1f standard errors)", sum.Name, k, results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex[k]), d/float64(e.Stderr))
				}
			}
		}
	}
}

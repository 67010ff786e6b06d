package runner

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/internal/testflows"
	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/results"
)

// long reports whether the long statistical runs were asked for
// (MCFLOW_LONG=1, make test-long).
func long() bool { return os.Getenv("MCFLOW_LONG") == "1" }

// statistical skips a check of Monte Carlo estimates under -short: the
// nohdf5 pass of `make test` runs -short for the paths that differ without
// HDF5 (what is written and resumed), and an estimate does not depend on
// the output format. The HDF5 pass runs it.
func statistical(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: a statistical check, run by the HDF5 pass of make test")
	}
}

// runSummary runs a job document and returns its one task's summary.
func runSummary(t *testing.T, doc string) *results.TaskSummary {
	t.Helper()
	_, rep, _ := runJob(t, doc)
	return rep.Tasks[0]
}

// runJob runs a job document (2 workers, all tasks) in a temporary
// directory and returns its spec, its report and its output layout.
func runJob(t *testing.T, doc string) (*job.Spec, *results.Report, job.Layout) {
	t.Helper()
	dir := t.TempDir()
	s, err := job.Parse([]byte(doc), filepath.Join(dir, "job.toml"), dir)
	if err != nil {
		t.Fatal(err)
	}
	lay := job.Layout{Out: filepath.Join(dir, "out")}
	rep, err := Run(context.Background(), s, Options{Out: lay.Out, Workers: 2, Task: -1, Progress: "none"})
	if err != nil {
		t.Fatal(err)
	}
	return s, rep, lay
}

// φ⁴ at L = 8, m² = −4, λ = 8: HMC, NUTS, latent-space HMC through the
// checked-in equivariant RealNVP, flow-MH with it (a third of the steps
// random-walk moves), flow-MH mixed with HMC (flowMC's kernel), and
// flow-MH mixed with HMC through the checked-in convolutional coupling
// flow (symmetrised over ±x), and pure flow-MH with the checked-in cnf
// flow (its RK4 density within its measured bound) agree on ⟨|M|⟩/V and the action density
// within 4 standard errors, pairwise.
func TestPhi4ThreeSamplers(t *testing.T) {
	flow := testflows.Path(t, "phi4-L8-lam8.h5")
	conv := testflows.Path(t, "phi4-L8-conv.h5")
	cnf := testflows.Path(t, "phi4-L8-cnf.h5")
	scale := 1
	if long() {
		scale = 10
	}
	const head = "seed = 6\n[model]\nkind = \"phi4\"\nL = 8\nm2 = -4.0\nlam = 8.0\n"
	docs := map[string]string{
		"hmc":         head + fmt.Sprintf("[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 500\nsweeps = %d\nsteps = 0\nlength = 1.0\n", 4000*scale),
		"latent-hmc":  head + fmt.Sprintf("[sampler]\nkind = \"latent-hmc\"\nflow = %q\nchains = 4\nthermalize = 200\nsweeps = %d\nsteps = 0\nlength = 1.0\n", flow, 400*scale),
		"flow-mh":     head + fmt.Sprintf("[sampler]\nkind = \"flow-mh\"\nflow = %q\nchains = 4\nthermalize = 2000\nsweeps = %d\nlocal = 0.3\nlocal_kernel = \"rw\"\nlocal_step = 0.15\n", flow, 40000*scale),
		"flow-mh-hmc": head + fmt.Sprintf("[sampler]\nkind = \"flow-mh\"\nflow = %q\nchains = 4\nthermalize = 1000\nsweeps = %d\nlocal = 0.9\nlocal_kernel = \"hmc\"\neps = 0.1\nsteps = 10\n", flow, 10000*scale),
		"nuts":        head + fmt.Sprintf("[sampler]\nkind = \"nuts\"\nchains = 4\nthermalize = 500\nsweeps = %d\n", 3000*scale),
		"conv-mh-hmc": head + fmt.Sprintf("[sampler]\nkind = \"flow-mh\"\nflow = %q\nchains = 4\nthermalize = 500\nsweeps = %d\nlocal = 0.5\nlocal_kernel = \"hmc\"\neps = 0.1\nsteps = 10\n", conv, 1500*scale),
		"cnf-mh":      head + fmt.Sprintf("[sampler]\nkind = \"flow-mh\"\nflow = %q\nchains = 4\nthermalize = 100\nsweeps = %d\n", cnf, 400*scale),
	}
	names := []string{"hmc", "nuts", "latent-hmc", "flow-mh", "flow-mh-hmc", "conv-mh-hmc", "cnf-mh"}
	type est struct{ v, se float64 }
	got := map[string]map[string]est{}
	for _, k := range names {
		sum := runSummary(t, docs[k])
		got[k] = map[string]est{}
		for _, o := range []string{"absm", "s"} {
			e := sum.Observables[o]
			got[k][o] = est{float64(e.Mean), float64(e.Stderr)}
		}
		t.Logf("%-10s |m| = %s  s = %s  tau(|m|) = %.1f  accept %.3f  %.1f s", k, results.PM(got[k]["absm"].v, got[k]["absm"].se), results.PM(got[k]["s"].v, got[k]["s"].se),
			float64(sum.Observables["absm"].TauInt), float64(sum.Observables["accept"].Mean), float64(sum.Timing.Seconds))
	}
	for _, o := range []string{"absm", "s"} {
		for i, p := range names {
			for _, q := range names[i+1:] {
				a, b := got[p][o], got[q][o]
				if z := (a.v - b.v) / math.Hypot(a.se, b.se); math.Abs(z) > 4 {
					t.Errorf("%s: %s %s vs %s %s (%.1f σ)", o, p, results.PM(a.v, a.se), q, results.PM(b.v, b.se), z)
				}
			}
		}
	}
}

// The Ising relaxation at β_c against Kaufman's exact E/N (test 3 of the
// samplers' issue): flow-MH and latent-space HMC through the checked-in
// equivariant RealNVPs give E/N of the spins drawn from p(s|x), and e_rb,
// within 4 standard errors. Flow-MH at L = 4 (a third of the steps
// random-walk moves; with C) and L = 8 (90% of the steps HMC
// trajectories, flowMC's mixed kernel); latent HMC at L = 8 through a flow
// trained by forward KL on HMC configurations (a smooth latent space:
// ε ~ 0.1). MCFLOW_LONG=1 adds both at L = 16 (~3 min: 95% HMC steps, as
// the L = 16 flow's proposals are almost never accepted, so there it shows
// exactness, not a gain; latent HMC through the forward-KL flow). The checked-in
// NeuralRG flow (forward KL, L = 8) in flow-MH mixed with HMC; latent HMC
// through it is under MCFLOW_LONG (its gradient goes through the ad graph,
// ~9 ms a leapfrog step: ~10 min). MCFLOW_LONG=1 adds
// latent HMC at L = 4 through the reverse-KL flow, whose latent space
// needs ε ~ 10⁻³ (~90 s).
func TestRelaxedFlowSamplersKaufman(t *testing.T) {
	const beta = 0.4406868
	type tc struct {
		name, flow string
		L          int
		sampler    string
		long       bool
	}
	cases := []tc{
		{"flow-mh-L4", "ising-L4.h5", 4, "kind = \"flow-mh\"\nthermalize = 2000\nsweeps = 20000\nlocal = 0.3\nlocal_kernel = \"rw\"\nlocal_step = 0.15\n", false},
		{"flow-mh-hmc-L8", "ising-L8.h5", 8, "kind = \"flow-mh\"\nthermalize = 1000\nsweeps = 20000\nlocal = 0.9\nlocal_kernel = \"hmc\"\neps = 0.3\nsteps = 10\n", false},
		{"flow-mh-hmc-L16", "ising-L16.h5", 16, "kind = \"flow-mh\"\nthermalize = 2000\nsweeps = 20000\nlocal = 0.95\nlocal_kernel = \"hmc\"\neps = 0.3\nsteps = 10\n", true},
		{"latent-hmc-L8", "ising-L8.h5", 8, "kind = \"latent-hmc\"\nthermalize = 500\nsweeps = 800\nsteps = 0\nlength = 2.0\ntarget_accept = 0.9\n", false},
		{"flow-mh-hmc-neuralrg-L8", "ising-L8-neuralrg.h5", 8, "kind = \"flow-mh\"\nthermalize = 500\nsweeps = 5000\nlocal = 0.9\nlocal_kernel = \"hmc\"\neps = 0.3\nsteps = 10\n", false},
		{"latent-hmc-neuralrg-L8", "ising-L8-neuralrg.h5", 8, "kind = \"latent-hmc\"\nthermalize = 300\nsweeps = 600\nsteps = 0\nlength = 2.0\ntarget_accept = 0.9\n", true},
		{"latent-hmc-L16", "ising-L16-fkl.h5", 16, "kind = \"latent-hmc\"\nthermalize = 1000\nsweeps = 1500\nsteps = 0\nlength = 2.0\ntarget_accept = 0.9\n", true},
		{"latent-hmc-L4", "ising-L4.h5", 4, "kind = \"latent-hmc\"\nthermalize = 1000\nsweeps = 1000\nsteps = 0\nlength = 2.0\ntarget_accept = 0.95\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.long && !long() {
				t.Skip("MCFLOW_LONG=1 runs it")
			}
			flow := testflows.Path(t, c.flow)
			k, err := exact.Kaufman(c.L, beta, 1)
			if err != nil {
				t.Fatal(err)
			}
			sum := runSummary(t, fmt.Sprintf("seed = 7\n[model]\nkind = \"ising2d-relaxed\"\nL = %d\nbeta = %v\n[sampler]\nflow = %q\nchains = 4\n%s", c.L, beta, flow, c.sampler))
			for _, o := range []string{"e", "e_rb"} {
				e := sum.Observables[o]
				z := (float64(e.Mean) - k.E) / float64(e.Stderr)
				t.Logf("%s = %s, Kaufman %.5f (%.1f σ); tau %.1f, R-hat %.3f, accept %.3f, %.1f s", o, results.PM(float64(e.Mean), float64(e.Stderr)), k.E, z,
					float64(e.TauInt), float64(e.Rhat), float64(sum.Observables["accept"].Mean), float64(sum.Timing.Seconds))
				if math.Abs(z) > 4 {
					t.Errorf("%s = %s, Kaufman %.5f (%.1f σ)", o, results.PM(float64(e.Mean), float64(e.Stderr)), k.E, z)
				}
			}
			if c.L == 4 {
				d := sum.Derived["C"]
				if z := (float64(d.Value) - k.C) / float64(d.Stderr); math.Abs(z) > 4 {
					t.Errorf("C = %s, Kaufman %.5f (%.1f σ)", results.PM(float64(d.Value), float64(d.Stderr)), k.C, z)
				}
			}
		})
	}
}

// The reproduction of a frozen chain printed as a result: ising2d-relaxed
// at L = 6, β = 0.4, a RealNVP trained 300 epochs whose proposals are
// (almost) never accepted. With flow-MH's defaults (the mixed kernel, half
// the steps adapted HMC trajectories) E/N agrees with Kaufman within 4σ;
// the pure independence sampler (local = 0) on the same flow freezes, and
// its summary says so.
func TestFlowMHDefaultsDoNotFreeze(t *testing.T) {
	if !h5.Available {
		t.Skip("built without HDF5: trained flows are HDF5 files")
	}
	dir := t.TempDir()
	const doc = "seed = 3\n[model]\nkind = \"ising2d-relaxed\"\nL = 6\nbeta = 0.4\n[train]\nflow = \"realnvp\"\nepochs = 300\nbatch = 512\n" +
		"[sampler]\nkind = \"flow-mh\"\nchains = 4\nthermalize = 500\nsweeps = 4000\n"
	s, err := job.Parse([]byte(doc), "job.toml", dir)
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Sampler.Values; v.Float("local") != 0.5 || v.String("local_kernel") != "hmc" {
		t.Fatalf("flow-mh defaults: local = %v, local_kernel = %q; want 0.5, \"hmc\"", v["local"], v["local_kernel"])
	}
	out := filepath.Join(dir, "out")
	rep, err := Run(context.Background(), s, Options{Out: out, Workers: 2, Task: -1, Progress: "none"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := exact.Kaufman(6, 0.4, 1)
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Tasks[0]
	e := sum.Observables["e"]
	z := (float64(e.Mean) - k.E) / float64(e.Stderr)
	t.Logf("e = %s, Kaufman %.5f (%.1f σ), R-hat %.3f, acceptance %v, warnings %q", results.PM(float64(e.Mean), float64(e.Stderr)), k.E, z, float64(e.Rhat), sum.Acceptance, sum.Warnings)
	if math.Abs(z) > 4 || !(float64(e.Rhat) < 1.05) {
		t.Errorf("mixed kernel: e = %s (%.1f σ from Kaufman %.5f), R-hat %.3f", results.PM(float64(e.Mean), float64(e.Stderr)), z, k.E, float64(e.Rhat))
	}
	if a := float64(sum.Acceptance["accept_local"]); !(a > 0.3) {
		t.Errorf("the HMC local kernel accepts %.3f of its trajectories, want > 0.3 (adapted toward 0.8)", a)
	}

	// The same flow, flow proposals only: frozen, and flagged.
	frozen := "seed = 3\n[model]\nkind = \"ising2d-relaxed\"\nL = 6\nbeta = 0.4\n[sampler]\nkind = \"flow-mh\"\nlocal = 0\n" +
		fmt.Sprintf("flow = %q\nchains = 4\nthermalize = 500\nsweeps = 4000\n", job.Layout{Out: out}.Flow("L=6_beta=0.4"))
	fs := runSummary(t, frozen)
	t.Logf("local = 0: e = %s, acceptance %v, warnings %q", results.PM(float64(fs.Observables["e"].Mean), float64(fs.Observables["e"].Stderr)), fs.Acceptance, fs.Warnings)
	if !hasPrefix(results.Strict(fs.Warnings), "rhat: e:") || !hasPrefix(fs.Warnings, "bins: e:") {
		t.Errorf("a stuck chain without rhat: and bins: warnings: %q", fs.Warnings)
	}
}

func hasPrefix(ws []string, p string) bool {
	for _, w := range ws {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

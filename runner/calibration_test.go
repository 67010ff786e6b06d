package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/npy"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/results"
)

// The calibration targets under adapted HMC: every coordinate of a
// correlated 10-dimensional normal (scales 0.1 … 1, ρ = 0.9) has mean 0
// and E[x_i²] = σ_i² within 4 standard errors, under HMC, MALA and NUTS; the non-centred funnel
// gives v's mean and second moment and P(|x₁| < c) at c = 0.1, 1, 10
// within 4 standard errors under HMC and NUTS (NUTS without a divergence);
// the centred funnel makes HMC and NUTS diverge, and the summary says so.
func TestCalibrationKinds(t *testing.T) {
	statistical(t)
	check := func(sum *results.TaskSummary, names []string) {
		t.Helper()
		ex := sum.Exact.ValuesOf()
		for _, n := range names {
			e := sum.Observables[n]
			if d := math.Abs(float64(e.Mean - ex[n])); !(d <= 4*float64(e.Stderr)) {
				t.Errorf("%s: %s = %s, exact %.5f (%.1f standard errors)", sum.Model, n, results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex[n]), d/float64(e.Stderr))
			}
		}
	}
	sum := runSummary(t, "seed = 3\n[model]\nkind = \"mvn\"\ndim = 10\nscale_min = 0.1\nrho = 0.9\n[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 1000\nsweeps = 4000\nsteps = 0\nlength = 2.0\n")
	var names []string
	for i := range 10 {
		names = append(names, "x"+strconv.Itoa(i+1), "x"+strconv.Itoa(i+1)+"sq")
	}
	check(sum, names)
	// MALA (one leapfrog step, adapted toward acceptance 0.574) on the same
	// normal.
	sum = runSummary(t, "seed = 4\n[model]\nkind = \"mvn\"\ndim = 10\nscale_min = 0.1\nrho = 0.9\n[sampler]\nkind = \"mala\"\nchains = 4\nthermalize = 2000\nsweeps = 20000\nmeasure_every = 5\n")
	check(sum, names)
	// NUTS (adapted diagonal metric) on the same normal.
	sum = runSummary(t, "seed = 5\n[model]\nkind = \"mvn\"\ndim = 10\nscale_min = 0.1\nrho = 0.9\n[sampler]\nkind = \"nuts\"\nchains = 4\nthermalize = 1000\nsweeps = 3000\n")
	check(sum, names)
	sum = runSummary(t, "seed = 3\n[model]\nkind = \"funnel\"\ncentered = false\n[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 1000\nsweeps = 5000\nsteps = 0\nlength = 1.5\n")
	check(sum, []string{"v", "v2", "x1_lt_0.1", "x1_lt_1", "x1_lt_10", "logp"})
	for _, sampler := range []string{"kind = \"hmc\"\nsteps = 0\nlength = 1.5\n", "kind = \"nuts\"\n"} {
		sum = runSummary(t, "seed = 3\n[model]\nkind = \"funnel\"\n[sampler]\n"+sampler+"chains = 4\nthermalize = 1000\nsweeps = 2000\n")
		if sum.Divergences == nil || *sum.Divergences == 0 || !hasPrefix(sum.Warnings, "divergences") {
			t.Errorf("centred funnel, %s: %v divergences, warnings %q", sum.Sampler, sum.Divergences, sum.Warnings)
		}
	}
	// Trees cut at max_depth are counted and warned about.
	sum = runSummary(t, "seed = 5\n[model]\nkind = \"mvn\"\ndim = 10\nscale_min = 0.01\n[sampler]\nkind = \"nuts\"\nmax_depth = 2\nchains = 2\nthermalize = 200\nsweeps = 200\n")
	if sum.AtMaxDepth == nil || *sum.AtMaxDepth == 0 || !hasPrefix(sum.Warnings, "max_depth") {
		t.Errorf("nuts with max_depth = 2: %v transitions at max depth, warnings %q", sum.AtMaxDepth, sum.Warnings)
	}
	// NUTS on the non-centred funnel samples cleanly.
	sum = runSummary(t, "seed = 6\n[model]\nkind = \"funnel\"\ncentered = false\n[sampler]\nkind = \"nuts\"\nchains = 4\nthermalize = 1000\nsweeps = 3000\n")
	check(sum, []string{"v", "v2", "x1_lt_0.1", "x1_lt_1", "x1_lt_10", "logp"})
	if sum.Divergences == nil || *sum.Divergences != 0 {
		t.Errorf("non-centred funnel, nuts: %v divergences", sum.Divergences)
	}
}

// MCFLOW_LONG: NUTS with the adapted diagonal metric on the 100-dimensional
// normal of scales 0.01 … 1, ρ = 0 and 0.9: every coordinate's mean and
// second moment within 4 standard errors (200 checks each).
func TestNUTSMVN100(t *testing.T) {
	if !long() {
		t.Skip("MCFLOW_LONG=1")
	}
	for _, rho := range []string{"0.0", "0.9"} {
		sum := runSummary(t, "seed = 7\n[model]\nkind = \"mvn\"\ndim = 100\nrho = "+rho+"\n[sampler]\nkind = \"nuts\"\nchains = 4\nthermalize = 2000\nsweeps = 10000\n")
		ex := sum.Exact.ValuesOf()
		for i := range 100 {
			for _, n := range []string{"x" + strconv.Itoa(i+1), "x" + strconv.Itoa(i+1) + "sq"} {
				e := sum.Observables[n]
				if d := math.Abs(float64(e.Mean - ex[n])); !(d <= 4*float64(e.Stderr)) {
					t.Errorf("rho = %s: %s = %s, exact %.5g (%.1f standard errors)", rho, n, results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex[n]), d/float64(e.Stderr))
				}
			}
		}
	}
}

// The states after divergent transitions of the centred funnel are
// written (chain, draw, state): as many rows as the divergent series
// counts, each the state recorded at its draw (measure_every = 1). The
// adapted step sizes and dense metrics of a NUTS run, given to another
// job as init_adapt with adapt = false, are kept as they are, and that
// job samples the correlated normal within 4 standard errors with no
// warmup at all.
func TestDivergencesAndInitAdapt(t *testing.T) {
	_, rep, lay := runJob(t, "seed = 3\n[model]\nkind = \"funnel\"\n[sampler]\nkind = \"nuts\"\nchains = 4\nthermalize = 1000\nsweeps = 2000\n")
	sum := rep.Tasks[0]
	rows, err := npy.Read(lay.Divergences(sum.Name))
	if err != nil {
		t.Fatal(err)
	}
	div, err := npy.Read(lay.NPY(sum.Name, "divergent"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := npy.Read(lay.NPY(sum.Name, "v"))
	total := 0
	for _, c := range div {
		for _, d := range c {
			total += int(d)
		}
	}
	if total == 0 || len(rows) != total {
		t.Fatalf("%d divergent states written, the series counts %d", len(rows), total)
	}
	for _, r := range rows {
		c, d := int(r[0]), int(r[1])
		if len(r) != 12 || c < 0 || c > 3 || d < 0 || d >= 2000 || div[c][d] == 0 || r[2] != v[c][d] {
			t.Fatalf("divergent state row %v: want chain, draw of a divergence, and v = %v there", r[:3], v[c][d])
		}
	}

	mvn := "[model]\nkind = \"mvn\"\ndim = 10\nscale_min = 0.1\nrho = 0.9\n[sampler]\nkind = \"nuts\"\ndense_metric = true\nchains = 4\n"
	_, rep, lay = runJob(t, "seed = 5\n"+mvn+"thermalize = 1000\nsweeps = 200\n")
	path := lay.Adapt(rep.Tasks[0].Name)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rep, lay = runJob(t, "seed = 6\n"+mvn+"thermalize = 0\nsweeps = 3000\nadapt = false\ninit_adapt = \""+path+"\"\n")
	if again, _ := os.ReadFile(lay.Adapt(rep.Tasks[0].Name)); string(again) != string(first) {
		t.Errorf("init_adapt with adapt = false: the step sizes and metrics changed:\n%s\nwant\n%s", again, first)
	}
	sum = rep.Tasks[0]
	ex := sum.Exact.ValuesOf()
	for i := range 10 {
		for _, n := range []string{"x" + strconv.Itoa(i+1), "x" + strconv.Itoa(i+1) + "sq"} {
			e := sum.Observables[n]
			if d := math.Abs(float64(e.Mean - ex[n])); !(d <= 4*float64(e.Stderr)) {
				t.Errorf("init_adapt: %s = %s, exact %.5f (%.1f standard errors)", n, results.PM(float64(e.Mean), float64(e.Stderr)), float64(ex[n]), d/float64(e.Stderr))
			}
		}
	}
	for _, c := range []struct{ doc, want string }{
		{strings.Replace(mvn, "dense_metric = true\n", "", 1) + "init_adapt = \"" + path + "\"\n", "set dense_metric = true"},
		{mvn + "eps = 0.3\ninit_adapt = \"" + path + "\"\n", "init_adapt sets the step sizes"},
		{strings.Replace(mvn, "dim = 10", "dim = 11", 1) + "init_adapt = \"" + path + "\"\n", "dimension 10, this one has 11"},
	} {
		dir := t.TempDir()
		s, err := job.Parse([]byte(c.doc), filepath.Join(dir, "job.toml"), dir)
		if err == nil {
			_, err = Run(context.Background(), s, Options{Out: filepath.Join(dir, "out"), Workers: 1, Task: -1, Progress: "none"})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one saying %q", c.doc, err, c.want)
		}
	}
}

package jobs

import (
	"math"
	"strconv"
	"testing"
)

// The calibration targets under adapted HMC: every coordinate of a
// correlated 10-dimensional normal (scales 0.1 … 1, ρ = 0.9) has mean 0
// and E[x_i²] = σ_i² within 4 standard errors, under HMC, MALA and NUTS; the non-centred funnel
// gives v's mean and second moment and P(|x₁| < c) at c = 0.1, 1, 10
// within 4 standard errors under HMC and NUTS (NUTS without a divergence);
// the centred funnel makes HMC and NUTS diverge, and the summary says so.
func TestCalibrationKinds(t *testing.T) {
	check := func(sum *TaskSummary, names []string) {
		t.Helper()
		ex := sum.Exact.valuesOf()
		for _, n := range names {
			e := sum.Observables[n]
			if d := math.Abs(float64(e.Mean - ex[n])); !(d <= 4*float64(e.Stderr)) {
				t.Errorf("%s: %s = %s, exact %.5f (%.1f standard errors)", sum.Model, n, PM(float64(e.Mean), float64(e.Stderr)), float64(ex[n]), d/float64(e.Stderr))
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
	check(sum, []string{"v", "v2", "x1_lt_0.1", "x1_lt_1", "x1_lt_10"})
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
	check(sum, []string{"v", "v2", "x1_lt_0.1", "x1_lt_1", "x1_lt_10"})
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
		ex := sum.Exact.valuesOf()
		for i := range 100 {
			for _, n := range []string{"x" + strconv.Itoa(i+1), "x" + strconv.Itoa(i+1) + "sq"} {
				e := sum.Observables[n]
				if d := math.Abs(float64(e.Mean - ex[n])); !(d <= 4*float64(e.Stderr)) {
					t.Errorf("rho = %s: %s = %s, exact %.5g (%.1f standard errors)", rho, n, PM(float64(e.Mean), float64(e.Stderr)), float64(ex[n]), d/float64(e.Stderr))
				}
			}
		}
	}
}

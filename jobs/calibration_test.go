package jobs

import (
	"math"
	"strconv"
	"testing"
)

// The calibration targets under adapted HMC: every coordinate of a
// correlated 10-dimensional normal (scales 0.1 … 1, ρ = 0.9) has mean 0
// and E[x_i²] = σ_i² within 4 standard errors, under HMC and MALA; the non-centred funnel
// gives v's mean and second moment and P(|x₁| < c) at c = 0.1, 1, 10
// within 4 standard errors; the centred funnel makes HMC diverge, and
// the summary says so.
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
	sum = runSummary(t, "seed = 3\n[model]\nkind = \"funnel\"\ncentered = false\n[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 1000\nsweeps = 5000\nsteps = 0\nlength = 1.5\n")
	check(sum, []string{"v", "v2", "x1_lt_0.1", "x1_lt_1", "x1_lt_10"})
	sum = runSummary(t, "seed = 3\n[model]\nkind = \"funnel\"\n[sampler]\nkind = \"hmc\"\nchains = 4\nthermalize = 1000\nsweeps = 2000\nsteps = 0\nlength = 1.5\n")
	if sum.Divergences == nil || *sum.Divergences == 0 || !hasPrefix(sum.Warnings, "divergences") {
		t.Errorf("centred funnel: %v divergences, warnings %q", sum.Divergences, sum.Warnings)
	}
}

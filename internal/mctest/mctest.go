// Package mctest holds the checks that the samplers' tests share: the
// moments of a two-dimensional target run on the pool, their comparison
// with exact values within 4 standard errors, and the Kolmogorov–Smirnov
// distance of a sample to a normal law.
package mctest

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
)

// Moments2D runs chains of a two-dimensional target (whose Observe starts
// with x1, x2) on a pool of 2 workers and returns x1, x2, x1², x2² and
// x1x2 per chain and draw, and the mean of the third series (the
// sampler's acceptance, where it has one; NaN entries skipped).
func Moments2D(t *testing.T, chains []mc.Chain, plan mc.Plan) (map[string][][]float64, float64) {
	t.Helper()
	obs := map[string][][]float64{}
	for _, n := range []string{"x1", "x2", "x1x1", "x2x2", "x1x2"} {
		obs[n] = make([][]float64, len(chains))
		for c := range chains {
			obs[n][c] = make([]float64, plan.Draws)
		}
	}
	var accSum float64
	var accN int
	nobs := len(chains[0].Observe(nil)) // x1, x2, the sampler's series (nothing stepped yet)
	pool := &mc.Pool{Chains: chains, Workers: 2, NObs: nobs}
	_, err := pool.Run(context.Background(), plan, mc.Progress{}, func(_ mc.Progress, b mc.Block) error {
		for c, buf := range b.Obs {
			for r := range b.Rounds {
				x1, x2 := buf[r*nobs], buf[r*nobs+1]
				if nobs > 2 && !math.IsNaN(buf[r*nobs+2]) {
					accSum += buf[r*nobs+2]
					accN++
				}
				i := b.From + r
				obs["x1"][c][i], obs["x2"][c][i] = x1, x2
				obs["x1x1"][c][i], obs["x2x2"][c][i], obs["x1x2"][c][i] = x1*x1, x2*x2, x1*x2
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return obs, accSum / float64(accN)
}

// Agree checks the moments of Moments2D against exact ones (quadrature)
// within 4 standard errors (τ_int from the chains), logging every
// comparison.
func Agree(t *testing.T, obs map[string][][]float64, want exact.Moments2D) {
	t.Helper()
	for _, c := range []struct {
		Name string
		Want float64
	}{{"x1", want.Mean[0]}, {"x2", want.Mean[1]}, {"x1x1", want.Second[0]}, {"x2x2", want.Second[1]}, {"x1x2", want.Second[2]}} {
		e := stats.Summarize(obs[c.Name])
		z := (e.Mean - c.Want) / e.Stderr
		t.Logf("E[%s] = %.4f ± %.4f, exact %.4f (%.1f σ), tau %.1f", c.Name, e.Mean, e.Stderr, c.Want, z, e.TauInt)
		if math.Abs(z) > 4 {
			t.Errorf("E[%s] = %.4f ± %.4f, exact %.4f (%.1f σ)", c.Name, e.Mean, e.Stderr, c.Want, z)
		}
	}
}

// KSNormal returns the Kolmogorov–Smirnov distance of v to N(0, sd²).
func KSNormal(v []float64, sd float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	var d float64
	n := float64(len(s))
	for i, x := range s {
		f := 0.5 * math.Erfc(-x/(sd*math.Sqrt2))
		d = math.Max(d, math.Max(math.Abs(f-float64(i)/n), math.Abs(float64(i+1)/n-f)))
	}
	return d
}

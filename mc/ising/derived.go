package ising

import (
	"math"

	"github.com/mcflow/mcflow/mc/stats"
)

// DerivedNames are the derived quantities of Derived, in order.
var DerivedNames = []string{"C", "chi", "U4"}

// Derived returns the specific heat, susceptibility and Binder cumulant per
// site with jackknife errors, from the recorded observables obs[name][chain][draw]:
//
//	C   = β² N (⟨e²⟩ − ⟨e⟩²)
//	chi = β N (⟨m2⟩ − ⟨absm⟩²)
//	U4  = 1 − ⟨m⁴⟩ / (3⟨m2⟩²)
//
// Jackknife blocks are ⌈5 τ_int⌉ of the slowest input long
// (stats.JackknifeValue), flagged when there are too few of them.
func Derived(p Params, obs map[string][][]float64) map[string]stats.Value {
	return DerivedSites(p.L*p.L, p.Beta, obs)
}

// DerivedSites is Derived for any spin model of n sites at inverse
// temperature beta whose observables include e, absm and m2 per site (the
// Potts, XY and 3D Ising models' too).
func DerivedSites(sites int, beta float64, obs map[string][][]float64) map[string]stats.Value {
	n := float64(sites)
	e, m2, absm := obs["e"], obs["m2"], obs["absm"]
	square := func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for c, s := range x {
			out[c] = make([]float64, len(s))
			for i, v := range s {
				out[c][i] = v * v
			}
		}
		return out
	}
	jk := func(series [][][]float64, f func([]float64) float64) stats.Value {
		if len(series[0]) == 0 || len(series[0][0]) == 0 {
			return stats.Value{Value: math.NaN(), Stderr: math.NaN()}
		}
		return stats.JackknifeValue(series, f)
	}
	return map[string]stats.Value{
		"C": jk([][][]float64{e, square(e)}, func(mu []float64) float64 {
			return beta * beta * n * (mu[1] - mu[0]*mu[0])
		}),
		"chi": jk([][][]float64{m2, absm}, func(mu []float64) float64 {
			return beta * n * (mu[0] - mu[1]*mu[1])
		}),
		"U4": jk([][][]float64{m2, square(m2)}, func(mu []float64) float64 {
			return 1 - mu[1]/(3*mu[0]*mu[0])
		}),
	}
}

// Package ising samples the two-dimensional Ising model
//
//	E(s) = -J Σ_<ij> s_i s_j - h Σ_i s_i,   s_i = ±1,
//
// on an L×L torus at inverse temperature β, with p(s) ∝ exp(-βE(s)).
//
// # Samplers
//
// Metropolis: checkerboard sweeps (all sites of one colour, then the other)
// with single-spin-flip acceptance min(1, exp(-βΔE)) read from a table of
// 64-bit thresholds: each attempt draws one 64-bit number u and flips iff
// u < threshold, branch-free (bias at most 2⁻⁶⁴ per decision). One step is
// one sweep of L² attempted flips.
//
// Wolff: single-cluster updates with bond probability 1 - exp(-2βJ)
// (J > 0, h = 0). One step is one cluster flip; the mean cluster size per
// measurement interval is recorded as the observable "cluster".
//
// # Observables
//
// e = E/N (field term included), m = M/N, absm = |M|/N, m2 = (M/N)², with
// N = L².
package ising

// Package stats estimates Monte Carlo errors from several chains of
// correlated draws, chains[c][t]:
//
//   - Autocov: the biased autocovariance of one chain, by FFT;
//   - TauInt: the integrated autocorrelation time τ_int = 1 + 2Σρ_t by
//     Geyer's initial monotone sequence on the chain-averaged
//     autocorrelation, as Stan and ArviZ compute it (without splitting
//     chains), and ESS = chains·draws/τ_int;
//   - TauSokal: τ_int by Sokal's automatic window, the smallest W with
//     W >= c·τ(W);
//   - Rhat: the rank-normalised split R-hat of Vehtari et al. (2021), the
//     larger of the bulk and tail values, as ArviZ's rhat(method="rank");
//   - BinnedError and Jackknife: errors of means and of nonlinear functions
//     of means from blocks of consecutive draws.
package stats

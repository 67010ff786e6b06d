package stats

import "math"

// BinnedError returns the standard error of the mean of all draws from the
// means of bins of b consecutive draws of each chain (draws that do not
// fill a bin are left out): sd(bin means)/√bins. NaN with fewer than 2 bins.
func BinnedError(chains [][]float64, b int) float64 {
	_, n := shape(chains)
	if b < 1 || n/b < 1 {
		return math.NaN()
	}
	var bins []float64
	for _, x := range chains {
		for i := 0; i+b <= n; i += b {
			bins = append(bins, Mean(x[i:i+b]))
		}
	}
	if len(bins) < 2 {
		return math.NaN()
	}
	return math.Sqrt(variance(bins) / float64(len(bins)))
}

// Jackknife returns f of the means of the series and its jackknife error
// from blocks of bl consecutive draws of every chain (all of equal length;
// draws past the last whole block of a chain stay in every leave-one-out
// mean, and the value uses all draws). series[k][c][t] is draw t of chain
// c of the k-th input; f receives the k means. Blocks should be at least
// 5τ_int long and number at least MinBlocks (Reliable); blocks is their
// number. The error is NaN with fewer than 2 blocks.
func Jackknife(series [][][]float64, bl int, f func(means []float64) float64) (value, stderr float64, blocks int) {
	nk := len(series)
	if nk == 0 {
		return math.NaN(), math.NaN(), 0
	}
	m, n := shape(series[0])
	bl = max(1, min(bl, n))
	nb := 0
	if n > 0 {
		nb = n / bl
	}
	nblocks := m * nb
	sums := make([][]float64, nblocks) // sums[j][k]
	for j := range sums {
		sums[j] = make([]float64, nk)
	}
	total := make([]float64, nk)
	for k, ch := range series {
		for c, x := range ch {
			if len(x) != n {
				panic("stats: jackknife series of unequal shape")
			}
			for i, v := range x {
				total[k] += v
				if b := i / bl; b < nb {
					sums[c*nb+b][k] += v
				}
			}
		}
	}
	ntotal := float64(m * n)
	means := make([]float64, nk)
	for k := range means {
		means[k] = total[k] / ntotal
	}
	value = f(means)
	if nblocks < 2 {
		return value, math.NaN(), nblocks
	}
	loo := make([]float64, nblocks)
	var avg float64
	for j := range loo {
		for k := range means {
			means[k] = (total[k] - sums[j][k]) / (ntotal - float64(bl))
		}
		loo[j] = f(means)
		avg += loo[j] / float64(nblocks)
	}
	var ss float64
	for _, v := range loo {
		ss += (v - avg) * (v - avg)
	}
	return value, math.Sqrt(float64(nblocks-1) / float64(nblocks) * ss), nblocks
}

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
// from nb blocks per chain. series[k][c][t] is draw t of chain c of the k-th
// input; f receives the k means. Blocks should be several τ_int long.
func Jackknife(series [][][]float64, nb int, f func(means []float64) float64) (value, stderr float64) {
	nk := len(series)
	if nk == 0 {
		return math.NaN(), math.NaN()
	}
	m, n := shape(series[0])
	nb = max(1, min(nb, n))
	bl := n / nb // draws per block; the last block takes the remainder
	nblocks := m * nb
	sums := make([][]float64, nblocks) // sums[j][k]
	counts := make([]float64, nblocks)
	total := make([]float64, nk)
	var ntotal float64
	for j := range sums {
		sums[j] = make([]float64, nk)
	}
	for k, ch := range series {
		for c, x := range ch {
			if len(x) != n {
				panic("stats: jackknife series of unequal shape")
			}
			for b := range nb {
				lo, hi := b*bl, (b+1)*bl
				if b == nb-1 {
					hi = n
				}
				j := c*nb + b
				var s float64
				for _, v := range x[lo:hi] {
					s += v
				}
				sums[j][k] = s
				total[k] += s
				if k == 0 {
					counts[j] = float64(hi - lo)
					ntotal += counts[j]
				}
			}
		}
	}
	means := make([]float64, nk)
	for k := range means {
		means[k] = total[k] / ntotal
	}
	value = f(means)
	if nblocks < 2 {
		return value, math.NaN()
	}
	loo := make([]float64, nblocks)
	var avg float64
	for j := range loo {
		for k := range means {
			means[k] = (total[k] - sums[j][k]) / (ntotal - counts[j])
		}
		loo[j] = f(means)
		avg += loo[j] / float64(nblocks)
	}
	var ss float64
	for _, v := range loo {
		ss += (v - avg) * (v - avg)
	}
	return value, math.Sqrt(float64(nblocks-1) / float64(nblocks) * ss)
}

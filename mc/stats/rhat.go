package stats

import (
	"cmp"
	"math"
	"slices"
)

// Rhat returns the rank-normalised split R-hat: the larger of the bulk
// R-hat (split chains, rank-normalised) and the tail R-hat (the same on
// |x − median|), as ArviZ's rhat(method="rank"). Values above 1.01 flag
// chains that have not mixed. NaN for fewer than 4 draws or when a draw
// is NaN.
func Rhat(chains [][]float64) float64 {
	m, n := shape(chains)
	if m == 0 || n < 4 {
		return math.NaN()
	}
	for _, c := range chains {
		if slices.ContainsFunc(c, math.IsNaN) {
			return math.NaN()
		}
	}
	split := splitChains(chains)
	bulk := rhatBasic(rankNormalize(split))
	med := median(chains)
	folded := make([][]float64, len(split))
	for i, c := range split {
		f := make([]float64, len(c))
		for j, v := range c {
			f[j] = math.Abs(v - med)
		}
		folded[i] = f
	}
	tail := rhatBasic(rankNormalize(folded))
	if math.IsNaN(bulk) || math.IsNaN(tail) {
		return math.NaN()
	}
	return math.Max(bulk, tail)
}

// splitChains cuts every chain into its first and second half (dropping
// the middle draw of an odd length).
func splitChains(chains [][]float64) [][]float64 {
	out := make([][]float64, 0, 2*len(chains))
	for _, c := range chains {
		h := len(c) / 2
		out = append(out, c[:h], c[len(c)-h:])
	}
	return out
}

func median(chains [][]float64) float64 {
	var all []float64
	for _, c := range chains {
		all = append(all, c...)
	}
	slices.Sort(all)
	k := len(all)
	if k%2 == 1 {
		return all[k/2]
	}
	return (all[k/2-1] + all[k/2]) / 2
}

// rankNormalize replaces every draw by Φ⁻¹((r − 3/8)/(S + 1/4)), r its
// average rank among all S draws.
func rankNormalize(chains [][]float64) [][]float64 {
	type item struct {
		v    float64
		c, i int
	}
	var all []item
	for c, x := range chains {
		for i, v := range x {
			all = append(all, item{v, c, i})
		}
	}
	slices.SortFunc(all, func(a, b item) int { return cmp.Compare(a.v, b.v) })
	out := make([][]float64, len(chains))
	for c, x := range chains {
		out[c] = make([]float64, len(x))
	}
	s := float64(len(all))
	for lo := 0; lo < len(all); {
		hi := lo + 1 // (NaN equals nothing, not even itself)
		for hi < len(all) && all[hi].v == all[lo].v {
			hi++
		}
		r := float64(lo+1+hi) / 2                             // average of ranks lo+1..hi
		z := math.Sqrt2 * math.Erfinv(2*(r-0.375)/(s+0.25)-1) // Φ⁻¹

		for _, it := range all[lo:hi] {
			out[it.c][it.i] = z
		}
		lo = hi
	}
	return out
}

// rhatBasic is Gelman–Rubin's potential scale reduction of m chains.
func rhatBasic(chains [][]float64) float64 {
	m, n := shape(chains)
	means := make([]float64, m)
	var w float64
	for c, x := range chains {
		means[c] = Mean(x)
		w += variance(x) / float64(m)
	}
	b := float64(n) * variance(means)
	if !(w > 0) {
		return math.NaN()
	}
	fn := float64(n)
	return math.Sqrt(((fn-1)/fn*w + b/fn) / w)
}

// ESSBulk returns the bulk effective sample size of Vehtari et al. (2021):
// the ESS of the rank-normalised split chains, as ArviZ's
// ess(method="bulk"). NaN for fewer than 4 draws per split chain or a NaN
// draw.
func ESSBulk(chains [][]float64) float64 {
	split, ok := splitForESS(chains)
	if !ok {
		return math.NaN()
	}
	return essOf(rankNormalize(split))
}

// ESSTail returns the tail effective sample size of Vehtari et al. (2021):
// the smaller of the ESS of the indicators x ≤ q₀.₀₅ and x ≤ q₀.₉₅ on
// split chains, as ArviZ's ess(method="tail"). An indicator that never
// changes (a discrete observable whose quantile is its extreme value)
// carries no autocorrelation and counts as all draws.
func ESSTail(chains [][]float64) float64 {
	split, ok := splitForESS(chains)
	if !ok {
		return math.NaN()
	}
	var all []float64
	for _, c := range chains {
		all = append(all, c...)
	}
	slices.Sort(all)
	ess := math.Inf(1)
	for _, p := range []float64{0.05, 0.95} {
		q := quantile(all, p)
		ind := make([][]float64, len(split))
		for i, c := range split {
			ind[i] = make([]float64, len(c))
			for j, v := range c {
				if v <= q {
					ind[i][j] = 1
				}
			}
		}
		if e := essOf(ind); !math.IsNaN(e) {
			ess = math.Min(ess, e)
		}
	}
	if math.IsInf(ess, 1) {
		return float64(len(all))
	}
	return ess
}

func splitForESS(chains [][]float64) ([][]float64, bool) {
	m, n := shape(chains)
	if m == 0 || n < 8 {
		return nil, false
	}
	for _, c := range chains {
		if slices.ContainsFunc(c, math.IsNaN) {
			return nil, false
		}
	}
	return splitChains(chains), true
}

// essOf is the ESS of chains: draws/τ_int (Geyer's initial monotone
// sequence on the chain-averaged autocorrelation); a constant series (an
// indicator that never changes) has τ_int NaN and gives NaN.
func essOf(chains [][]float64) float64 {
	m, n := shape(chains)
	return float64(m*n) / tauGeyer(chains, meanAutocov(chains))
}

// quantile is the p-quantile of sorted data by linear interpolation
// (numpy's default, which ArviZ uses).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
}

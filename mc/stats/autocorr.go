package stats

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Autocov returns the biased autocovariance of x,
//
//	acov[t] = (1/n) Σ_{i<n-t} (x_i − x̄)(x_{i+t} − x̄),   t = 0..n-1,
//
// computed by FFT with zero padding in O(n log n).
func Autocov(x []float64) []float64 {
	n := len(x)
	if n == 0 {
		return nil
	}
	m := 1
	for m < 2*n {
		m <<= 1
	}
	mean := Mean(x)
	seq := make([]float64, m)
	for i, v := range x {
		seq[i] = v - mean
	}
	fft := fourier.NewFFT(m)
	coef := fft.Coefficients(nil, seq)
	for i, c := range coef {
		coef[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
	}
	fft.Sequence(seq, coef)
	acov := make([]float64, n)
	for t := range acov {
		acov[t] = seq[t] / float64(m) / float64(n)
	}
	return acov
}

// Mean returns the arithmetic mean of x.
func Mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// variance returns the unbiased (ddof = 1) variance of x.
func variance(x []float64) float64 {
	m := Mean(x)
	var s float64
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x)-1)
}

func shape(chains [][]float64) (m, n int) {
	m = len(chains)
	if m == 0 {
		return 0, 0
	}
	n = len(chains[0])
	for _, c := range chains {
		if len(c) != n {
			panic("stats: chains of unequal length")
		}
	}
	return m, n
}

// TauInt returns τ_int of the chains by Geyer's initial monotone sequence
// on the chain-averaged autocorrelation, with Stan's combination of within-
// and between-chain variance:
//
//	ρ_t = 1 − (W − mean_c acov_c[t]) / var⁺,   var⁺ = (n−1)/n W + B/n.
//
// It returns NaN for fewer than 4 draws or a constant series.
func TauInt(chains [][]float64) float64 {
	m, n := shape(chains)
	if m == 0 || n < 4 {
		return math.NaN()
	}
	return tauGeyer(chains, meanAutocov(chains))
}

// meanAutocov returns the chain average of the chains' autocovariances.
func meanAutocov(chains [][]float64) []float64 {
	m, n := shape(chains)
	acov := make([]float64, n)
	for _, x := range chains {
		for t, a := range Autocov(x) {
			acov[t] += a / float64(m)
		}
	}
	return acov
}

func tauGeyer(chains [][]float64, acov []float64) float64 {
	m, n := shape(chains)
	if m == 0 || n < 4 {
		return math.NaN()
	}
	means := make([]float64, m)
	for c, x := range chains {
		means[c] = Mean(x)
	}
	fn := float64(n)
	meanVar := acov[0] * fn / (fn - 1)
	varPlus := meanVar * (fn - 1) / fn
	if m > 1 {
		varPlus += variance(means)
	}
	if !(varPlus > 0) {
		return math.NaN()
	}
	rho := make([]float64, n)
	rho[0] = 1
	even, odd := 1.0, 1-(meanVar-acov[1])/varPlus
	rho[1] = odd
	t := 1
	for t < n-3 && even+odd > 0 {
		even = 1 - (meanVar-acov[t+1])/varPlus
		odd = 1 - (meanVar-acov[t+2])/varPlus
		if even+odd >= 0 {
			rho[t+1], rho[t+2] = even, odd
		}
		t += 2
	}
	maxT := t - 2
	if even > 0 {
		rho[maxT+1] = even
	}
	// Initial monotone sequence: pair sums may not increase.
	for t := 1; t <= maxT-2; t += 2 {
		if rho[t+1]+rho[t+2] > rho[t-1]+rho[t] {
			rho[t+1] = (rho[t-1] + rho[t]) / 2
			rho[t+2] = rho[t+1]
		}
	}
	tau := -1.0
	for _, r := range rho[:maxT+1] {
		tau += 2 * r
	}
	tau += rho[maxT+1]
	return math.Max(tau, 1/math.Log10(float64(m*n)))
}

// ESS returns chains·draws/τ_int.
func ESS(chains [][]float64) float64 {
	m, n := shape(chains)
	return float64(m*n) / TauInt(chains)
}

// TauSokal returns τ_int = 1 + 2Σ_{t=1}^{W} ρ_t with Sokal's automatic
// window: the smallest W with W >= c·τ(W) (c = 5 is customary), ρ the
// chain-averaged autocorrelation. NaN for a constant series or when no
// window fits in the series.
func TauSokal(chains [][]float64, c float64) float64 {
	m, n := shape(chains)
	if m == 0 || n < 2 {
		return math.NaN()
	}
	return tauSokal(meanAutocov(chains), c)
}

func tauSokal(acov []float64, c float64) float64 {
	n := len(acov)
	if n < 2 || !(acov[0] > 0) {
		return math.NaN()
	}
	tau := 1.0
	for w := 1; w < n; w++ {
		tau += 2 * acov[w] / acov[0]
		if float64(w) >= c*tau {
			return tau
		}
	}
	return math.NaN()
}

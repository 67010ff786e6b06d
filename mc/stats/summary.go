package stats

import "math"

// Estimate summarises one observable over several chains.
type Estimate struct {
	Mean   float64 `json:"mean"`
	Stderr float64 `json:"stderr"` // sd·√(τ_int/(chains·draws))
	// StderrBinning is the error from bins of at least 5·τ_int draws, a
	// check on Stderr that does not rely on the autocorrelation estimate.
	StderrBinning float64 `json:"stderr_binning"`
	TauInt        float64 `json:"tau_int"`
	ESS           float64 `json:"ess"`
	TauSokal      float64 `json:"tau_sokal"`
	Rhat          float64 `json:"rhat"`
	N             int     `json:"n"`
}

// Summarize estimates the mean of the chains and its error.
func Summarize(chains [][]float64) Estimate {
	m, n := shape(chains)
	e := Estimate{N: m * n}
	if e.N == 0 {
		nan := math.NaN()
		return Estimate{nan, nan, nan, nan, nan, nan, nan, 0}
	}
	var all []float64
	for _, c := range chains {
		all = append(all, c...)
	}
	e.Mean = Mean(all)
	acov := meanAutocov(chains)
	e.TauInt = math.NaN()
	if n >= 4 {
		e.TauInt = tauGeyer(chains, acov)
	}
	e.ESS = float64(e.N) / e.TauInt
	e.TauSokal = tauSokal(acov, 5)
	e.Rhat = Rhat(chains)
	sd := 0.0
	if e.N > 1 {
		sd = math.Sqrt(variance(all))
	}
	switch {
	case sd == 0:
		// A constant series: the mean is exact.
		e.Stderr, e.StderrBinning = 0, 0
	default:
		e.Stderr = sd * math.Sqrt(e.TauInt/float64(e.N))
		e.StderrBinning = BinnedError(chains, BlockLen(e.TauInt, n))
	}
	return e
}

// BlockLen is the bin length used for errors of data with autocorrelation
// time tau: the smallest power of two at least 5·τ, at most n/4 (so that
// every chain gives four bins or more).
func BlockLen(tau float64, n int) int {
	if math.IsNaN(tau) {
		tau = 1
	}
	b := 1
	for float64(b) < 5*tau && b*8 <= n {
		b *= 2
	}
	return b
}

// Value is a derived quantity with its error.
type Value struct {
	Value  float64 `json:"value"`
	Stderr float64 `json:"stderr"`
}

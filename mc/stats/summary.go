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
	// ESSBulk and ESSTail are the rank-normalised ESS of Vehtari et al.
	// (2021), as ArviZ computes them.
	ESSBulk float64 `json:"ess_bulk"`
	ESSTail float64 `json:"ess_tail"`
	// BinLen and Bins are the bins of StderrBinning: BinLen = ⌈5·τ_int⌉
	// draws, capped at the chains' length; Bins of them in all. Fewer than
	// MinBlocks, or bins shorter than 5·τ_int, make the error unreliable
	// (Reliable).
	BinLen int `json:"bin_len"`
	Bins   int `json:"bins"`
}

// MinBlocks is the fewest bins or jackknife blocks an error may come from.
const MinBlocks = 20

// Reliable reports whether an error from blocks of length bl (blocks of
// them) of data with autocorrelation time tau can be trusted: the blocks
// are at least 5τ long and there are at least MinBlocks of them.
func Reliable(tau float64, bl, blocks int) bool {
	return blocks >= MinBlocks && !(float64(bl) < 5*tau)
}

// Summarize estimates the mean of the chains and its error.
func Summarize(chains [][]float64) Estimate {
	m, n := shape(chains)
	e := Estimate{N: m * n}
	if e.N == 0 {
		nan := math.NaN()
		return Estimate{nan, nan, nan, nan, nan, nan, nan, 0, nan, nan, 0, 0}
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
	e.ESSBulk, e.ESSTail = ESSBulk(chains), ESSTail(chains)
	e.BinLen = BlockLen(e.TauInt, n)
	e.Bins = m * (n / e.BinLen)
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
		e.StderrBinning = BinnedError(chains, e.BinLen)
	}
	return e
}

// BlockLen is the bin (or jackknife block) length for errors of chains of
// n draws with autocorrelation time tau: ⌈5τ⌉, never capped below that
// except by n itself (one block per chain). Whether there are enough such
// blocks is the caller's to check (Reliable); a NaN tau (a constant or
// too short series) gives 1.
func BlockLen(tau float64, n int) int {
	if math.IsNaN(tau) || tau < 0.2 {
		return 1
	}
	return max(1, min(n, int(math.Ceil(5*tau))))
}

// Value is a derived quantity with its error.
type Value struct {
	Value  float64 `json:"value"`
	Stderr float64 `json:"stderr"`
	// The jackknife's blocks: BlockLen draws each, Blocks of them; the
	// error is reliable when BlockLen >= 5·Tau and Blocks >= MinBlocks.
	BlockLen int     `json:"block_len,omitempty"`
	Blocks   int     `json:"blocks,omitempty"`
	Tau      float64 `json:"tau_int,omitempty"`
}

// Reliable reports whether the error of v came from enough long blocks.
func (v Value) Reliable() bool { return Reliable(v.Tau, v.BlockLen, v.Blocks) }

// JackknifeValue is f of the means of the series with its jackknife error
// from blocks of ⌈5τ_int⌉ draws, τ_int the largest of the inputs'.
func JackknifeValue(series [][][]float64, f func(means []float64) float64) Value {
	tau := 1.0
	for _, x := range series {
		if t := TauInt(x); t > tau {
			tau = t
		}
	}
	_, n := shape(series[0])
	bl := BlockLen(tau, n)
	v, se, nb := Jackknife(series, bl, f)
	return Value{Value: v, Stderr: se, BlockLen: bl, Blocks: nb, Tau: tau}
}

package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ar1 returns m chains of n draws of x_t = ρ x_{t−1} + √(1−ρ²) ε_t + mu,
// started in equilibrium; τ_int = (1+ρ)/(1−ρ), var = 1.
func ar1(rng *rand.Rand, m, n int, rho float64, mu []float64) [][]float64 {
	out := make([][]float64, m)
	s := math.Sqrt(1 - rho*rho)
	for c := range out {
		x := rng.NormFloat64()
		out[c] = make([]float64, n)
		for t := range out[c] {
			x = rho*x + s*rng.NormFloat64()
			out[c][t] = x
			if mu != nil {
				out[c][t] += mu[c]
			}
		}
	}
	return out
}

func TestAutocovDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 37)
	for i := range x {
		x[i] = rng.Float64()
	}
	got := Autocov(x)
	m := Mean(x)
	for k := range x {
		var want float64
		for i := 0; i+k < len(x); i++ {
			want += (x[i] - m) * (x[i+k] - m)
		}
		want /= float64(len(x))
		if math.Abs(got[k]-want) > 1e-14 {
			t.Fatalf("acov[%d] = %v, want %v", k, got[k], want)
		}
	}
}

func TestTauAR1(t *testing.T) {
	for _, tc := range []struct {
		name string
		rho  float64
		m, n int
	}{
		{"rho=0.5/1x1e6", 0.5, 1, 1_000_000},
		{"rho=0.9/1x1e6", 0.9, 1, 1_000_000},
		{"rho=0.9/4x250000", 0.9, 4, 250_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(tc.m)))
			ch := ar1(rng, tc.m, tc.n, tc.rho, nil)
			want := (1 + tc.rho) / (1 - tc.rho)
			for name, got := range map[string]float64{
				"geyer": TauInt(ch),
				"sokal": TauSokal(ch, 5),
			} {
				if math.Abs(got-want) > 0.1*want {
					t.Errorf("%s tau_int = %.3f, want %.3f ± 10%%", name, got, want)
				}
			}
			ess := ESS(ch)
			if wantESS := float64(tc.m*tc.n) / want; math.Abs(ess-wantESS) > 0.1*wantESS {
				t.Errorf("ESS = %.0f, want %.0f ± 10%%", ess, wantESS)
			}
			e := Summarize(ch)
			wantErr := math.Sqrt(want / float64(tc.m*tc.n))
			for name, got := range map[string]float64{"stderr": e.Stderr, "binning": e.StderrBinning} {
				if math.Abs(got-wantErr) > 0.1*wantErr {
					t.Errorf("%s error of the mean = %.3g, want %.3g ± 10%%", name, got, wantErr)
				}
			}
		})
	}
}

func TestRhat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	same := ar1(rng, 4, 2000, 0.5, nil)
	if r := Rhat(same); !(r < 1.01) {
		t.Errorf("R-hat of mixed chains = %v, want < 1.01", r)
	}
	shifted := ar1(rng, 4, 2000, 0.5, []float64{0, 0, 0, 1})
	if r := Rhat(shifted); !(r > 1.05) {
		t.Errorf("R-hat of a chain shifted by one standard deviation = %v, want > 1.05", r)
	}
	// Same mean, different spread: caught by the tail R-hat.
	wide := ar1(rng, 4, 2000, 0.5, nil)
	for i := range wide[0] {
		wide[0][i] *= 3
	}
	if r := Rhat(wide); !(r > 1.05) {
		t.Errorf("R-hat of a chain 3x wider = %v, want > 1.05", r)
	}
}

// TestJackknife checks the error of f(μ) = μ² for iid normal draws of mean
// 2: the delta method gives 2μσ/√N.
func TestJackknife(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const m, n = 4, 25000
	ch := ar1(rng, m, n, 0, []float64{2, 2, 2, 2})
	v, se, nb := Jackknife([][][]float64{ch}, n/32, func(mu []float64) float64 { return mu[0] * mu[0] })
	if nb != 128 {
		t.Errorf("%d blocks, want 128", nb)
	}
	want := 2 * 2 / math.Sqrt(m*n)
	if math.Abs(v-4) > 4*want {
		t.Errorf("mean² = %v, want 4 ± %v", v, 4*want)
	}
	// The relative error of a jackknife error from 128 blocks is ~1/√(2·128) ≈ 6%.
	if math.Abs(se-want) > 0.25*want {
		t.Errorf("jackknife error = %v, want %v ± 25%%", se, want)
	}
}

// A NaN draw gives NaN, not a hang.
func TestRhatNaN(t *testing.T) {
	c := [][]float64{{1, 2, math.NaN(), 4, 5, 6}, {2, 3, 4, 5, 6, 7}}
	if r := Rhat(c); !math.IsNaN(r) {
		t.Errorf("Rhat with a NaN draw = %v", r)
	}
	if z := rankNormalize([][]float64{{math.NaN(), 1, math.NaN()}}); len(z[0]) != 3 {
		t.Error("rankNormalize")
	}
}

// Blocks are never silently shorter than 5·τ_int: BlockLen follows τ to
// the chains' length, and Reliable says when there are too few blocks.
func TestBlockLen(t *testing.T) {
	for _, c := range []struct {
		tau  float64
		n    int
		want int
	}{{1, 10000, 5}, {100.3, 10000, 502}, {3000, 10000, 10000}, {math.NaN(), 100, 1}} {
		if got := BlockLen(c.tau, c.n); got != c.want {
			t.Errorf("BlockLen(%v, %d) = %d, want %d", c.tau, c.n, got, c.want)
		}
	}
	if !Reliable(10, 50, 20) || Reliable(10, 49, 20) || Reliable(10, 50, 19) {
		t.Error("Reliable: blocks of >= 5τ, >= 20 of them")
	}
	// A slow AR(1) chain: its binning error is flagged, not shortened.
	rng := rand.New(rand.NewPCG(3, 9))
	e := Summarize(ar1(rng, 2, 4000, 0.995, nil))
	if e.BinLen < int(5*e.TauInt) || Reliable(e.TauInt, e.BinLen, e.Bins) {
		t.Errorf("tau %.0f: bins of %d draws, %d of them: want >= 5τ and flagged", e.TauInt, e.BinLen, e.Bins)
	}
}

// Jackknife blocks have equal length: with a remainder the leftover draws
// count in the value and every leave-one-out mean. For f = identity the
// jackknife error is the binning error of the same B blocks of b draws
// times (B−1)b/(N−b), N all draws (1 without a remainder).
func TestJackknifeEqualBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	ch := ar1(rng, 3, 1003, 0, nil) // 1003 = 10·100 + 3
	v, se, nb := Jackknife([][][]float64{ch}, 100, func(mu []float64) float64 { return mu[0] })
	var all []float64
	for _, c := range ch {
		all = append(all, c...)
	}
	if nb != 30 || math.Abs(v-Mean(all)) > 1e-15 {
		t.Errorf("value %v (mean of all draws %v), %d blocks (want 30)", v, Mean(all), nb)
	}
	var trimmed [][]float64
	for _, c := range ch {
		trimmed = append(trimmed, c[:1000])
	}
	if b := BinnedError(trimmed, 100) * 29 * 100 / (3009 - 100); math.Abs(se-b) > 1e-12 {
		t.Errorf("jackknife error of the mean %v, from the binning error of the same blocks %v", se, b)
	}
}

// ESSBulk and ESSTail of iid and AR(1) chains: N and N(1−ρ)/(1+ρ) within
// their sampling error (a few percent at these lengths).
func TestESSBulkTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, rho := range []float64{0, 0.8} {
		ch := ar1(rng, 4, 20000, rho, nil)
		want := 80000 * (1 - rho) / (1 + rho)
		bulk, tail := ESSBulk(ch), ESSTail(ch)
		if math.Abs(bulk/want-1) > 0.1 {
			t.Errorf("rho %v: ess_bulk %.0f, want %.0f ± 10%%", rho, bulk, want)
		}
		// The indicators of the 5% tails of an AR(1) process are less
		// correlated than the process: ESS between want and N.
		if !(tail > 0.85*want && tail < 1.1*80000) {
			t.Errorf("rho %v: ess_tail %.0f, want between %.0f and 80000", rho, tail, 0.85*want)
		}
	}
	// Chains stuck in different places: R-hat large, bulk ESS tiny.
	stuck := ar1(rng, 4, 2000, 0.5, []float64{0, 10, 20, 30})
	if b := ESSBulk(stuck); !(b < 50) {
		t.Errorf("ess_bulk of chains that never meet = %.0f, want < 50", b)
	}
}

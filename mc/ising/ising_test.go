package ising

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
)

// long (MCFLOW_LONG=1, make test-long) runs 10x the draws.
var long = os.Getenv("MCFLOW_LONG") != ""

// sample runs chains with the Pool and returns obs[name][chain][draw].
func sample(t *testing.T, chains []mc.Chain, names []string, plan mc.Plan) map[string][][]float64 {
	t.Helper()
	nobs := len(names)
	obs := map[string][][]float64{}
	for _, n := range names {
		obs[n] = make([][]float64, len(chains))
		for c := range chains {
			obs[n][c] = make([]float64, plan.Draws)
		}
	}
	pool := &mc.Pool{Chains: chains, Workers: 2, NObs: nobs}
	_, err := pool.Run(context.Background(), plan, mc.Progress{}, func(_ mc.Progress, b mc.Block) error {
		for c, buf := range b.Obs {
			for r := range b.Rounds {
				for k, n := range names {
					obs[n][c][b.From+r] = buf[r*nobs+k]
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// TestKaufman checks E/N and C/N of both samplers against Kaufman's exact
// values within 4 standard errors. Breaking the acceptance rule (for
// example accepting with exp(-βΔE/2)) fails it by tens of errors.
func TestKaufman(t *testing.T) {
	scale := 1
	if long {
		scale = 10
	}
	for _, kind := range []string{"metropolis", "wolff"} {
		for _, L := range []int{8, 16} {
			for _, beta := range []float64{0.3, 0.4406868, 0.5} {
				t.Run(fmt.Sprintf("%s/L=%d/beta=%v", kind, L, beta), func(t *testing.T) {
					p := Params{L: L, Beta: beta, J: 1}
					const nc = 8
					chains := make([]mc.Chain, nc)
					names := Observables
					plan := mc.Plan{Thermalize: 1000, Draws: 4000 * scale, MeasureEvery: 1}
					for c := range chains {
						rng := mc.NewStream(42, "", mc.Moves, uint64(L), uint64(c))
						if kind == "wolff" {
							w, err := NewWolff(p, true, rng)
							if err != nil {
								t.Fatal(err)
							}
							chains[c] = w
							names = WolffObservables
						} else {
							chains[c] = NewMetropolis(p, true, rng)
						}
					}
					if kind == "wolff" {
						// Measure once per ~N flipped sites so draws are comparable.
						plan.MeasureEvery = map[float64]int{0.3: 20, 0.4406868: 3, 0.5: 1}[beta]
					}
					obs := sample(t, chains, names, plan)
					want, err := exact.Kaufman(L, beta, 1)
					if err != nil {
						t.Fatal(err)
					}
					e := stats.Summarize(obs["e"])
					d := Derived(p, obs)
					if z := (e.Mean - want.E) / e.Stderr; math.Abs(z) > 4 {
						t.Errorf("E/N = %.5f ± %.5f, Kaufman %.5f (%.1f σ)", e.Mean, e.Stderr, want.E, z)
					}
					if z := (d["C"].Value - want.C) / d["C"].Stderr; math.Abs(z) > 4 {
						t.Errorf("C/N = %.4f ± %.4f, Kaufman %.4f (%.1f σ)", d["C"].Value, d["C"].Stderr, want.C, z)
					}
					t.Logf("E/N = %.5f ± %.5f (Kaufman %.5f), C/N = %.4f ± %.4f (Kaufman %.4f), tau_int(e) = %.2f, R-hat %.3f",
						e.Mean, e.Stderr, want.E, d["C"].Value, d["C"].Stderr, want.C, e.TauInt, e.Rhat)
				})
			}
		}
	}
}

// TestFieldBruteForce checks Metropolis with a field against enumeration.
func TestFieldBruteForce(t *testing.T) {
	p := Params{L: 4, Beta: 0.35, J: 1, H: 0.3}
	chains := make([]mc.Chain, 8)
	for c := range chains {
		chains[c] = NewMetropolis(p, c%2 == 0, mc.NewStream(7, "", mc.Moves, uint64(0), uint64(c)))
	}
	obs := sample(t, chains, Observables, mc.Plan{Thermalize: 500, Draws: 20000, MeasureEvery: 1})
	want, _ := exact.BruteForce(4, p.Beta, p.J, p.H)
	e := stats.Summarize(obs["e"])
	d := Derived(p, obs)
	if z := (e.Mean - want.E) / e.Stderr; math.Abs(z) > 4 {
		t.Errorf("E/N = %.5f ± %.5f, exact %.5f (%.1f σ)", e.Mean, e.Stderr, want.E, z)
	}
	if z := (d["C"].Value - want.C) / d["C"].Stderr; math.Abs(z) > 4 {
		t.Errorf("C/N = %.4f ± %.4f, exact %.4f (%.1f σ)", d["C"].Value, d["C"].Stderr, want.C, z)
	}
}

func TestWolffDomain(t *testing.T) {
	if _, err := NewWolff(Params{L: 4, Beta: 0.3, J: 1, H: 0.1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0))); err == nil {
		t.Error("Wolff with h != 0: no error")
	}
	if _, err := NewWolff(Params{L: 4, Beta: 0.3, J: -1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0))); err == nil {
		t.Error("Wolff with J < 0: no error")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p := Params{L: 6, Beta: 0.4, J: 1}
	w1, _ := NewWolff(p, true, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
	w2, _ := NewWolff(p, false, mc.NewStream(9, "", mc.Moves, uint64(9), uint64(9)))
	for name, pair := range map[string][2]mc.Chain{
		"metropolis": {NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3))), NewMetropolis(p, false, mc.NewStream(9, "", mc.Moves, uint64(9), uint64(9)))},
		"wolff":      {w1, w2},
	} {
		a, b := pair[0], pair[1]
		for range 10 {
			a.Step()
		}
		state, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.UnmarshalBinary(state); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for range 10 {
			a.Step()
			b.Step()
		}
		oa, ob := a.Observe(nil), b.Observe(nil)
		for i := range oa {
			if oa[i] != ob[i] && !(math.IsNaN(oa[i]) && math.IsNaN(ob[i])) {
				t.Errorf("%s: restored chain diverged: %v vs %v", name, oa, ob)
				break
			}
		}
		if err := b.UnmarshalBinary(state[:len(state)-3]); err == nil {
			t.Errorf("%s: truncated state accepted", name)
		}
		other := NewMetropolis(Params{L: 8, Beta: 0.4, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(2), uint64(3)))
		if err := other.UnmarshalBinary(state); err == nil {
			t.Errorf("%s: state of L=6 accepted by L=8", name)
		}
	}
}

func TestSweepAllocs(t *testing.T) {
	p := Params{L: 32, Beta: 0.44, J: 1}
	m := NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
	w, _ := NewWolff(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(1)))
	w.Step()
	buf := make([]float64, 0, 8)
	for name, f := range map[string]func(){
		"metropolis": func() { m.Step(); buf = m.Observe(buf[:0]) },
		"wolff":      func() { w.Step(); buf = w.Observe(buf[:0]) },
	} {
		if a := testing.AllocsPerRun(100, f); a != 0 {
			t.Errorf("%s: %v allocations per step+observe, want 0", name, a)
		}
	}
}

// TestObserve checks the observables of a known configuration.
func TestObserve(t *testing.T) {
	p := Params{L: 4, Beta: 1, J: 1, H: 0.5}
	m := NewMetropolis(p, false, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
	got := m.Observe(nil) // all up: E = -2N J - N h
	want := []float64{-2.5, 1, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cold lattice observables %v, want %v", got, want)
		}
	}
	m.Lat.Spin[5] = -1 // one spin down: 4 bonds broken, M = 14
	got = m.Observe(nil)
	n := 16.0
	want = []float64{(-(32 - 8) - 0.5*14) / n, 14 / n, 14 / n, 14 * 14 / (n * n)}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("one flipped spin: observables %v, want %v", got, want)
		}
	}
}

func BenchmarkMetropolis(b *testing.B) {
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			m := NewMetropolis(Params{L: L, Beta: 0.4406868, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
			b.ReportAllocs()
			for b.Loop() {
				m.Step()
			}
			b.ReportMetric(float64(b.N)*float64(L*L)/float64(b.Elapsed().Nanoseconds()), "flips/ns")
		})
	}
}

func BenchmarkWolff(b *testing.B) {
	w, _ := NewWolff(Params{L: 64, Beta: 0.4406868, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
	var sites int64
	for b.Loop() {
		w.Step()
	}
	sites = w.k.Sites
	b.ReportMetric(float64(sites)/float64(b.Elapsed().Nanoseconds()), "sites/ns")
}

// BenchmarkPool measures the throughput of 8 independent L=64 Metropolis
// chains on 1 and 2 workers (flips/ns over all chains), measuring every
// sweep, in runs of 500 rounds (blocks of ~100 ms, as a real run has).
func BenchmarkPool(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			const L, nc, rounds = 64, 8, 500
			chains := make([]mc.Chain, nc)
			for c := range chains {
				chains[c] = NewMetropolis(Params{L: L, Beta: 0.4406868, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(c)))
			}
			pool := &mc.Pool{Chains: chains, Workers: w, NObs: len(Observables)}
			plan := mc.Plan{Thermalize: 0, MeasureEvery: 1}
			var done mc.Progress
			for b.Loop() {
				plan.Draws = done.Draws + rounds
				var err error
				done, err = pool.Run(context.Background(), plan, done, func(mc.Progress, mc.Block) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			flips := float64(b.N) * rounds * nc * L * L
			b.ReportMetric(flips/float64(b.Elapsed().Nanoseconds()), "flips/ns")
		})
	}
}

func BenchmarkObserve(b *testing.B) {
	m := NewMetropolis(Params{L: 64, Beta: 0.44, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
	buf := make([]float64, 0, 4)
	for b.Loop() {
		buf = m.Observe(buf[:0])
	}
	b.ReportMetric(float64(b.N)*64*64/float64(b.Elapsed().Nanoseconds()), "sites/ns")
}

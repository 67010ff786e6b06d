// Package kindtest checks that a chain type keeps mcflow's invariants, for
// the tests of a user's own kinds as for mcflow's:
//
//	func TestMyChain(t *testing.T) {
//		kindtest.Chain(t, func(rng *mc.PCG) mc.Chain { return newMyChain(params, rng) }, kindtest.Options{})
//	}
//
// A chain passes when everything it needs to continue is in its bytes:
// its state survives a marshal round trip bit for bit, a pool of its
// chains gives the same observations on 1 and 2 workers, and a run
// stopped, saved, restored into fresh chains and continued gives the same
// observations and bytes as a run that was never stopped.
package kindtest

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/stats"
)

// Options sizes the checks; zero values take the defaults.
type Options struct {
	Chains       int // chains in the pool (default 3)
	Thermalize   int // steps before the recorded ones (default 10)
	Draws        int // recorded observations per chain (default 20)
	MeasureEvery int // steps between observations (default 2)
	Seed         uint64
}

func (o *Options) defaults() {
	if o.Chains == 0 {
		o.Chains = 3
	}
	if o.Thermalize == 0 {
		o.Thermalize = 10
	}
	if o.Draws == 0 {
		o.Draws = 20
	}
	if o.MeasureEvery == 0 {
		o.MeasureEvery = 2
	}
}

// Chain checks the chains that newChain makes from their streams (it must
// make the same chain from the same stream, as mcflow's builders do).
func Chain(t testing.TB, newChain func(rng *mc.PCG) mc.Chain, o Options) {
	t.Helper()
	o.defaults()
	streams := func() []mc.Chain {
		cs := make([]mc.Chain, o.Chains)
		for i := range cs {
			cs[i] = newChain(mc.NewStream(o.Seed, "kindtest", mc.Moves, uint64(i)))
		}
		return cs
	}
	nobs := len(streams()[0].Observe(nil))
	if nobs == 0 {
		t.Fatal("kindtest: the chain observes nothing")
	}
	roundTrip(t, newChain)
	plan := mc.Plan{Thermalize: o.Thermalize, Draws: o.Draws, MeasureEvery: o.MeasureEvery}
	ref, refBytes := run(t, streams(), 1, nobs, plan, mc.Progress{})
	two, twoBytes := run(t, streams(), 2, nobs, plan, mc.Progress{})
	same(t, "2 workers", ref, two, refBytes, twoBytes)

	// Stop halfway through the recorded draws, save, restore into fresh
	// chains, continue.
	half := plan
	half.Draws = o.Draws / 2
	cs := streams()
	first, saved := run(t, cs, 2, nobs, half, mc.Progress{})
	fresh := streams()
	for i, c := range fresh {
		if err := c.UnmarshalBinary(saved[i]); err != nil {
			t.Fatalf("kindtest: chain %d: UnmarshalBinary of its own bytes: %v", i, err)
		}
	}
	rest, restBytes := run(t, fresh, 1, nobs, plan, mc.Progress{Thermalized: o.Thermalize, Draws: half.Draws})
	for i := range first {
		first[i] = append(first[i], rest[i]...)
	}
	same(t, "stopped, saved and resumed", ref, first, refBytes, restBytes)
}

// roundTrip steps a chain, restores its bytes into another and checks that
// both continue identically.
func roundTrip(t testing.TB, newChain func(rng *mc.PCG) mc.Chain) {
	t.Helper()
	a := newChain(mc.NewStream(7, "kindtest", mc.Moves, 0))
	for range 5 {
		if err := a.Step(); err != nil {
			t.Fatalf("kindtest: Step: %v", err)
		}
	}
	a.Observe(nil)
	ab, err := a.MarshalBinary()
	if err != nil {
		t.Fatalf("kindtest: MarshalBinary: %v", err)
	}
	b := newChain(mc.NewStream(8, "kindtest", mc.Moves, 0)) // another stream: all must come from the bytes
	if err := b.UnmarshalBinary(ab); err != nil {
		t.Fatalf("kindtest: UnmarshalBinary: %v", err)
	}
	if bb, _ := b.MarshalBinary(); !bytes.Equal(ab, bb) {
		t.Fatal("kindtest: a restored chain marshals to other bytes")
	}
	for i := range 5 {
		if err := a.Step(); err != nil {
			t.Fatal(err)
		}
		if err := b.Step(); err != nil {
			t.Fatal(err)
		}
		if oa, ob := a.Observe(nil), b.Observe(nil); !equal(oa, ob) {
			t.Fatalf("kindtest: step %d after a marshal round trip: observations %v, want %v", i+1, ob, oa)
		}
	}
	if err := b.UnmarshalBinary(ab[:len(ab)-1]); err == nil {
		t.Error("kindtest: UnmarshalBinary accepted truncated bytes")
	}
}

// run advances the chains with a pool and returns each chain's
// observations and final bytes.
func run(t testing.TB, cs []mc.Chain, workers, nobs int, plan mc.Plan, from mc.Progress) ([][]float64, [][]byte) {
	t.Helper()
	obs := make([][]float64, len(cs))
	pool := &mc.Pool{Chains: cs, Workers: workers, NObs: nobs}
	_, err := pool.Run(context.Background(), plan, from, func(_ mc.Progress, b mc.Block) error {
		for c, o := range b.Obs {
			obs[c] = append(obs[c], o[:b.Rounds*nobs]...)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("kindtest: pool: %v", err)
	}
	out := make([][]byte, len(cs))
	for i, c := range cs {
		if out[i], err = c.MarshalBinary(); err != nil {
			t.Fatalf("kindtest: MarshalBinary: %v", err)
		}
	}
	return obs, out
}

func same(t testing.TB, what string, a, b [][]float64, ab, bb [][]byte) {
	t.Helper()
	for i := range a {
		if !equal(a[i], b[i]) {
			t.Fatalf("kindtest: %s: chain %d's observations differ", what, i)
		}
		if !bytes.Equal(ab[i], bb[i]) {
			t.Fatalf("kindtest: %s: chain %d's final bytes differ", what, i)
		}
	}
}

// equal compares bit for bit (NaN equals NaN).
func equal(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// Sample runs o.Chains chains (chain i on the stream (o.Seed, "kindtest",
// mc.Moves, i)) on 2 workers and returns each observable's series,
// obs[names[k]][chain][draw]; names must match what Observe appends.
func Sample(t testing.TB, newChain func(rng *mc.PCG) mc.Chain, names []string, o Options) map[string][][]float64 {
	t.Helper()
	o.defaults()
	cs := make([]mc.Chain, o.Chains)
	for i := range cs {
		cs[i] = newChain(mc.NewStream(o.Seed, "kindtest", mc.Moves, uint64(i)))
	}
	if n := len(cs[0].Observe(nil)); n != len(names) {
		t.Fatalf("kindtest: the chain observes %d values, %d names given", n, len(names))
	}
	raw, _ := run(t, cs, 2, len(names), mc.Plan{Thermalize: o.Thermalize, Draws: o.Draws, MeasureEvery: o.MeasureEvery}, mc.Progress{})
	obs := map[string][][]float64{}
	for k, n := range names {
		for _, r := range raw {
			s := make([]float64, 0, o.Draws)
			for d := range o.Draws {
				s = append(s, r[d*len(names)+k])
			}
			obs[n] = append(obs[n], s)
		}
	}
	return obs
}

// Agree checks that the mean of a sampled observable is within nsigma
// standard errors of an exact value. The error is the larger of the
// binning and the τ_int estimates (stats.Summarize); too few bins for a
// reliable error fail the check.
func Agree(t testing.TB, what string, series [][]float64, want, nsigma float64) {
	t.Helper()
	s := stats.Summarize(series)
	se := math.Max(s.Stderr, s.StderrBinning)
	if s.Bins < stats.MinBlocks {
		t.Errorf("%s: %d bins, too few for an error (run longer)", what, s.Bins)
		return
	}
	if d := math.Abs(s.Mean - want); !(d <= nsigma*se) {
		t.Errorf("%s = %.6f ± %.6f, exact %.6f: %.1fσ off", what, s.Mean, se, want, d/se)
	} else {
		t.Logf("%s = %.6f ± %.6f, exact %.6f (%.1fσ)", what, s.Mean, se, want, d/se)
	}
}

// AgreeValue is Agree for a derived quantity with its jackknife error.
func AgreeValue(t testing.TB, what string, v stats.Value, want, nsigma float64) {
	t.Helper()
	if v.Blocks < stats.MinBlocks {
		t.Errorf("%s: %d jackknife blocks, too few for an error (run longer)", what, v.Blocks)
		return
	}
	if d := math.Abs(v.Value - want); !(d <= nsigma*v.Stderr) {
		t.Errorf("%s = %.6f ± %.6f, exact %.6f: %.1fσ off", what, v.Value, v.Stderr, want, d/v.Stderr)
	} else {
		t.Logf("%s = %.6f ± %.6f, exact %.6f (%.1fσ)", what, v.Value, v.Stderr, want, d/v.Stderr)
	}
}

package ising

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mcflow/mcflow/exact"
	"github.com/mcflow/mcflow/mc/multispin"
	"github.com/mcflow/mcflow/mc/stats"

	"github.com/mcflow/mcflow/mc"
)

// BenchmarkMultispin: 64 replicas of an L×L lattice at β_c, flips/ns
// counting every replica's attempted flip.
func BenchmarkMultispin(b *testing.B) {
	if err := multispin.EnvError(); err != nil {
		b.Fatal(err) // a kernel asked for by MCFLOW_KERNEL that does not run here
	}
	for _, L := range []int{64, 256} {
		b.Run(fmt.Sprintf("L=%d", L), func(b *testing.B) {
			m := NewMultispin(Params{L: L, Beta: 0.4406868, J: 1}, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0)))
			for range 20 { // equilibrate a little: the cost depends on the state
				m.Step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				m.Step()
			}
			b.ReportMetric(float64(b.N)*Replicas*float64(L*L)/float64(b.Elapsed().Nanoseconds()), "flips/ns")
			if multispin.Active() == multispin.AVX512 { // the AVX-512 kernels' instructions, counted over 10 sweeps
				c := &multispin.Count{}
				m.u.Count = c
				for range 10 {
					m.Step()
				}
				m.u.Count = nil
				in := multispin.Instructions(*c, m.u.Groups()) + FillInstructions*c.Fill
				b.ReportMetric(float64(in)/(10*Replicas*float64(L*L)), "instr/flip")
			}
		})
	}
}

// sampleMultispin runs units of 64 replicas and returns
// obs[name][replica][draw].
func sampleMultispin(t *testing.T, p Params, units int, seed uint64, plan mc.Plan) map[string][][]float64 {
	t.Helper()
	chains := make([]mc.Chain, units)
	for u := range chains {
		chains[u] = NewMultispin(p, true, mc.NewStream(seed, "", mc.Moves, uint64(p.L), uint64(u)))
	}
	nobs := len(Observables)
	per := nobs * Replicas
	obs := map[string][][]float64{}
	for _, n := range Observables {
		obs[n] = make([][]float64, units*Replicas)
		for r := range obs[n] {
			obs[n][r] = make([]float64, plan.Draws)
		}
	}
	pool := &mc.Pool{Chains: chains, Workers: 2, NObs: per}
	_, err := pool.Run(context.Background(), plan, mc.Progress{}, func(_ mc.Progress, b mc.Block) error {
		for u, buf := range b.Obs {
			for i := range b.Rounds {
				for r := range Replicas {
					for k, n := range Observables {
						obs[n][u*Replicas+r][b.From+i] = buf[i*per+r*nobs+k]
					}
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

// TestMultispinKaufman: E/N and C/N of 64 multi-spin replicas against
// Kaufman within 4 standard errors, at L = 16 and three β (and L = 8).
func TestMultispinKaufman(t *testing.T) {
	scale := 1
	if long {
		scale = 10
	}
	for _, L := range []int{8, 16} {
		for _, beta := range []float64{0.3, 0.4406868, 0.5} {
			t.Run(fmt.Sprintf("L=%d/beta=%v", L, beta), func(t *testing.T) {
				p := Params{L: L, Beta: beta, J: 1}
				obs := sampleMultispin(t, p, 1, 43, mc.Plan{Thermalize: 1000, Draws: 2000 * scale, MeasureEvery: 1})
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
				t.Logf("E/N = %.5f ± %.5f (Kaufman %.5f), C/N = %.4f ± %.4f (Kaufman %.4f), tau_int(e) = %.2f",
					e.Mean, e.Stderr, want.E, d["C"].Value, d["C"].Stderr, want.C, e.TauInt)
			})
		}
	}
}

// TestMultispinDistribution compares the energy distribution of
// independent replicas (the last state of 400 units × 64 replicas after
// 300 sweeps) on the 4×4 torus with the exact one by enumeration, with a
// field and with an antiferromagnetic coupling, by a χ² test: every
// class of move (k aligned neighbours, spin ±1) has its own probability.
// The 3×3 torus checks odd L, whose last site of a row neighbours its
// first and is decided after it.
//
// The replicas start cold. On the 4×4 torus a hot start can land (with
// probability ~37/2¹⁶) in a state where every spin has two aligned
// neighbours: at h = 0 every move is then accepted with probability 1 and
// the checkerboard sweep cycles deterministically among such states
// forever (they cannot be entered from outside, so the Boltzmann
// distribution stays stationary, but the chain is not ergodic from
// there). The plain engine does the same; on lattices of interest such
// states are a vanishing fraction of the starts.
func TestMultispinDistribution(t *testing.T) {
	for _, p := range []Params{{L: 4, Beta: 0.35, J: 1, H: 0.3}, {L: 4, Beta: 0.3, J: -0.8, H: 0.5}, {L: 4, Beta: 0.44, J: 1}, {L: 3, Beta: 0.5, J: 1, H: 0.2}} {
		t.Run(fmt.Sprintf("L=%d/J=%v/h=%v", p.L, p.J, p.H), func(t *testing.T) {
			// exact: probability of each energy level
			N := p.L * p.L
			lat := Lattice{L: p.L, Spin: make([]int8, N)}
			prob := map[float64]float64{}
			var z float64
			for st := range 1 << N {
				for i := range N {
					lat.Spin[i] = int8(2*(st>>i&1) - 1)
				}
				b, m := lat.Sums()
				E := -p.J*float64(b) - p.H*float64(m)
				w := math.Exp(-p.Beta * E)
				prob[math.Round(E*1e6)/1e6] += w
				z += w
			}
			const units = 400
			counts := map[float64]float64{}
			for u := range units {
				c := NewMultispin(p, false, mc.NewStream(99, "", mc.Moves, uint64(N), uint64(u)))
				for range 300 {
					c.Step()
				}
				for r := range Replicas {
					copy(lat.Spin, c.Replica(r))
					b, m := lat.Sums()
					E := -p.J*float64(b) - p.H*float64(m)
					counts[math.Round(E*1e6)/1e6]++
				}
			}
			n := float64(units * Replicas)
			// Merge levels with fewer than 5 expected counts into one bin.
			var chi2, restObs, restExp float64
			df := -1
			for E, w := range prob {
				exp := n * w / z
				if exp < 5 {
					restObs += counts[E]
					restExp += exp
					continue
				}
				chi2 += (counts[E] - exp) * (counts[E] - exp) / exp
				df++

			}
			if restExp > 0 {
				chi2 += (restObs - restExp) * (restObs - restExp) / restExp
				df++
			}
			pval := 1 - distuv.ChiSquared{K: float64(df)}.CDF(chi2)
			t.Logf("χ² = %.1f with %d degrees of freedom, p = %.3f", chi2, df, pval)
			if pval < 1e-4 {
				t.Errorf("energy distribution differs from the exact one: χ² = %.1f, %d dof, p = %.2g", chi2, df, pval)
			}
		})
	}
}

// A unit marshalled mid-run and restored continues bit for bit.
func TestMultispinResume(t *testing.T) {
	p := Params{L: 8, Beta: 0.4, J: 1, H: 0.1}
	a := NewMultispin(p, true, mc.NewStream(5, "", mc.Moves, uint64(0), uint64(0)))
	b := NewMultispin(p, true, mc.NewStream(5, "", mc.Moves, uint64(0), uint64(0)))
	for range 10 {
		a.Step()
		b.Step()
	}
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c := NewMultispin(p, false, mc.NewStream(77, "", mc.Moves, uint64(1), uint64(1)))
	if err := c.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		b.Step()
		c.Step()
	}
	if fmt.Sprint(b.Observe(nil)) != fmt.Sprint(c.Observe(nil)) || fmt.Sprint(b.s) != fmt.Sprint(c.s) {
		t.Error("restored unit diverged from the uninterrupted one")
	}
	if err := c.UnmarshalBinary(state[:len(state)-3]); err == nil {
		t.Error("truncated state accepted")
	}
	if allocs := testing.AllocsPerRun(5, func() { c.Step() }); allocs != 0 {
		t.Errorf("Step allocates %v times", allocs)
	}
}

// Observe's bit-sliced counts against each replica's own sums.
func TestMultispinObserve(t *testing.T) {
	p := Params{L: 6, Beta: 0.4, J: 0.7, H: -0.2}
	c := NewMultispin(p, true, mc.NewStream(6, "", mc.Moves, uint64(0), uint64(0)))
	for range 5 {
		c.Step()
	}
	got := c.Observe(nil)
	for r := range Replicas {
		lat := Lattice{L: p.L, Spin: c.Replica(r)}
		want := lat.observe(nil, p)
		for k := range want {
			if math.Abs(got[4*r+k]-want[k]) > 1e-15 {
				t.Fatalf("replica %d observable %d: %v, want %v", r, k, got[4*r+k], want[k])
			}
		}
	}
}

// Every vector kernel this machine runs sweeps bit-identically to the
// portable one — words, lanes and observables — for ferro- and
// antiferromagnetic couplings, fields, β from 0 to ∞ and sizes that are
// odd, smaller than a vector or not a multiple of one; and a unit
// checkpointed on one kernel resumes identically on every other.
func TestMultispinKernelsIdentical(t *testing.T) {
	kernels := multispin.Supported()
	if len(kernels) == 1 {
		t.Skip("this machine runs only the portable kernel")
	}
	use := func(k multispin.Kernel) {
		t.Helper()
		if _, err := multispin.Use(k); err != nil {
			t.Fatal(err)
		}
	}
	defer use(multispin.Active())
	sizes := []int{3, 6, 10, 16, 34, 49, 64}
	couplings := [][2]float64{{1, 0}, {1, 0.3}, {-0.7, 0.2}, {1, -1.5}, {0.5, 0}}
	for _, L := range sizes {
		for i, jh := range couplings {
			beta := []float64{0, 0.2, 0.4406868, 1, math.Inf(1)}[(L+i)%5]
			p := Params{L: L, Beta: beta, J: jh[0], H: jh[1]}
			var ref []byte
			var refObs string
			for _, k := range kernels {
				use(k)
				c := NewMultispin(p, true, mc.NewStream(3, "", mc.Moves, uint64(L), uint64(i)))
				for range 25 {
					c.Step()
				}
				b, _ := c.MarshalBinary()
				obs := fmt.Sprint(c.Observe(nil))
				if ref == nil {
					ref, refObs = b, obs
				} else if !bytes.Equal(b, ref) || obs != refObs {
					t.Errorf("%+v: kernel %v differs from %v after 25 sweeps", p, k, kernels[0])
				}
			}
		}
	}
	// Checkpointed on the widest kernel, resumed on each.
	p := Params{L: 20, Beta: 0.4406868, J: 1}
	use(kernels[len(kernels)-1])
	c := NewMultispin(p, true, mc.NewStream(4, "", mc.Moves, 0, 0))
	for range 10 {
		c.Step()
	}
	state, _ := c.MarshalBinary()
	var want []byte
	for _, k := range kernels {
		use(k)
		r := NewMultispin(p, false, mc.NewStream(5, "", mc.Moves, 0, 0))
		if err := r.UnmarshalBinary(state); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			r.Step()
		}
		b, _ := r.MarshalBinary()
		if want == nil {
			want = b
		} else if !bytes.Equal(b, want) {
			t.Errorf("a checkpoint of kernel %v resumed on %v differs from %v", kernels[len(kernels)-1], k, kernels[0])
		}
	}
}

// The ferromagnetic sweep (fillFerro) makes the general sweep's
// decisions, on a lattice of odd size too.
func TestMultispinFerroIsGeneral(t *testing.T) {
	for _, L := range []int{6, 7} {
		p := Params{L: L, Beta: 0.44, J: 1}
		a := NewMultispin(p, true, mc.NewStream(2, "", mc.Moves, 0))
		b := NewMultispin(p, true, mc.NewStream(2, "", mc.Moves, 0))
		if !a.ferro {
			t.Fatal("h = 0, J > 0 does not take the ferromagnetic sweep")
		}
		b.ferro = false
		for i := range 30 {
			a.Step()
			b.Step()
			if !slices.Equal(a.s, b.s) || a.u.Lanes != b.u.Lanes {
				t.Fatalf("L = %d, sweep %d: the sweeps differ", L, i)
			}
		}
	}
}

// FillInstructions is the size of fillFerro512's loop in fill_amd64.s.
func TestFillInstructions(t *testing.T) {
	src, err := os.ReadFile("fill_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	n, in := 0, false
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "loop:":
			in = true
		case !in || line == "" || strings.HasPrefix(line, "//"):
		case line == "VZEROUPPER":
			in = false
		default:
			n++
		}
	}
	if n != FillInstructions {
		t.Errorf("fillFerro512's loop has %d instructions, FillInstructions = %d", n, FillInstructions)
	}
}

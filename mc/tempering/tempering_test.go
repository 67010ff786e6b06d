package tempering_test

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/tempering"
)

// exactIsing is the 4×4 Ising torus (J = 1) as a chain that does not
// move: its configuration is a 16-bit word, drawn exactly from the
// Boltzmann weights at its β by the test. Only swaps change it.
type exactIsing struct {
	beta  float64
	state uint16
	e     *[1 << 16]float64 // E of every configuration
}

func (c *exactIsing) Step() error                     { return nil }
func (c *exactIsing) Observe(dst []float64) []float64 { return append(dst, c.e[c.state]) }
func (c *exactIsing) LogProb(of mc.Chain) float64     { return -c.beta * c.e[of.(*exactIsing).state] }
func (c *exactIsing) Exchange(o mc.Chain)             { x := o.(*exactIsing); c.state, x.state = x.state, c.state }
func (c *exactIsing) MarshalBinary() ([]byte, error) {
	return binary.LittleEndian.AppendUint16(nil, c.state), nil
}
func (c *exactIsing) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("bad state")
	}
	c.state = binary.LittleEndian.Uint16(b)
	return nil
}

// energies4 returns E = −Σ⟨ij⟩ s_i s_j of every 4×4 configuration (bit
// i set: spin i is −1).
func energies4() *[1 << 16]float64 {
	var e [1 << 16]float64
	for s := range 1 << 16 {
		spin := func(x, y int) int { return 1 - 2*(s>>(4*(y&3)+(x&3))&1) }
		for y := range 4 {
			for x := range 4 {
				e[s] -= float64(spin(x, y) * (spin(x+1, y) + spin(x, y+1)))
			}
		}
	}
	return &e
}

// sampler draws configurations exactly at β by inverting the CDF.
type sampler struct{ cdf []float64 }

func newSampler(e *[1 << 16]float64, beta float64) sampler {
	cdf := make([]float64, len(e))
	var z float64
	for s, v := range e {
		z += math.Exp(-beta * v)
		cdf[s] = z
	}
	for s := range cdf {
		cdf[s] /= z
	}
	return sampler{cdf}
}

func (s sampler) draw(rng *mc.PCG) uint16 {
	i, _ := slices.BinarySearch(s.cdf, mc.Uniform(rng))
	return uint16(min(i, len(s.cdf)-1))
}

// levels returns the exact law of E at β: energy → probability.
func levels(e *[1 << 16]float64, beta float64) map[float64]float64 {
	p := map[float64]float64{}
	var z float64
	for _, v := range e {
		w := math.Exp(-beta * v)
		p[v] += w
		z += w
	}
	for k := range p {
		p[k] /= z
	}
	return p
}

// Exact draws at every rung, one round of even and one of odd swaps: the
// energy at every rung must keep its exact law (a χ² test at the 0.1 %
// level per rung). A wrong sign of Δ, or Δ scaled by 0.9, fails it.
func TestSwapsKeepLaw(t *testing.T) {
	e := energies4()
	betas := []float64{0.2, 0.3, 0.42, 0.55, 0.7}
	samplers := make([]sampler, len(betas))
	for r, b := range betas {
		samplers[r] = newSampler(e, b)
	}
	const trials = 200000
	rng := mc.NewPCG(3, 4)
	counts := make([]map[float64]float64, len(betas))
	for r := range counts {
		counts[r] = map[float64]float64{}
	}
	chains := make([]mc.Exchanger, len(betas))
	accepted := 0.0
	for range trials {
		for r, b := range betas {
			chains[r] = &exactIsing{beta: b, state: samplers[r].draw(rng), e: e}
		}
		l, err := tempering.New(chains, betas, 1, mc.NewPCG(rng.Uint64(), 7))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := l.Step(); err != nil {
				t.Fatal(err)
			}
		}
		obs := l.Observe(nil)
		per := 1 + len(tempering.Series)
		for r := range betas {
			counts[r][obs[r*per]]++
			accepted += obs[r*per+3]
		}
	}
	if accepted == 0 {
		t.Fatal("no swap accepted")
	}
	for r, b := range betas {
		chi2, df := chiSquare(counts[r], levels(e, b), trials)
		p := 1 - distuv.ChiSquared{K: float64(df)}.CDF(chi2)
		t.Logf("beta = %v: chi2 = %.1f, df = %d, p = %.3g", b, chi2, df, p)
		if p < 1e-3 {
			t.Errorf("beta = %v: energy histogram after swaps differs from the exact law: chi2 = %.1f for %d degrees of freedom (p = %.2g)", b, chi2, df, p)
		}
	}
}

// chiSquare compares counts with n draws of law p, pooling the levels of
// fewer than 20 expected counts into one bin.
func chiSquare(counts, p map[float64]float64, n int) (chi2 float64, df int) {
	var poolO, poolE float64
	bins := 0
	for k, q := range p {
		exp := q * float64(n)
		if exp < 20 {
			poolO += counts[k]
			poolE += exp
			continue
		}
		chi2 += (counts[k] - exp) * (counts[k] - exp) / exp
		bins++
	}
	if poolE > 0 {
		chi2 += (poolO - poolE) * (poolO - poolE) / poolE
		bins++
	}
	return chi2, bins - 1
}

// The ladder keeps mcflow's invariants: all it needs is in its bytes,
// results do not depend on the number of workers, and a run stopped and
// resumed gives the same observations.
func TestLadderInvariants(t *testing.T) {
	e := energies4()
	betas := []float64{0.2, 0.4, 0.6}
	kindtest.Chain(t, func(rng *mc.PCG) mc.Chain {
		chains := make([]mc.Exchanger, len(betas))
		for r, b := range betas {
			chains[r] = &movingIsing{exactIsing{beta: b, state: uint16(rng.Uint64()), e: e}, mc.NewPCG(rng.Uint64(), uint64(r))}
		}
		l, err := tempering.New(chains, betas, 2, mc.NewPCG(rng.Uint64(), 9))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}, kindtest.Options{})
}

// movingIsing flips a random spin with Metropolis' rule each step.
type movingIsing struct {
	exactIsing
	rng *mc.PCG
}

func (c *movingIsing) Step() error {
	s := c.state ^ 1<<(c.rng.Uint64()>>60)
	if mc.Uniform(c.rng) < math.Exp(-c.beta*(c.e[s]-c.e[c.state])) {
		c.state = s
	}
	return nil
}

func (c *movingIsing) LogProb(of mc.Chain) float64 { return -c.beta * c.e[of.(*movingIsing).state] }
func (c *movingIsing) Exchange(o mc.Chain) {
	x := o.(*movingIsing)
	c.state, x.state = x.state, c.state
}

func (c *movingIsing) MarshalBinary() ([]byte, error) {
	r, _ := c.rng.MarshalBinary()
	return append(binary.LittleEndian.AppendUint16(nil, c.state), r...), nil
}

func (c *movingIsing) UnmarshalBinary(b []byte) error {
	if len(b) < 2 {
		return errors.New("bad state")
	}
	c.state = binary.LittleEndian.Uint16(b)
	return c.rng.UnmarshalBinary(b[2:])
}

// A retempered ladder restored into a fresh one (made at the first
// ladder) rebuilds its chains at the adapted β and continues bit for bit.
func TestRetemperResume(t *testing.T) {
	e := energies4()
	first := []float64{0.2, 0.4, 0.9}
	newLadder := func() *tempering.Ladder {
		chains := make([]mc.Exchanger, len(first))
		for r, b := range first {
			chains[r] = &movingIsing{exactIsing{beta: b, e: e}, mc.NewPCG(uint64(r), 1)}
		}
		l, err := tempering.New(chains, first, 1, mc.NewPCG(5, 5))
		if err != nil {
			t.Fatal(err)
		}
		l.SetRebuild(func(r int, beta float64, gen uint64) (mc.Exchanger, error) {
			return &movingIsing{exactIsing{beta: beta, e: e}, mc.NewPCG(uint64(r), 1+gen)}, nil
		})
		return l
	}
	a := newLadder()
	a.BeginAdapt(0)
	for range 200 {
		a.Step()
	}
	tried, acc := a.AdaptCounts()
	next := tempering.EqualAcceptance(a.Betas(), tried, acc)
	if next[0] != 0.2 || next[2] != 0.9 || !(next[1] > 0.2 && next[1] < 0.9) {
		t.Fatalf("EqualAcceptance moved the ends or left the interval: %v", next)
	}
	if err := a.Retemper(next, 1); err != nil {
		t.Fatal(err)
	}
	state, _ := a.MarshalBinary()
	b := newLadder()
	if err := b.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Betas(), next) {
		t.Fatalf("restored ladder at %v, want %v", b.Betas(), next)
	}
	for range 100 {
		a.Step()
		b.Step()
	}
	if oa, ob := a.Observe(nil), b.Observe(nil); !slices.Equal(oa, ob) {
		t.Errorf("restored ladder diverged: %v vs %v", oa, ob)
	}
}

package ising

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// WolffObservables are the names of what a Wolff chain's Observe records.
var WolffObservables = append(append([]string(nil), Observables...), "cluster")

// Wolff is a single-cluster Wolff chain for J > 0 and h = 0.
type Wolff struct {
	P     Params
	Lat   Lattice
	rng   *mc.PCG
	thr   uint64 // bond added iff u < thr: P = 1 - exp(-2βJ)
	stack []int32
	t     *lattice.Torus
	k     lattice.Counts // clusters and sites flipped since the last Observe
}

// WolffDomain reports whether Wolff's algorithm applies: J > 0 and h = 0.
func WolffDomain(p Params) error {
	if p.H != 0 {
		return fmt.Errorf("ising: Wolff needs h = 0 (got h = %v); use Metropolis for a field", p.H)
	}
	if !(p.J > 0) {
		return fmt.Errorf("ising: Wolff needs J > 0 (got J = %v); use Metropolis", p.J)
	}
	return nil
}

// NewWolff returns a Wolff chain, or an error if the model is outside
// Wolff's domain (J <= 0 or h != 0).
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if err := WolffDomain(p); err != nil {
		return nil, err
	}
	c := &Wolff{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng, stack: make([]int32, 0, p.L*p.L), t: lattice.NewTorus(p.L, 2)}
	c.thr = mc.Threshold(-math.Expm1(-2 * p.Beta * p.J))
	return c, nil
}

// Step grows one cluster from a uniformly chosen seed and flips it.
func (c *Wolff) Step() error {
	s := c.Lat.Spin
	seed := int32(mc.Below(c.rng, uint64(len(s))))
	var size int64
	c.stack, size = lattice.FlipCluster(c.t, s, seed, s[seed], -s[seed], c.thr, c.rng, c.stack)
	c.k.Add(size)
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size (in sites) of
// the clusters flipped since the last call.
func (c *Wolff) Observe(dst []float64) []float64 {
	return append(c.Lat.observe(dst, c.P), c.k.Mean())
}

// MarshalBinary encodes spins, RNG state and the interval's cluster counts.
func (c *Wolff) MarshalBinary() ([]byte, error) {
	return marshalCommon('W', &c.Lat, c.rng, c.k.AppendBinary(nil))
}

// UnmarshalBinary restores a state written by MarshalBinary for the same L.
func (c *Wolff) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('W', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	if c.k.UnmarshalBinary(extra) != nil {
		return errState
	}
	return nil
}

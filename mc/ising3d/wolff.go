package ising3d

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// Wolff is a single-cluster Wolff chain for J > 0 and h = 0.
type Wolff struct {
	P     Params
	Lat   Lattice
	rng   *mc.PCG
	thr   uint64
	stack []int32
	t     *lattice.Torus
	k     lattice.Counts
}

// NewWolff returns a Wolff chain, or an error outside its domain.
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if p.H != 0 || !(p.J > 0) {
		return nil, fmt.Errorf("ising3d: Wolff needs J > 0 and h = 0 (got J = %v, h = %v)", p.J, p.H)
	}
	return &Wolff{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-2 * p.Beta * p.J)), stack: make([]int32, 0, p.L*p.L*p.L), t: lattice.NewTorus(p.L, 3)}, nil
}

// Step grows one cluster from a uniform seed and flips it.
func (c *Wolff) Step() error {
	s := c.Lat.Spin
	seed := int32(mc.Below(c.rng, uint64(len(s))))
	var size int64
	c.stack, size = lattice.FlipCluster(c.t, s, seed, s[seed], -s[seed], c.thr, c.rng, c.stack)
	c.k.Add(size)
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size.
func (c *Wolff) Observe(dst []float64) []float64 {
	return append(c.Lat.observe(dst, c.P), c.k.Mean())
}

func (c *Wolff) MarshalBinary() ([]byte, error) {
	return marshalCommon('W', &c.Lat, c.rng, c.k.AppendBinary(nil))
}

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

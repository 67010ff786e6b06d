package xy

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// Wolff is Wolff's embedding cluster chain (Wolff 1989): a random
// direction r = (cos φ, sin φ); a cluster grown from a uniform seed, bond
// ⟨ij⟩ added with probability 1 − exp(min(0, −2βJ (r·s_i)(r·s_j))); its
// spins reflected, s → s − 2(r·s)r, θ → π + 2φ − θ. Needs J > 0.
type Wolff struct {
	P     Params
	Lat   Lattice
	rng   *mc.PCG
	stack []int32
	mark  []uint32 // generation that last added the site
	gen   uint32
	t     *lattice.Torus
	k     lattice.Counts
}

// NewWolff returns a Wolff chain, or an error for J <= 0.
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if !(p.J > 0) {
		return nil, fmt.Errorf("xy: Wolff needs J > 0 (got J = %v)", p.J)
	}
	n := p.L * p.L
	return &Wolff{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng, stack: make([]int32, 0, n), mark: make([]uint32, n), t: lattice.NewTorus(p.L, 2)}, nil
}

// Step grows and reflects one cluster.
func (c *Wolff) Step() error {
	lat, rng := &c.Lat, c.rng
	phi := 2 * math.Pi * mc.Uniform(rng)
	ry, rx := math.Sincos(phi)
	c.gen++
	if c.gen == 0 { // wrapped: clear the marks
		clear(c.mark)
		c.gen = 1
	}
	seed := int32(mc.Below(rng, uint64(len(lat.Theta))))
	proj := func(i int) float64 { return rx*lat.cos[i] + ry*lat.sin[i] }
	k := 2 * c.P.Beta * c.P.J
	c.mark[seed] = c.gen
	stack := append(c.stack[:0], seed)
	size := int64(1)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		pi := proj(i)
		lat.set(i, wrap(math.Pi+2*phi-lat.Theta[i]))
		for _, j := range c.t.Neighbours(i) {
			if c.mark[j] == c.gen {
				continue
			}
			if pp := pi * proj(int(j)); pp > 0 && mc.Uniform(rng) < -math.Expm1(-k*pp) {
				c.mark[j] = c.gen
				stack = append(stack, j)
				size++
			}
		}
	}
	c.stack = stack
	c.k.Add(size)
	return nil
}

// Observe appends e, m, absm, m2, upsilon and the mean cluster size.
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

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
)

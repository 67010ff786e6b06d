package potts

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// ClusterDomain reports whether cluster moves apply: J > 0 and h = 0.
func ClusterDomain(p Params) error {
	if p.H != 0 || !(p.J > 0) {
		return fmt.Errorf("potts: cluster moves need J > 0 and h = 0 (got J = %v, h = %v)", p.J, p.H)
	}
	return nil
}

// Wolff is a single-cluster chain: a cluster of equal states grown from a
// uniform seed with bond probability 1 − e^{−βJ}, set to a new state
// uniform among the q − 1 others.
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
	if err := ClusterDomain(p); err != nil {
		return nil, err
	}
	return &Wolff{P: p, Lat: NewLattice(p.L, p.Q, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-p.Beta * p.J)), stack: make([]int32, 0, p.L*p.L), t: lattice.NewTorus(p.L, 2)}, nil
}

// Step grows and recolours one cluster.
func (c *Wolff) Step() error {
	s, rng := c.Lat.S, c.rng
	seed := int32(mc.Below(rng, uint64(len(s))))
	a := s[seed]
	b := uint8((uint64(a) + 1 + mc.Below(rng, uint64(c.P.Q-1))) % uint64(c.P.Q))
	var size int64
	c.stack, size = lattice.FlipCluster(c.t, s, seed, a, b, c.thr, rng, c.stack)
	c.k.Add(size)
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size of the interval.
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

// SwendsenWang is a multi-cluster chain: every bond of equal states is
// active with probability 1 − e^{−βJ}; every cluster of active bonds
// takes a new state uniform among all q.
type SwendsenWang struct {
	P      Params
	Lat    Lattice
	rng    *mc.PCG
	thr    uint64
	parent []int32
	state  []int16 // a root's new state (-1: not drawn yet)
	t      *lattice.Torus
	k      lattice.Counts
}

// NewSwendsenWang returns a Swendsen–Wang chain, or an error outside its
// domain.
func NewSwendsenWang(p Params, hot bool, rng *mc.PCG) (*SwendsenWang, error) {
	if err := ClusterDomain(p); err != nil {
		return nil, err
	}
	n := p.L * p.L
	return &SwendsenWang{P: p, Lat: NewLattice(p.L, p.Q, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-p.Beta * p.J)), parent: make([]int32, n), state: make([]int16, n), t: lattice.NewTorus(p.L, 2)}, nil
}

func (c *SwendsenWang) find(i int32) int32 {
	for c.parent[i] != i {
		c.parent[i] = c.parent[c.parent[i]]
		i = c.parent[i]
	}
	return i
}

// Step builds the bond clusters (bonds right and down of each site, in
// site order) and draws each cluster's state when its first site is met.
func (c *SwendsenWang) Step() error {
	s, rng := c.Lat.S, c.rng
	for i := range c.parent {
		c.parent[i] = int32(i)
		c.state[i] = -1
	}
	for i := range int32(len(s)) {
		nb := c.t.Neighbours(int(i))
		for _, j := range [2]int32{nb[0], nb[2]} {
			if s[i] == s[j] && rng.Uint64() < c.thr {
				if a, b := c.find(i), c.find(j); a != b {
					c.parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	var clusters int64
	for i := range int32(len(s)) {
		r := c.find(i)
		if c.state[r] < 0 {
			c.state[r] = int16(mc.Below(rng, uint64(c.P.Q)))
			clusters++
		}
		s[i] = uint8(c.state[r])
	}
	c.k.Add(clusters)
	return nil
}

// Observe appends e, m, absm, m2 and the mean number of clusters per step
// of the interval.
func (c *SwendsenWang) Observe(dst []float64) []float64 {
	return append(c.Lat.observe(dst, c.P), c.k.Mean())
}

func (c *SwendsenWang) MarshalBinary() ([]byte, error) {
	return marshalCommon('S', &c.Lat, c.rng, c.k.AppendBinary(nil))
}

func (c *SwendsenWang) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('S', &c.Lat, c.rng, b)
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
	_ mc.Chain = (*SwendsenWang)(nil)
)

package potts

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// ClusterDomain reports whether cluster moves apply: J > 0 and h = 0.
func ClusterDomain(p Params) error {
	if p.H != 0 || !(p.J > 0) {
		return fmt.Errorf("potts: cluster moves need J > 0 and h = 0 (got J = %v, h = %v)", p.J, p.H)
	}
	return nil
}

// counts are a cluster chain's moves and sites since the last Observe.
type counts struct{ moves, sites int64 }

func (k *counts) mean() float64 {
	m := math.NaN()
	if k.moves > 0 {
		m = float64(k.sites) / float64(k.moves)
	}
	*k = counts{}
	return m
}

func (k *counts) marshal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(k.moves))
	return binary.LittleEndian.AppendUint64(b, uint64(k.sites))
}

func (k *counts) unmarshal(b []byte) error {
	if len(b) != 16 {
		return errState
	}
	k.moves, k.sites = int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
	return nil
}

// neighbours returns the four neighbours of site i on the L×L torus.
func neighbours(i, L int) [4]int {
	x, y := i%L, i/L
	return [4]int{i - x + (x+1)%L, i - x + (x+L-1)%L, ((y+1)%L)*L + x, ((y+L-1)%L)*L + x}
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
	k     counts
}

// NewWolff returns a Wolff chain, or an error outside its domain.
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if err := ClusterDomain(p); err != nil {
		return nil, err
	}
	return &Wolff{P: p, Lat: NewLattice(p.L, p.Q, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-p.Beta * p.J)), stack: make([]int32, 0, p.L*p.L)}, nil
}

// Step grows and recolours one cluster.
func (c *Wolff) Step() error {
	L, s, rng := c.Lat.L, c.Lat.S, c.rng
	seed := int32(mc.Below(rng, uint64(L*L)))
	a := s[seed]
	b := uint8((uint64(a) + 1 + mc.Below(rng, uint64(c.P.Q-1))) % uint64(c.P.Q))
	s[seed] = b
	stack := append(c.stack[:0], seed)
	size := int64(1)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, j := range neighbours(i, L) {
			if s[j] == a && rng.Uint64() < c.thr {
				s[j] = b
				stack = append(stack, int32(j))
				size++
			}
		}
	}
	c.stack = stack
	c.k.moves++
	c.k.sites += size
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size of the interval.
func (c *Wolff) Observe(dst []float64) []float64 {
	return append(c.Lat.observe(dst, c.P), c.k.mean())
}

func (c *Wolff) MarshalBinary() ([]byte, error) {
	return marshalCommon('W', &c.Lat, c.rng, c.k.marshal(nil))
}

func (c *Wolff) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('W', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	return c.k.unmarshal(extra)
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
	k      counts
}

// NewSwendsenWang returns a Swendsen–Wang chain, or an error outside its
// domain.
func NewSwendsenWang(p Params, hot bool, rng *mc.PCG) (*SwendsenWang, error) {
	if err := ClusterDomain(p); err != nil {
		return nil, err
	}
	n := p.L * p.L
	return &SwendsenWang{P: p, Lat: NewLattice(p.L, p.Q, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-p.Beta * p.J)), parent: make([]int32, n), state: make([]int16, n)}, nil
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
	L, s, rng := c.Lat.L, c.Lat.S, c.rng
	for i := range c.parent {
		c.parent[i] = int32(i)
		c.state[i] = -1
	}
	for i := range int32(L * L) {
		x, y := int(i)%L, int(i)/L
		for _, j := range [2]int32{i - int32(x) + int32((x+1)%L), int32(((y+1)%L)*L + x)} {
			if s[i] == s[j] && rng.Uint64() < c.thr {
				if a, b := c.find(i), c.find(j); a != b {
					c.parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	var clusters int64
	for i := range int32(L * L) {
		r := c.find(i)
		if c.state[r] < 0 {
			c.state[r] = int16(mc.Below(rng, uint64(c.P.Q)))
			clusters++
		}
		s[i] = uint8(c.state[r])
	}
	c.k.moves++
	c.k.sites += clusters
	return nil
}

// Observe appends e, m, absm, m2 and the mean number of clusters per step
// of the interval.
func (c *SwendsenWang) Observe(dst []float64) []float64 {
	return append(c.Lat.observe(dst, c.P), c.k.mean())
}

func (c *SwendsenWang) MarshalBinary() ([]byte, error) {
	return marshalCommon('S', &c.Lat, c.rng, c.k.marshal(nil))
}

func (c *SwendsenWang) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('S', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	return c.k.unmarshal(extra)
}

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
	_ mc.Chain = (*SwendsenWang)(nil)
)

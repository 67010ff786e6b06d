package ising3d

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// Wolff is a single-cluster Wolff chain for J > 0 and h = 0.
type Wolff struct {
	P     Params
	Lat   Lattice
	rng   *mc.PCG
	thr   uint64
	stack []int32
	moves int64
	sites int64
}

// NewWolff returns a Wolff chain, or an error outside its domain.
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if p.H != 0 || !(p.J > 0) {
		return nil, fmt.Errorf("ising3d: Wolff needs J > 0 and h = 0 (got J = %v, h = %v)", p.J, p.H)
	}
	return &Wolff{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng,
		thr: mc.Threshold(-math.Expm1(-2 * p.Beta * p.J)), stack: make([]int32, 0, p.L*p.L*p.L)}, nil
}

// Step grows one cluster from a uniform seed and flips it.
func (c *Wolff) Step() error {
	L, s, rng := c.Lat.L, c.Lat.Spin, c.rng
	seed := int32(mc.Below(rng, uint64(len(s))))
	s0 := s[seed]
	s[seed] = -s0
	stack := append(c.stack[:0], seed)
	size := int64(1)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, j := range neighbours(i, L) {
			if s[j] == s0 && rng.Uint64() < c.thr {
				s[j] = -s0
				stack = append(stack, int32(j))
				size++
			}
		}
	}
	c.stack = stack
	c.moves++
	c.sites += size
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size.
func (c *Wolff) Observe(dst []float64) []float64 {
	mean := math.NaN()
	if c.moves > 0 {
		mean = float64(c.sites) / float64(c.moves)
	}
	c.moves, c.sites = 0, 0
	return append(c.Lat.observe(dst, c.P), mean)
}

func (c *Wolff) MarshalBinary() ([]byte, error) {
	extra := binary.LittleEndian.AppendUint64(nil, uint64(c.moves))
	extra = binary.LittleEndian.AppendUint64(extra, uint64(c.sites))
	return marshalCommon('W', c.Lat.L, spinBytes(c.Lat.Spin), c.rng, extra)
}

func (c *Wolff) UnmarshalBinary(b []byte) error {
	sp, extra, err := unmarshalCommon('W', c.Lat.L, len(c.Lat.Spin), c.rng, b)
	if err != nil {
		return err
	}
	if len(extra) != 16 {
		return errState
	}
	c.moves, c.sites = int64(binary.LittleEndian.Uint64(extra)), int64(binary.LittleEndian.Uint64(extra[8:]))
	return setSpins(c.Lat.Spin, sp)
}

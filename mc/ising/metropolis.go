package ising

import (
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// Metropolis is a checkerboard single-spin-flip Metropolis chain.
type Metropolis struct {
	P   Params
	Lat Lattice
	rng *mc.PCG
	// thr[8s + nb + 12] is the acceptance threshold for flipping spin s
	// with neighbour sum nb (indices 0..8 for s = -1, 16..24 for s = +1):
	// flip iff u < thr for uniform u. Indexing mod 32 drops bounds checks.
	thr [32]uint64
}

// NewMetropolis returns a chain started hot or cold from rng's stream.
// The parameters must be valid (see Params.Validate).
func NewMetropolis(p Params, hot bool, rng *mc.PCG) *Metropolis {
	c := &Metropolis{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng}
	for si := range 2 {
		s := float64(2*si - 1)
		for k := range 5 {
			nb := float64(2*k - 4)
			dE := 2 * s * (p.J*nb + p.H)
			c.thr[(int(s)*8+int(nb)+12)&31] = mc.Threshold(math.Exp(-p.Beta * dE))
		}
	}
	return c
}

// Step performs one checkerboard sweep: L² attempted flips.
//
// The loop is branch-free in the acceptance: every attempt draws one 64-bit
// number u and flips iff u < thr (a borrow, no branch), so that the CPU
// never mispredicts a Metropolis decision. The generator's state lives in
// locals for the sweep.
func (c *Metropolis) Step() error {
	L, s := c.Lat.L, c.Lat.Spin
	hi, lo := c.rng.Hi, c.rng.Lo
	thr := &c.thr
	for color := range 2 {
		for y := range L {
			row, up, dn := lattice.Rows(s, L, y)
			x := (y + color) & 1
			var u uint64
			if x == 0 {
				// x = 0: the left neighbour wraps.
				si := row[0]
				nb := int(up[0]) + int(dn[0]) + int(row[L-1]) + int(row[1])
				u, hi, lo = mc.Next(hi, lo)
				_, b := bits.Sub64(u, thr[(int(si)*8+nb+12)&31], 0)
				row[0] = si ^ int8(-b&0xfe)
				x = 2
			}
			for ; x < L-1; x += 2 {
				si := row[x]
				nb := int(up[x]) + int(dn[x]) + int(row[x-1]) + int(row[x+1])
				u, hi, lo = mc.Next(hi, lo)
				_, b := bits.Sub64(u, thr[(int(si)*8+nb+12)&31], 0)
				row[x] = si ^ int8(-b&0xfe)
			}
			if x == L-1 {
				// x = L-1: the right neighbour wraps.
				si := row[x]
				nb := int(up[x]) + int(dn[x]) + int(row[x-1]) + int(row[0])
				u, hi, lo = mc.Next(hi, lo)
				_, b := bits.Sub64(u, thr[(int(si)*8+nb+12)&31], 0)
				row[x] = si ^ int8(-b&0xfe)
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
	return nil
}

// Observe appends e, m, absm, m2.
func (c *Metropolis) Observe(dst []float64) []float64 { return c.Lat.observe(dst, c.P) }

// MarshalBinary encodes spins and RNG state.
func (c *Metropolis) MarshalBinary() ([]byte, error) {
	return marshalCommon('M', &c.Lat, c.rng, nil)
}

// UnmarshalBinary restores a state written by MarshalBinary for the same L.
func (c *Metropolis) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('M', &c.Lat, c.rng, b)
	if err == nil && len(extra) != 0 {
		return errState
	}
	return err
}

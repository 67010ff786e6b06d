package ising3d

import (
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
)

// Metropolis is a checkerboard single-spin-flip Metropolis chain, branch
// free in its decisions as the 2D engine's: every attempt draws one 64-bit
// u and flips iff u < thr.
type Metropolis struct {
	P   Params
	Lat Lattice
	rng *mc.PCG
	// thr[(16s + nb + 24) & 63]: the threshold of flipping spin s with
	// neighbour sum nb ∈ {−6, …, 6}.
	thr [64]uint64
	nbs []int8 // scratch: a row's neighbour sums off the row
}

// NewMetropolis returns a chain started hot or cold from rng's stream.
// The parameters must be valid (see Params.Validate).
func NewMetropolis(p Params, hot bool, rng *mc.PCG) *Metropolis {
	c := &Metropolis{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng, nbs: make([]int8, p.L)}
	for _, s := range []int{-1, 1} {
		for nb := -6; nb <= 6; nb += 2 {
			dE := 2 * float64(s) * (p.J*float64(nb) + p.H)
			c.thr[(16*s+nb+24)&63] = mc.Threshold(math.Exp(-p.Beta * dE))
		}
	}
	return c
}

// Step performs one checkerboard sweep: L³ attempted flips.
func (c *Metropolis) Step() error {
	L, s := c.Lat.L, c.Lat.Spin
	hi, lo := c.rng.Hi, c.rng.Lo
	thr := &c.thr
	nbs := c.nbs[:L:L]
	wrap := func(i int) int { // i mod L for i in [−1, L]: no division per row
		if i < 0 {
			return L - 1
		}
		if i == L {
			return 0
		}
		return i
	}
	for color := range 2 {
		for z := range L {
			zf, zb := wrap(z+1)*L, wrap(z-1)*L
			for y := range L {
				row := s[(z*L+y)*L:][:L:L]
				up := s[(z*L+wrap(y-1))*L:][:L:L]
				dn := s[(z*L+wrap(y+1))*L:][:L:L]
				fw := s[(zf+y)*L:][:L:L]
				bw := s[(zb+y)*L:][:L:L]
				// The four neighbours off the row first, in a loop of its own:
				// the update loop then holds two rows instead of five.
				x0 := (y + z + color) & 1
				for x := x0; x < L; x += 2 {
					nbs[x] = up[x] + dn[x] + fw[x] + bw[x]
				}
				x := x0
				var u uint64
				if x == 0 { // the left neighbour wraps
					nb := int(nbs[0]) + int(row[L-1]) + int(row[1])
					u, hi, lo = mc.Next(hi, lo)
					_, b := bits.Sub64(u, thr[(int(row[0])*16+nb+24)&63], 0)
					row[0] ^= int8(-b & 0xfe)
					x = 2
				}
				for ; x < L-1; x += 2 {
					si := row[x]
					nb := int(nbs[x]) + int(row[x-1]) + int(row[x+1])
					u, hi, lo = mc.Next(hi, lo)
					_, b := bits.Sub64(u, thr[(int(si)*16+nb+24)&63], 0)
					row[x] = si ^ int8(-b&0xfe)
				}
				if x == L-1 { // the right neighbour wraps
					nb := int(nbs[x]) + int(row[x-1]) + int(row[0])
					u, hi, lo = mc.Next(hi, lo)
					_, b := bits.Sub64(u, thr[(int(row[x])*16+nb+24)&63], 0)
					row[x] ^= int8(-b & 0xfe)
				}
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
	return nil
}

// Observe appends e, m, absm, m2.
func (c *Metropolis) Observe(dst []float64) []float64 { return c.Lat.observe(dst, c.P) }

func (c *Metropolis) MarshalBinary() ([]byte, error) {
	return marshalCommon('M', &c.Lat, c.rng, nil)
}

func (c *Metropolis) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('M', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	if len(extra) != 0 {
		return errState
	}
	return nil
}

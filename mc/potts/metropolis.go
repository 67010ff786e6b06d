package potts

import (
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// Metropolis is a checkerboard single-site Metropolis chain: at each site
// a new state uniform among the q − 1 others, accepted with probability
// min(1, e^{−βΔE}) (two random numbers per attempt).
type Metropolis struct {
	P   Params
	Lat Lattice
	rng *mc.PCG
	// thr[(3(Δn + 4) + Δf + 1) & 31]: the acceptance threshold for Δn
	// more satisfied bonds and Δf = δ(s', 0) − δ(s, 0) (the mask drops
	// bounds checks).
	thr [32]uint64
}

// NewMetropolis returns a chain started hot or cold from rng's stream.
// The parameters must be valid (see Params.Validate).
func NewMetropolis(p Params, hot bool, rng *mc.PCG) *Metropolis {
	c := &Metropolis{P: p, Lat: NewLattice(p.L, p.Q, hot, rng), rng: rng}
	for dn := -4; dn <= 4; dn++ {
		for df := -1; df <= 1; df++ {
			dE := -p.J*float64(dn) - p.H*float64(df)
			c.thr[(3*(dn+4)+df+1)&31] = mc.Threshold(math.Exp(-p.Beta * dE))
		}
	}
	return c
}

// Step performs one checkerboard sweep: L² attempted moves.
func (c *Metropolis) Step() error {
	if c.P.H == 0 {
		c.stepNoField()
	} else {
		c.stepField()
	}
	return nil
}

// stepField is a sweep for any h and L.
func (c *Metropolis) stepField() {
	L, s := c.Lat.L, c.Lat.S
	hi, lo := c.rng.Hi, c.rng.Lo
	other := uint64(c.P.Q - 1)
	q := uint(c.P.Q)
	thr := &c.thr
	for color := range 2 {
		for y := range L {
			row, up, dn := lattice.Rows(s, L, y)
			for x := (y + color) & 1; x < L; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = L - 1
				}
				if xr == L {
					xr = 0
				}
				old := row[x]
				// The proposal's and the acceptance's numbers, computed in parallel.
				u, _, _ := mc.Next(hi, lo)
				var v uint64
				v, hi, lo = mc.NextNext(hi, lo)
				r, _ := bits.Mul64(u, other)
				n1 := uint(old) + 1 + uint(r)
				nw := uint8(n1 - q&-uint(b2u(n1 >= q))) // branch free: old + 1 + r mod q
				a, b, cc, e := up[x], dn[x], row[xl], row[xr]
				d := int(b2u(a == nw)+b2u(b == nw)+b2u(cc == nw)+b2u(e == nw)) -
					int(b2u(a == old)+b2u(b == old)+b2u(cc == old)+b2u(e == old))
				df := int(b2u(nw == 0)) - int(b2u(old == 0))
				_, borrow := bits.Sub64(v, thr[(3*(d+4)+df+1)&31], 0)
				row[x] = old ^ (old^nw)&-uint8(borrow) // branch free: nw iff u < thr
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// stepNoField is Step for h = 0: the threshold depends on Δn alone
// (thr[3(Δn + 4) + 1]), which frees the registers of Δf. The decisions
// are Step's, bit for bit.
func (c *Metropolis) stepNoField() {
	L, s := c.Lat.L, c.Lat.S
	hi, lo := c.rng.Hi, c.rng.Lo
	q := uint(c.P.Q)
	thr := &c.thr
	for color := range 2 {
		for y := range L {
			row, up, dn := lattice.Rows(s, L, y)
			for x := (y + color) & 1; x < L; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = L - 1
				}
				if xr == L {
					xr = 0
				}
				old := row[x]
				u, _, _ := mc.Next(hi, lo)
				var v uint64
				v, hi, lo = mc.NextNext(hi, lo)
				r, _ := bits.Mul64(u, uint64(q-1))
				n1 := uint(old) + 1 + uint(r)
				nw := uint8(n1 - q&-uint(b2u(n1 >= q)))
				a, b, cc, e := up[x], dn[x], row[xl], row[xr]
				d := int(b2u(a == nw)+b2u(b == nw)+b2u(cc == nw)+b2u(e == nw)) -
					int(b2u(a == old)+b2u(b == old)+b2u(cc == old)+b2u(e == old))
				_, borrow := bits.Sub64(v, thr[(3*d+13)&31], 0)
				row[x] = old ^ (old^nw)&-uint8(borrow)
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Observe appends e, m, absm, m2.
func (c *Metropolis) Observe(dst []float64) []float64 { return c.Lat.observe(dst, c.P) }

// MarshalBinary encodes states and RNG state.
func (c *Metropolis) MarshalBinary() ([]byte, error) { return marshalCommon('M', &c.Lat, c.rng, nil) }

// UnmarshalBinary restores a state written by MarshalBinary.
func (c *Metropolis) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('M', &c.Lat, c.rng, b)
	if err == nil && len(extra) != 0 {
		return errState
	}
	return err
}

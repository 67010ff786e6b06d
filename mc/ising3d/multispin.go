package ising3d

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
)

// Replicas is the number of chains a Multispin unit holds.
const Replicas = 64

// Multispin is 64 independent replicas of the L×L×L Ising model,
// multi-spin coded as the 2D engine (package ising): bit r of word i is
// replica r's spin at site i (1 = +1); a checkerboard sweep counts each
// replica's aligned neighbours k ∈ 0..6 with a bit-sliced adder and
// decides the 64 moves of the class (k, s) with the exact bit-serial
// comparison u < t of the 2D engine (t = ⌊p·2⁶⁴⌋, bias ≤ 2⁻⁶⁴ per
// decision). The 64 replicas of a unit share its stream.
type Multispin struct {
	P   Params
	s   []uint64
	rng *mc.PCG
	thr [14]uint64 // class 2k + sbit
	// classes that need random bits; classes that always flip
	rand, always []int
	cnt          [2][]uint64 // scratch for Observe
}

// NewMultispin returns a unit of 64 replicas started hot or cold.
func NewMultispin(p Params, hot bool, rng *mc.PCG) *Multispin {
	n := p.L * p.L * p.L
	c := &Multispin{P: p, s: make([]uint64, n), rng: rng}
	for i := range c.s {
		c.s[i] = math.MaxUint64
		if hot {
			c.s[i] = rng.Uint64()
		}
	}
	for k := range 7 {
		for sb := range 2 {
			s := float64(2*sb - 1)
			// k aligned neighbours: the neighbour sum is s(2k − 6).
			dE := 2 * (p.J*float64(2*k-6) + p.H*s)
			cl := 2*k + sb
			c.thr[cl] = mc.Threshold(math.Exp(-p.Beta * dE))
			switch c.thr[cl] {
			case math.MaxUint64:
				c.always = append(c.always, cl)
			case 0:
			default:
				c.rand = append(c.rand, cl)
			}
		}
	}
	w := bits.Len(uint(3*n)) + 1
	for i := range c.cnt {
		c.cnt[i] = make([]uint64, w)
	}
	return c
}

// classes sets m[2k + sbit] to the replicas of spin word w with k aligned
// neighbours among n[0..5] and spin bit sbit.
func classes(m *[14]uint64, w uint64, n *[6]uint64) {
	var a [6]uint64
	for j, v := range n {
		a[j] = ^(w ^ v)
	}
	// Two full adders of three inputs, then their sums added: k = k0 + 2k1 + 4k2.
	s1, c1 := a[0]^a[1]^a[2], (a[0]&a[1])|(a[2]&(a[0]^a[1]))
	s2, c2 := a[3]^a[4]^a[5], (a[3]&a[4])|(a[5]&(a[3]^a[4]))
	k0, cr := s1^s2, s1&s2
	k1 := c1 ^ c2 ^ cr
	k2 := (c1 & c2) | (cr & (c1 ^ c2))
	for k := range 7 {
		km := sel(k0, k&1) & sel(k1, k>>1&1) & sel(k2, k>>2&1)
		m[2*k] = km &^ w
		m[2*k+1] = km & w
	}
}

// sel returns x if bit is 1, else ^x.
func sel(x uint64, bit int) uint64 {
	if bit == 1 {
		return x
	}
	return ^x
}

// Step performs one checkerboard sweep of the 64 replicas.
func (c *Multispin) Step() error {
	if c.P.H == 0 && c.P.J > 0 {
		c.stepFerro()
	} else {
		c.stepGeneral()
	}
	return nil
}

// stepGeneral is a sweep for any h and J.
func (c *Multispin) stepGeneral() {
	L, s := c.P.L, c.s
	hi, lo := c.rng.Hi, c.rng.Lo
	var m [14]uint64
	var n [6]uint64
	for color := range 2 {
		for r := range L * L {
			row, up, dn, fw, bw := rows(s, L, r)
			for x := (r/L + r%L + color) & 1; x < L; x += 2 {
				n = [6]uint64{row[(x+1)%L], row[(x+L-1)%L], dn[x], up[x], fw[x], bw[x]}
				w := row[x]
				classes(&m, w, &n)
				var flip, und uint64
				for _, cl := range c.always {
					flip |= m[cl]
				}
				for _, cl := range c.rand {
					und |= m[cl]
				}
				for b := 63; und != 0 && b >= 0; b-- {
					var r, t uint64
					r, hi, lo = mc.Next(hi, lo)
					for _, cl := range c.rand {
						t |= m[cl] & -(c.thr[cl] >> uint(b) & 1)
					}
					flip |= und & t &^ r
					und &^= r ^ t
				}
				row[x] = w ^ flip
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// stepFerro is Step for h = 0, J > 0, specialised as the 2D engine's:
// moves with k ≤ 3 aligned neighbours always succeed (ΔE ≤ 0), k = 4, 5, 6
// have the thresholds t4, t5, t6 whatever the spin, so the classes are a
// few bit-sliced expressions and a comparison level has three terms. The
// decisions are Step's, bit for bit.
func (c *Multispin) stepFerro() {
	L, s := c.P.L, c.s
	t4, t5, t6 := c.thr[8], c.thr[10], c.thr[12]
	hi, lo := c.rng.Hi, c.rng.Lo
	for color := range 2 {
		for r := range L * L {
			row, up, dn, fw, bw := rows(s, L, r)
			for x := (r/L + r%L + color) & 1; x < L; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = L - 1
				}
				if xr == L {
					xr = 0
				}
				w := row[x]
				a0, a1, a2 := ^(w ^ row[xr]), ^(w ^ row[xl]), ^(w ^ dn[x])
				a3, a4, a5 := ^(w ^ up[x]), ^(w ^ fw[x]), ^(w ^ bw[x])
				s1, c1 := a0^a1^a2, (a0&a1)|(a2&(a0^a1))
				s2, c2 := a3^a4^a5, (a3&a4)|(a5&(a3^a4))
				k0, cr := s1^s2, s1&s2
				k1 := c1 ^ c2 ^ cr
				k2 := (c1 & c2) | (cr & (c1 ^ c2))
				k4 := k2 &^ k1 &^ k0
				k5 := k2 &^ k1 & k0
				k6 := k2 & k1
				und := k2
				flip := ^k2
				for b := 63; und != 0 && b >= 0; b-- {
					var r uint64
					r, hi, lo = mc.Next(hi, lo)
					t := k4&-(t4>>uint(b)&1) | k5&-(t5>>uint(b)&1) | k6&-(t6>>uint(b)&1)
					flip |= und & t &^ r
					und &^= r ^ t
				}
				row[x] = w ^ flip
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// rows returns row r (= z·L + y) of the lattice and its neighbour rows in
// y and z, each of length L.
func rows(s []uint64, L, r int) (row, up, dn, fw, bw []uint64) {
	z, y := r/L, r%L
	wrap := func(i int) int {
		if i < 0 {
			return L - 1
		}
		if i == L {
			return 0
		}
		return i
	}
	at := func(z, y int) []uint64 { return s[(z*L+y)*L:][:L:L] }
	return at(z, y), at(z, wrap(y-1)), at(z, wrap(y+1)), at(wrap(z+1), y), at(wrap(z-1), y)
}

// Observe appends e, m, absm, m2 of each replica in turn (64×4 values).
func (c *Multispin) Observe(dst []float64) []float64 {
	L, s := c.P.L, c.s
	aligned, ups := c.cnt[0], c.cnt[1]
	clear(aligned)
	clear(ups)
	for i, w := range s {
		nb := neighbours(i, L)
		ising.AddBits(aligned, ^(w ^ s[nb[0]])) // +x
		ising.AddBits(aligned, ^(w ^ s[nb[2]])) // +y
		ising.AddBits(aligned, ^(w ^ s[nb[4]])) // +z
		ising.AddBits(ups, w)
	}
	n := int64(len(s))
	nf := float64(n)
	for r := range Replicas {
		bonds := 2*ising.CountBits(aligned, r) - 3*n
		mag := 2*ising.CountBits(ups, r) - n
		m := float64(mag) / nf
		e := (-c.P.J*float64(bonds) - c.P.H*float64(mag)) / nf
		dst = append(dst, e, m, math.Abs(m), m*m)
	}
	return dst
}

// Replica returns replica r's spins (±1).
func (c *Multispin) Replica(r int) []int8 {
	out := make([]int8, len(c.s))
	for i, w := range c.s {
		out[i] = int8(2*(w>>uint(r)&1)) - 1
	}
	return out
}

func (c *Multispin) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 8*len(c.s))
	for _, w := range c.s {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return marshalCommon('S', c.P.L, b, c.rng, nil)
}

func (c *Multispin) UnmarshalBinary(b []byte) error {
	words, extra, err := unmarshalCommon('S', c.P.L, 8*len(c.s), c.rng, b)
	if err != nil {
		return err
	}
	if len(extra) != 0 {
		return errState
	}
	for i := range c.s {
		c.s[i] = binary.LittleEndian.Uint64(words[8*i:])
	}
	return nil
}

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
	_ mc.Chain = (*Multispin)(nil)
)

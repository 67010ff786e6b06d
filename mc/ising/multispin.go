package ising

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
)

// Replicas is the number of chains a Multispin unit holds: one per bit of
// a machine word.
const Replicas = 64

// Multispin is 64 independent replicas of the L×L Ising model, multi-spin
// coded: bit r of word i is replica r's spin at site i (1 = +1). A
// checkerboard sweep updates the 64 replicas of a site at once with
// bitwise operations: the aligned neighbours a_j = ¬(s ⊕ n_j), their count
// k ∈ 0..4 by a bit-sliced adder, and from (k, s) the class of each
// replica's move, ΔE = 2(J(2k − 4) + h·s).
//
// # Acceptance
//
// Each replica's decision is exactly the plain engine's: flip iff u < t,
// with t = ⌊p·2⁶⁴⌋ for p = min(1, e^{−βΔE}) and u a uniform 64-bit number
// (so the bias is at most 2⁻⁶⁴ per decision, none beyond it). The 64
// numbers u are compared bit-serially, most significant bit first: level b
// draws one random word whose bit r is bit b of replica r's u, settles
// every replica whose bit differs from bit b of its threshold (u < t where
// t has the 1), and keeps the rest. A replica is settled at each level
// with probability ½, so a site needs about log₂(undecided) + 1.3 random
// words for its 64 decisions instead of 64; a replica still undecided
// after all 64 levels has u = t and is not flipped. Replicas whose move
// always succeeds (t = 2⁶⁴ − 1 marks p ≥ 1) flip without random bits.
//
// # Random streams
//
// The 64 replicas of a unit share one RNG stream (the unit's, derived by
// the caller from (seed, task id, mc.Moves, unit) with mc.NewStream): the
// replicas of a multi-spin word are not independent streams, by design;
// units are.
type Multispin struct {
	P   Params
	s   []uint64 // L·L words
	rng *mc.PCG
	// thr[c] for class c = 2k + sbit: k aligned neighbours, sbit the
	// replica's spin bit (1 = +1).
	thr [10]uint64
	// Classes that need a random decision, grouped by equal threshold:
	// group g's threshold is gthr[g] and cls[g] lists its classes.
	gthr []uint64
	gcls [][]int
	// always: classes whose move always succeeds (p ≥ 1).
	always []int

	// scratch for Observe: bit-sliced counters
	cnt [3][]uint64
}

// NewMultispin returns a unit of 64 replicas, each started hot
// (independent ±1) or cold (all +1), from rng's stream. The parameters
// must be valid (see Params.Validate).
func NewMultispin(p Params, hot bool, rng *mc.PCG) *Multispin {
	n := p.L * p.L
	c := &Multispin{P: p, s: make([]uint64, n), rng: rng}
	for i := range c.s {
		c.s[i] = math.MaxUint64
		if hot {
			c.s[i] = rng.Uint64()
		}
	}
	groups := map[uint64]int{}
	for k := range 5 {
		for sb := range 2 {
			s := float64(2*sb - 1)
			dE := 2 * (p.J*float64(2*k-4) + p.H*s)
			t := mc.Threshold(math.Exp(-p.Beta * dE))
			cl := 2*k + sb
			c.thr[cl] = t
			switch t {
			case math.MaxUint64:
				c.always = append(c.always, cl)
			case 0: // never accepted: no flips, no random bits
			default:
				g, ok := groups[t]
				if !ok {
					g = len(c.gthr)
					groups[t] = g
					c.gthr = append(c.gthr, t)
					c.gcls = append(c.gcls, nil)
				}
				c.gcls[g] = append(c.gcls[g], cl)
			}
		}
	}
	w := bits.Len(uint(2*n)) + 1
	for i := range c.cnt {
		c.cnt[i] = make([]uint64, w)
	}
	return c
}

// classMasks sets m[2k + sbit] to the replicas with k aligned neighbours
// and spin bit sbit.
func classMasks(m *[10]uint64, w, n1, n2, n3, n4 uint64) {
	a1, a2, a3, a4 := ^(w ^ n1), ^(w ^ n2), ^(w ^ n3), ^(w ^ n4)
	t1, c1 := a1^a2, a1&a2
	t2, c2 := a3^a4, a3&a4
	k0, cr := t1^t2, t1&t2
	k1 := c1 ^ c2 ^ cr
	k2 := (c1 & c2) | (c1 & cr) | (c2 & cr) // k = k0 + 2k1 + 4k2
	nk0, nk1 := ^k0, ^k1
	ks := [5]uint64{nk0 & nk1 & ^k2, k0 & nk1 & ^k2, nk0 & k1 & ^k2, k0 & k1 & ^k2, k2}
	for k, km := range ks {
		m[2*k] = km &^ w
		m[2*k+1] = km & w
	}
}

// Step performs one checkerboard sweep of all 64 replicas: 64·L² attempted
// flips.
func (c *Multispin) Step() error {
	if c.P.H == 0 && c.P.J > 0 {
		c.stepFerro()
		return nil
	}
	L, s := c.P.L, c.s
	hi, lo := c.rng.Hi, c.rng.Lo
	var m [10]uint64
	var gm [10]uint64
	ng := len(c.gthr)
	for color := range 2 {
		for y := range L {
			yu, yd := y-1, y+1
			if y == 0 {
				yu = L - 1
			}
			if yd == L {
				yd = 0
			}
			row := s[y*L : (y+1)*L : (y+1)*L]
			up := s[yu*L : (yu+1)*L : (yu+1)*L]
			dn := s[yd*L : (yd+1)*L : (yd+1)*L]
			for x := (y + color) & 1; x < L; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = L - 1
				}
				if xr == L {
					xr = 0
				}
				w := row[x]
				classMasks(&m, w, up[x], dn[x], row[xl], row[xr])
				var flip uint64
				for _, cl := range c.always {
					flip |= m[cl]
				}
				var und uint64
				for g := range ng {
					var v uint64
					for _, cl := range c.gcls[g] {
						v |= m[cl]
					}
					gm[g] = v
					und |= v
				}
				for b := 63; und != 0 && b >= 0; b-- {
					var r uint64
					r, hi, lo = mc.Next(hi, lo)
					var t uint64 // bit b of each replica's threshold
					for g := range ng {
						t |= gm[g] & -(c.gthr[g] >> uint(b) & 1)
					}
					flip |= und & t &^ r // u's bit 0 where t's is 1: u < t
					und &^= r ^ t        // settled where the bits differ
				}
				row[x] = w ^ flip
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
	return nil
}

// stepFerro is Step for h = 0, J > 0, specialised: moves with k ≤ 2
// aligned neighbours always succeed, k = 3 and k = 4 have the thresholds
// t3 and t4 whatever the spin, so the class masks are three bit-sliced
// expressions and the comparison level has two terms.
func (c *Multispin) stepFerro() {
	L, s := c.P.L, c.s
	t3, t4 := c.thr[6], c.thr[8]
	hi, lo := c.rng.Hi, c.rng.Lo
	for color := range 2 {
		for y := range L {
			yu, yd := y-1, y+1
			if y == 0 {
				yu = L - 1
			}
			if yd == L {
				yd = 0
			}
			row := s[y*L : (y+1)*L : (y+1)*L]
			up := s[yu*L : (yu+1)*L : (yu+1)*L]
			dn := s[yd*L : (yd+1)*L : (yd+1)*L]
			for x := (y + color) & 1; x < L; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = L - 1
				}
				if xr == L {
					xr = 0
				}
				w := row[x]
				a1, a2, a3, a4 := ^(w ^ up[x]), ^(w ^ dn[x]), ^(w ^ row[xl]), ^(w ^ row[xr])
				t1, c1 := a1^a2, a1&a2
				t2, c2 := a3^a4, a3&a4
				k0, cr := t1^t2, t1&t2
				k1 := c1 ^ c2 ^ cr
				k4 := (c1 & c2) | (c1 & cr) | (c2 & cr) // k = k0 + 2k1 + 4k2, k2 only at k = 4
				k3 := k0 & k1
				und := k3 | k4
				flip := ^und
				for b := 63; und != 0 && b >= 0; b-- {
					var r uint64
					r, hi, lo = mc.Next(hi, lo)
					t := k3&-(t3>>uint(b)&1) | k4&-(t4>>uint(b)&1)
					flip |= und & t &^ r
					und &^= r ^ t
				}
				row[x] = w ^ flip
			}
		}
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// AddBits adds the bits of x to the bit-sliced counters planes (bit r of
// plane i is bit i of replica r's count): 64 counters at once, as the
// multispin engines measure.
func AddBits(planes []uint64, x uint64) {
	for i := 0; x != 0; i++ {
		carry := planes[i] & x
		planes[i] ^= x
		x = carry
	}
}

// CountBits returns replica r's count from the planes of AddBits.
func CountBits(planes []uint64, r int) int64 {
	var v int64
	for i, p := range planes {
		v |= int64(p>>uint(r)&1) << uint(i)
	}
	return v
}

// Observe appends e, m, absm, m2 of each replica in turn (64×4 values).
func (c *Multispin) Observe(dst []float64) []float64 {
	L, s := c.P.L, c.s
	aligned, ups := c.cnt[0], c.cnt[1]
	clear(aligned)
	clear(ups)
	for y := range L {
		yd := y + 1
		if yd == L {
			yd = 0
		}
		row := s[y*L : (y+1)*L]
		dn := s[yd*L : (yd+1)*L]
		for x, w := range row {
			xr := x + 1
			if xr == L {
				xr = 0
			}
			AddBits(aligned, ^(w ^ row[xr]))
			AddBits(aligned, ^(w ^ dn[x]))
			AddBits(ups, w)
		}
	}
	n := int64(L * L)
	nf := float64(n)
	for r := range Replicas {
		bonds := 2*CountBits(aligned, r) - 2*n // aligned − anti-aligned of 2N bonds
		mag := 2*CountBits(ups, r) - n
		m := float64(mag) / nf
		e := (-c.P.J*float64(bonds) - c.P.H*float64(mag)) / nf
		dst = append(dst, e, m, math.Abs(m), m*m)
	}
	return dst
}

// Replica returns replica r's spins (±1, row-major).
func (c *Multispin) Replica(r int) []int8 {
	out := make([]int8, len(c.s))
	for i, w := range c.s {
		out[i] = int8(2*(w>>uint(r)&1)) - 1
	}
	return out
}

// MarshalBinary encodes the words and the RNG state.
func (c *Multispin) MarshalBinary() ([]byte, error) {
	r, err := c.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(magic)+5+8*len(c.s)+1+len(r))
	b = append(b, magic...)
	b = append(b, 'S')
	b = binary.LittleEndian.AppendUint32(b, uint32(c.P.L))
	for _, w := range c.s {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	b = append(b, byte(len(r)))
	return append(b, r...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same L.
func (c *Multispin) UnmarshalBinary(b []byte) error {
	if len(b) < len(magic)+5 || string(b[:len(magic)]) != magic {
		return errState
	}
	if b[len(magic)] != 'S' {
		return fmt.Errorf("ising: chain state is of sampler kind %q, want the multispin engine", b[len(magic)])
	}
	b = b[len(magic)+1:]
	if L := int(binary.LittleEndian.Uint32(b)); L != c.P.L {
		return fmt.Errorf("ising: chain state has L = %d, want %d", L, c.P.L)
	}
	b = b[4:]
	n := len(c.s)
	if len(b) < 8*n+1 {
		return errState
	}
	words := make([]uint64, n)
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	b = b[8*n:]
	nr := int(b[0])
	if len(b) != 1+nr {
		return errState
	}
	if err := c.rng.UnmarshalBinary(b[1:]); err != nil {
		return fmt.Errorf("ising: chain RNG state: %w", err)
	}
	copy(c.s, words)
	return nil
}

var _ mc.Chain = (*Multispin)(nil)

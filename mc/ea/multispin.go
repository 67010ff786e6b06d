package ea

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
)

// Replicas is the number of replica pairs of a Multispin unit.
const Replicas = 64

// Multispin is 64 pairs of replicas of one ±J sample, multi-spin coded:
// bit r of a[i] and of b[i] are pair r's two spins at site i (1 = +1). A
// sweep visits the sites in order and updates the 128 spins of a site
// with bitwise operations: bond k is satisfied where ¬(s ⊕ n_k ⊕ neg_k)
// (neg_k all ones for J = −1), their count c by a bit-sliced adder, and a
// flip costs ΔE = 2(2c − z), z = 2d.
//
// The decisions are exact as in the Ising engine (ising.Multispin): flip
// iff u < ⌊p·2⁶⁴⌋ for p = min(1, e^{−βΔE}), the 64-bit uniforms u
// compared bit-serially, one random word per level for all undecided
// replicas; moves with c <= z/2 always succeed. The 64 pairs of a unit
// share its stream; units are independent.
type Multispin struct {
	lat  *Lattice
	beta float64
	a, b []uint64
	neg  []uint64 // neg[z·i + k]: all ones where site i's bond k has J = −1
	rng  *mc.PCG
	thr  [7]uint64 // thr[c] for c satisfied bonds

	// scratch for Observe: bit-sliced counters
	satA, satB, same, link []uint64
	coord                  [][]uint64 // [μ·L + c]: same-spin counts at coordinate c along μ
}

// NewMultispin returns 64 pairs started hot (independent uniform spins)
// or cold (all +1) from rng's stream; the couplings must be ±1.
func NewMultispin(lat *Lattice, beta float64, hot bool, rng *mc.PCG) (*Multispin, error) {
	z := 2 * lat.Dim
	c := &Multispin{lat: lat, beta: beta, rng: rng, a: make([]uint64, lat.N), b: make([]uint64, lat.N), neg: make([]uint64, z*lat.N)}
	for i, j := range lat.jn {
		switch j {
		case 1:
		case -1:
			c.neg[i] = math.MaxUint64
		default:
			return nil, errors.New("ea: the multispin engine needs couplings ±1 (couplings = \"pm\")")
		}
	}
	for _, s := range [][]uint64{c.a, c.b} {
		for i := range s {
			s[i] = math.MaxUint64
			if hot {
				s[i] = rng.Uint64()
			}
		}
	}
	for k := range z + 1 {
		c.thr[k] = mc.Threshold(math.Exp(-beta * 2 * float64(2*k-z)))
	}
	w := bits.Len(uint(z*lat.N)) + 1
	for _, p := range []*[]uint64{&c.satA, &c.satB, &c.same, &c.link} {
		*p = make([]uint64, w)
	}
	for range lat.Dim * lat.L {
		c.coord = append(c.coord, make([]uint64, w))
	}
	return c, nil
}

// Step sweeps each of the 64 pairs' two replicas once.
func (c *Multispin) Step() error {
	c.sweep(c.a)
	c.sweep(c.b)
	return nil
}

func (c *Multispin) sweep(s []uint64) {
	if c.lat.Dim == 2 {
		c.sweep2(s)
	} else {
		c.sweep3(s)
	}
}

// sweep2 is the 2D sweep: 4 bonds a site; counts 3 and 4 need random
// bits (thresholds thr[3], thr[4]), counts <= 2 always flip.
func (c *Multispin) sweep2(s []uint64) {
	nbr, neg := c.lat.nbr, c.neg
	t3, t4 := c.thr[3], c.thr[4]
	hi, lo := c.rng.Hi, c.rng.Lo
	for i := range s {
		w := s[i]
		nb, ng := nbr[4*i:4*i+4:4*i+4], neg[4*i:4*i+4:4*i+4]
		x1, x2 := ^(w ^ s[nb[0]] ^ ng[0]), ^(w ^ s[nb[1]] ^ ng[1])
		x3, x4 := ^(w ^ s[nb[2]] ^ ng[2]), ^(w ^ s[nb[3]] ^ ng[3])
		t1, c1 := x1^x2, x1&x2
		t2, c2 := x3^x4, x3&x4
		k0, cr := t1^t2, t1&t2
		k1 := c1 ^ c2 ^ cr
		k4 := (c1 & c2) | (c1 & cr) | (c2 & cr) // count = k0 + 2k1 + 4k4
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
		s[i] = w ^ flip
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// sweep3 is the 3D sweep: 6 bonds a site; counts 4, 5, 6 need random
// bits, counts <= 3 always flip.
func (c *Multispin) sweep3(s []uint64) {
	nbr, neg := c.lat.nbr, c.neg
	t4, t5, t6 := c.thr[4], c.thr[5], c.thr[6]
	hi, lo := c.rng.Hi, c.rng.Lo
	for i := range s {
		w := s[i]
		nb, ng := nbr[6*i:6*i+6:6*i+6], neg[6*i:6*i+6:6*i+6]
		x1, x2, x3 := ^(w ^ s[nb[0]] ^ ng[0]), ^(w ^ s[nb[1]] ^ ng[1]), ^(w ^ s[nb[2]] ^ ng[2])
		x4, x5, x6 := ^(w ^ s[nb[3]] ^ ng[3]), ^(w ^ s[nb[4]] ^ ng[4]), ^(w ^ s[nb[5]] ^ ng[5])
		s1, c1 := x1^x2^x3, (x1&x2)|(x1&x3)|(x2&x3) // full adders
		s2, c2 := x4^x5^x6, (x4&x5)|(x4&x6)|(x5&x6)
		b0, cr := s1^s2, s1&s2
		b1 := c1 ^ c2 ^ cr
		b2 := (c1 & c2) | (c1 & cr) | (c2 & cr) // count = b0 + 2b1 + 4b2
		k4 := b2 &^ b1 &^ b0
		k5 := b2 &^ b1 & b0
		k6 := b2 & b1
		und := b2
		flip := ^und
		for b := 63; und != 0 && b >= 0; b-- {
			var r uint64
			r, hi, lo = mc.Next(hi, lo)
			t := k4&-(t4>>uint(b)&1) | k5&-(t5>>uint(b)&1) | k6&-(t6>>uint(b)&1)
			flip |= und & t &^ r
			und &^= r ^ t
		}
		s[i] = w ^ flip
	}
	c.rng.Hi, c.rng.Lo = hi, lo
}

// Observe appends the Observables of each pair in turn (64 × 7 values).
func (c *Multispin) Observe(dst []float64) []float64 {
	lat := c.lat
	d, L, N := lat.Dim, lat.L, lat.N
	for _, p := range [][]uint64{c.satA, c.satB, c.same, c.link} {
		clear(p)
	}
	for _, p := range c.coord {
		clear(p)
	}
	stride := N
	for i := range N {
		ai, bi := c.a[i], c.b[i]
		o := ^(ai ^ bi) // the overlap's sign: 1 where s^a = s^b
		ising.AddBits(c.same, o)
		for mu := range d {
			k := 2 * mu
			j := lat.nbr[2*d*i+k]
			ng := c.neg[2*d*i+k]
			ising.AddBits(c.satA, ^(ai ^ c.a[j] ^ ng))
			ising.AddBits(c.satB, ^(bi ^ c.b[j] ^ ng))
			ising.AddBits(c.link, ^((ai ^ c.a[j]) ^ (bi ^ c.b[j])))
		}
		s := stride
		for mu := range d {
			s /= L
			ising.AddBits(c.coord[mu*L+(i/s)%L], o)
		}
	}
	n, bonds := float64(N), float64(d*N)
	for r := range Replicas {
		ea := -(2*float64(ising.CountBits(c.satA, r)) - bonds)
		eb := -(2*float64(ising.CountBits(c.satB, r)) - bonds)
		q := (2*float64(ising.CountBits(c.same, r)) - n) / n
		ql := (2*float64(ising.CountBits(c.link, r)) - bonds) / bonds
		var qk2 float64
		per := float64(N / L) // sites at one coordinate
		for mu := range d {
			var re, im float64
			for x := range L {
				o := 2*float64(ising.CountBits(c.coord[mu*L+x], r)) - per
				re += o * lat.cosk[x]
				im += o * lat.sink[x]
			}
			qk2 += (re*re + im*im) / (n * n)
		}
		q2 := q * q
		dst = append(dst, (ea+eb)/(2*n), q, math.Abs(q), q2, q2*q2, ql, qk2/float64(d))
	}
	return dst
}

// MarshalBinary encodes the words and the stream.
func (c *Multispin) MarshalBinary() ([]byte, error) {
	r, err := c.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := []byte("mcfM")
	b = binary.LittleEndian.AppendUint32(b, uint32(c.lat.N))
	for _, s := range [][]uint64{c.a, c.b} {
		for _, w := range s {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return append(b, r...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same
// lattice.
func (c *Multispin) UnmarshalBinary(b []byte) error {
	n := c.lat.N
	if len(b) < 8+16*n || string(b[:4]) != "mcfM" || int(binary.LittleEndian.Uint32(b[4:])) != n {
		return errState
	}
	b = b[8:]
	for k, s := range [][]uint64{c.a, c.b} {
		for i := range s {
			s[i] = binary.LittleEndian.Uint64(b[8*(k*n+i):])
		}
	}
	return c.rng.UnmarshalBinary(append([]byte(nil), b[16*n:]...))
}

package ising3d

import (
	"math/bits"
	"slices"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
	"github.com/mcflow/mcflow/mc/lattice"
	"github.com/mcflow/mcflow/mc/multispin"
)

// Replicas is the number of chains a Multispin unit holds.
const Replicas = 64

// Multispin is 64 independent replicas of the L×L×L Ising model,
// multi-spin coded as the 2D engine (package ising): bit r of word i is
// replica r's spin at site i (1 = +1); a checkerboard sweep counts each
// replica's aligned neighbours k ∈ 0..6 with a bit-sliced adder and
// decides the 64 moves of the class (k, s) with the exact bit-serial
// comparison u < t of package multispin (t = ⌊p·2⁶⁴⌋, bias ≤ 2⁻⁶⁴ per
// decision), row by row as the 2D engine, on the same kernels and lanes.
type Multispin struct {
	P Params
	s []uint64
	u *multispin.Unit
	// ferro marks the grouping of the classes (2k + sbit) of h = 0, J > 0
	// (k ≤ 3 always flip, k = 4, 5, 6 are the groups whatever the spin),
	// whose planes fillFerro computes directly.
	ferro bool
	cnt   [2][]uint64 // scratch for Observe
	t     *lattice.Torus
}

// NewMultispin returns a unit of 64 replicas started hot or cold.
func NewMultispin(p Params, hot bool, rng *mc.PCG) *Multispin {
	n := p.L * p.L * p.L
	c := &Multispin{P: p, s: multispin.NewWords(n, hot, rng), t: lattice.NewTorus(p.L, 3)}
	c.u = multispin.NewUnit(rng, p.L, multispin.IsingThresholds(6, p.Beta, p.J, p.H))
	always, groups := c.u.Classes()
	c.ferro = len(always) == 8 && len(groups) == 3 &&
		slices.Equal(groups[0], []int{8, 9}) && slices.Equal(groups[1], []int{10, 11}) && slices.Equal(groups[2], []int{12, 13})
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
	L, s := c.P.L, c.s
	for color := range 2 {
		for r := range L * L {
			row, up, dn, fw, bw := rows(s, L, r)
			p := (r/L + r%L + color) & 1
			if c.ferro {
				c.u.Row(row, p, func(k0, k1 int) { c.fillFerro(row, up, dn, fw, bw, p, k0, k1) })
			} else {
				c.u.Row(row, p, func(k0, k1 int) { c.fill(row, up, dn, fw, bw, p, k0, k1) })
			}
		}
	}
	return nil
}

// fill sets the decision planes of sites [k0, k1) for any J and h.
func (c *Multispin) fill(row, up, dn, fw, bw []uint64, p, k0, k1 int) {
	L := c.P.L
	var m [14]uint64
	for k := k0; k < k1; k++ {
		x := 2*k + p
		n := [6]uint64{row[(x+1)%L], row[(x+L-1)%L], dn[x], up[x], fw[x], bw[x]}
		classes(&m, row[x], &n)
		c.u.SetClasses(k, m[:])
	}
}

// fillFerro is fill for h = 0, J > 0: moves with k ≤ 3 aligned
// neighbours always succeed (ΔE ≤ 0), and k = 4, 5, 6 are the three
// groups whatever the spin, so the planes are bit-sliced expressions.
func (c *Multispin) fillFerro(row, up, dn, fw, bw []uint64, p, k0, k1 int) {
	L := c.P.L
	always, g4, g5, g6 := c.u.Plane(0)[:k1], c.u.Plane(1)[:k1], c.u.Plane(2)[:k1], c.u.Plane(3)[:k1]
	for k := k0; k < k1; k++ {
		x := 2*k + p
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
		b0, cr := s1^s2, s1&s2
		b1 := c1 ^ c2 ^ cr
		b2 := (c1 & c2) | (cr & (c1 ^ c2)) // k = b0 + 2b1 + 4b2
		always[k], g4[k], g5[k], g6[k] = ^b2, b2&^b1&^b0, b2&^b1&b0, b2&b1
	}
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
	s := c.s
	aligned, ups := c.cnt[0], c.cnt[1]
	clear(aligned)
	clear(ups)
	for i, w := range s {
		nb := c.t.Neighbours(i)
		multispin.AddBits(aligned, ^(w ^ s[nb[0]])) // +x
		multispin.AddBits(aligned, ^(w ^ s[nb[2]])) // +y
		multispin.AddBits(aligned, ^(w ^ s[nb[4]])) // +z
		multispin.AddBits(ups, w)
	}
	n := int64(len(s))
	for r := range Replicas {
		bonds := 2*multispin.CountBits(aligned, r) - 3*n
		mag := 2*multispin.CountBits(ups, r) - n
		dst = ising.AppendObservables(dst, c.P.J, c.P.H, bonds, mag, int(n))
	}
	return dst
}

// Replica returns replica r's spins (±1).
func (c *Multispin) Replica(r int) []int8 { return multispin.Replica(c.s, r) }

// wordState is the layout of the engine's state: magic "mcf3", kind 'X',
// L, the words and the lanes.
var wordState = multispin.WordState{Model: "ising3d", Magic: "mcf3", Corrupt: errState}

func (c *Multispin) MarshalBinary() ([]byte, error) { return wordState.Marshal(c.P.L, c.s, c.u), nil }

func (c *Multispin) UnmarshalBinary(b []byte) error {
	return wordState.Unmarshal(c.P.L, c.s, c.u, b)
}

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
	_ mc.Chain = (*Multispin)(nil)
)

// Kernel names the kernel the unit's decisions run on (package
// multispin): results are the same on every one.
func (c *Multispin) Kernel() string { return multispin.Active().String() }

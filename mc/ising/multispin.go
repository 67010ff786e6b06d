package ising

import (
	"errors"
	"math/bits"
	"slices"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
	"github.com/mcflow/mcflow/mc/multispin"
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
// (so the bias is at most 2⁻⁶⁴ per decision, none beyond it), compared
// bit-serially by package multispin, whose kernels (portable Go, AVX2,
// AVX-512) take identical decisions. Replicas whose move always succeeds
// (t = 2⁶⁴ − 1 marks p ≥ 1) flip without random bits.
//
// # Sweeps
//
// A half-sweep goes row by row; in a row, the bit-sliced counts of all its
// sites of the colour are computed first (they depend only on the other
// colour), then decided together, eight sites at a time on the vector
// kernels, then applied. For odd L the last site of a row neighbours the
// first through the boundary and has the same colour: it is decided after
// the others, as a sequential sweep would.
//
// # Random streams
//
// The unit's stream (the caller derives it from (seed, task, mc.Moves,
// unit) with mc.NewStream) draws the hot start, and is then split into
// multispin.Lanes lanes; the k-th site of a row draws from lane k mod
// Lanes. The 64 replicas of a unit share its lanes: they are not
// independent streams, by design; units are.
type Multispin struct {
	P Params
	s []uint64 // L·L words
	u *multispin.Unit
	// ferro marks the grouping of the classes (2k + sbit: k aligned
	// neighbours, sbit the replica's spin bit) of h = 0, J > 0: 0–5 always
	// flip, 6, 7 and 8, 9 are the groups; fillFerro computes its planes
	// directly.
	ferro bool

	// scratch for Observe: bit-sliced counters
	cnt [3][]uint64
}

// NewMultispin returns a unit of 64 replicas, each started hot
// (independent ±1) or cold (all +1), from rng's stream. The parameters
// must be valid (see Params.Validate).
func NewMultispin(p Params, hot bool, rng *mc.PCG) *Multispin {
	n := p.L * p.L
	c := &Multispin{P: p, s: multispin.NewWords(n, hot, rng)}
	c.u = multispin.NewUnit(rng, p.L, multispin.IsingThresholds(4, p.Beta, p.J, p.H))
	always, groups := c.u.Classes()
	c.ferro = len(always) == 6 && len(groups) == 2 && slices.Equal(groups[0], []int{6, 7}) && slices.Equal(groups[1], []int{8, 9})
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
	L, s := c.P.L, c.s
	for color := range 2 {
		for y := range L {
			row, up, dn := lattice.Rows(s, L, y)
			p := (y + color) & 1
			if c.ferro {
				c.u.Row(row, p, func(k0, k1 int) { c.fillFerro(row, up, dn, p, k0, k1) })
			} else {
				c.u.Row(row, p, func(k0, k1 int) { c.fill(row, up, dn, p, k0, k1) })
			}
		}
	}
	return nil
}

// fill sets the decision planes of sites [k0, k1) for any J and h.
func (c *Multispin) fill(row, up, dn []uint64, p, k0, k1 int) {
	L := c.P.L
	var m [10]uint64
	for k := k0; k < k1; k++ {
		x := 2*k + p
		xl, xr := x-1, x+1
		if x == 0 {
			xl = L - 1
		}
		if xr == L {
			xr = 0
		}
		classMasks(&m, row[x], up[x], dn[x], row[xl], row[xr])
		c.u.SetClasses(k, m[:])
	}
}

// fillFerro is fill for h = 0, J > 0: moves with k ≤ 2 aligned
// neighbours always succeed, k = 3 and k = 4 are the two groups whatever
// the spin, so the planes are three bit-sliced expressions.
func (c *Multispin) fillFerro(row, up, dn []uint64, p, k0, k1 int) {
	v0, v1 := c.fillFerroVector(row, up, dn, p, k0, k1)
	c.fillFerroScalar(row, up, dn, p, k0, v0)
	c.fillFerroScalar(row, up, dn, p, v1, k1)
}

// FillInstructions is what the AVX-512 fillFerro executes per group of
// eight sites: its loop's 42 instructions (fill_amd64.s).
const FillInstructions = 42

// fillFerroScalar is fillFerro one site after another.
func (c *Multispin) fillFerroScalar(row, up, dn []uint64, p, k0, k1 int) {
	L := c.P.L
	always, g3, g4 := c.u.Plane(0)[:k1], c.u.Plane(1)[:k1], c.u.Plane(2)[:k1]
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
		a1, a2, a3, a4 := ^(w ^ up[x]), ^(w ^ dn[x]), ^(w ^ row[xl]), ^(w ^ row[xr])
		t1, c1 := a1^a2, a1&a2
		t2, c2 := a3^a4, a3&a4
		b0, cr := t1^t2, t1&t2
		b1 := c1 ^ c2 ^ cr
		k4 := (c1 & c2) | (c1 & cr) | (c2 & cr) // k = b0 + 2b1 + 4k4, k4 only at k = 4
		k3 := b0 & b1
		always[k], g3[k], g4[k] = ^(k3 | k4), k3, k4
	}
}

// Observe appends e, m, absm, m2 of each replica in turn (64×4 values).
func (c *Multispin) Observe(dst []float64) []float64 {
	L, s := c.P.L, c.s
	aligned, ups := c.cnt[0], c.cnt[1]
	clear(aligned)
	clear(ups)
	for y := range L {
		row, _, dn := lattice.Rows(s, L, y)
		for x, w := range row {
			xr := x + 1
			if xr == L {
				xr = 0
			}
			multispin.AddBits(aligned, ^(w ^ row[xr]))
			multispin.AddBits(aligned, ^(w ^ dn[x]))
			multispin.AddBits(ups, w)
		}
	}
	n := int64(L * L)
	for r := range Replicas {
		bonds := 2*multispin.CountBits(aligned, r) - 2*n // aligned − anti-aligned of 2N bonds
		mag := 2*multispin.CountBits(ups, r) - n
		dst = AppendObservables(dst, c.P.J, c.P.H, bonds, mag, int(n))
	}
	return dst
}

// Replica returns replica r's spins (±1, row-major).
func (c *Multispin) Replica(r int) []int8 { return multispin.Replica(c.s, r) }

// wordState is the layout of the engine's state: magic "mcfI", kind 'X',
// L, the words and the lanes.
var wordState = multispin.WordState{Model: "ising", Magic: "mcfI", Corrupt: errState}

// MarshalBinary encodes the words and the lanes' states.
func (c *Multispin) MarshalBinary() ([]byte, error) { return wordState.Marshal(c.P.L, c.s, c.u), nil }

// UnmarshalBinary restores a state written by MarshalBinary for the same L.
func (c *Multispin) UnmarshalBinary(b []byte) error {
	if m := len(wordState.Magic); len(b) > m && string(b[:m]) == wordState.Magic && b[m] == 'S' {
		return errors.New("ising: the chain state is of the earlier multispin engine (one random stream per unit); restart the task")
	}
	return wordState.Unmarshal(c.P.L, c.s, c.u, b)
}

var _ mc.Chain = (*Multispin)(nil)

// Kernel names the kernel the unit's decisions run on (package
// multispin): results are the same on every one.
func (c *Multispin) Kernel() string { return multispin.Active().String() }

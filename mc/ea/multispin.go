package ea

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/multispin"
)

// Replicas is the number of replica pairs of a Multispin unit.
const Replicas = 64

// Multispin is 64 pairs of replicas of one ±J sample, multi-spin coded:
// bit r of a[i] and of b[i] are pair r's two spins at site i (1 = +1). A
// checkerboard sweep of a, then of b, updates the spins of a row's sites
// of one colour together with bitwise operations: bond k is satisfied
// where ¬(s ⊕ n_k ⊕ neg_k) (neg_k all ones for J = −1), their count c by
// a bit-sliced adder, and a flip costs ΔE = 2(2c − z), z = 2d.
//
// The decisions are the Ising engines' (package multispin): flip iff u <
// ⌊p·2⁶⁴⌋ for p = min(1, e^{−βΔE}), the 64-bit uniforms u compared
// bit-serially, one random word per level for all undecided replicas, on
// the unit's lanes and the same vector kernels; moves with c ≤ z/2 always
// succeed. The 64 pairs of a unit share its lanes; units are independent.
// For odd L the lattice is not bipartite: a row's last site is decided
// after its first, and rows go in order, so that every site sees its
// neighbours' new spins as a sequential sweep would.
type Multispin struct {
	lat  *Lattice
	beta float64
	a, b []uint64
	neg  []uint64 // neg[z·i + k]: all ones where site i's bond k has J = −1
	u    *multispin.Unit
	// fast marks the usual grouping of the classes (c satisfied bonds): c
	// ≤ z/2 always flips, each larger c is its own group; fill takes its
	// planes straight from the count
	fast bool

	// scratch for Observe: bit-sliced counters
	satA, satB, same, link []uint64
	coord                  [][]uint64 // [μ·L + c]: same-spin counts at coordinate c along μ
}

// NewMultispin returns 64 pairs started hot (independent uniform spins)
// or cold (all +1) from rng's stream; the couplings must be ±1.
func NewMultispin(lat *Lattice, beta float64, hot bool, rng *mc.PCG) (*Multispin, error) {
	z := 2 * lat.Dim
	c := &Multispin{lat: lat, beta: beta, a: make([]uint64, lat.N), b: make([]uint64, lat.N), neg: make([]uint64, z*lat.N)}
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
	thr := make([]uint64, z+1) // thr[c] for c satisfied bonds
	for k := range thr {
		thr[k] = mc.Threshold(math.Exp(-beta * 2 * float64(2*k-z)))
	}
	c.u = multispin.NewUnit(rng, lat.L, thr)
	always, groups := c.u.Classes()
	c.fast = len(always) == z/2+1 && len(groups) == z/2
	for g, cls := range groups {
		c.fast = c.fast && len(cls) == 1 && cls[0] == z/2+1+g
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

// Step sweeps the a replicas, then the b replicas.
func (c *Multispin) Step() error {
	c.sweep(c.a)
	c.sweep(c.b)
	return nil
}

// sweep is a checkerboard sweep of s: row by row (rows along the last
// axis, x), the sites x = 2k + p of the colour.
func (c *Multispin) sweep(s []uint64) {
	L := c.lat.L
	for color := range 2 {
		for r := range c.lat.N / L {
			sum := 0 // the row's other coordinates' sum
			for q := r; q > 0; q /= L {
				sum += q % L
			}
			p := (sum + color) & 1
			base := r * L
			c.u.Row(s[base:base+L:base+L], p, func(k0, k1 int) { c.fill(s, base, p, k0, k1) })
		}
	}
}

// fill sets the decision planes of a row's sites [k0, k1) (site base +
// 2k + p): the classes by satisfied bonds, in the unit's groups.
func (c *Multispin) fill(s []uint64, base, p, k0, k1 int) {
	z := 2 * c.lat.Dim
	nbr, neg := c.lat.nbr, c.neg
	var planes [4][]uint64 // the fast grouping's: always, then c = z/2 + 1, …, z
	if c.fast {
		for g := range z/2 + 1 {
			planes[g] = c.u.Plane(g)
		}
	}
	var m [7]uint64 // class masks
	for k := k0; k < k1; k++ {
		i := base + 2*k + p
		w := s[i]
		nb, ng := nbr[z*i:z*i+z:z*i+z], neg[z*i:z*i+z:z*i+z]
		var b0, b1, b2 uint64 // the satisfied bonds' count, b0 + 2b1 + 4b2
		if z == 4 {
			x1, x2 := ^(w ^ s[nb[0]] ^ ng[0]), ^(w ^ s[nb[1]] ^ ng[1])
			x3, x4 := ^(w ^ s[nb[2]] ^ ng[2]), ^(w ^ s[nb[3]] ^ ng[3])
			t1, c1 := x1^x2, x1&x2
			t2, c2 := x3^x4, x3&x4
			var cr uint64
			b0, cr = t1^t2, t1&t2
			b1 = c1 ^ c2 ^ cr
			b2 = (c1 & c2) | (c1 & cr) | (c2 & cr)
		} else {
			x1, x2, x3 := ^(w ^ s[nb[0]] ^ ng[0]), ^(w ^ s[nb[1]] ^ ng[1]), ^(w ^ s[nb[2]] ^ ng[2])
			x4, x5, x6 := ^(w ^ s[nb[3]] ^ ng[3]), ^(w ^ s[nb[4]] ^ ng[4]), ^(w ^ s[nb[5]] ^ ng[5])
			s1, c1 := x1^x2^x3, (x1&x2)|(x1&x3)|(x2&x3) // full adders
			s2, c2 := x4^x5^x6, (x4&x5)|(x4&x6)|(x5&x6)
			var cr uint64
			b0, cr = s1^s2, s1&s2
			b1 = c1 ^ c2 ^ cr
			b2 = (c1 & c2) | (c1 & cr) | (c2 & cr)
		}
		if c.fast && z == 4 { // groups c = 3 and c = 4 (b2 only at 4)
			k3 := b0 & b1
			planes[0][k], planes[1][k], planes[2][k] = ^(k3 | b2), k3, b2
			continue
		}
		if c.fast { // groups c = 4, 5, 6
			planes[0][k], planes[1][k], planes[2][k], planes[3][k] = ^b2, b2&^b1&^b0, b2&^b1&b0, b2&b1
			continue
		}
		for n := range z + 1 {
			m[n] = sel(b0, n&1) & sel(b1, n>>1&1) & sel(b2, n>>2&1)
		}
		c.u.SetClasses(k, m[:z+1])
	}
}

// sel returns x if bit is 1, else ^x.
func sel(x uint64, bit int) uint64 {
	if bit == 1 {
		return x
	}
	return ^x
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
		multispin.AddBits(c.same, o)
		for mu := range d {
			k := 2 * mu
			j := lat.nbr[2*d*i+k]
			ng := c.neg[2*d*i+k]
			multispin.AddBits(c.satA, ^(ai ^ c.a[j] ^ ng))
			multispin.AddBits(c.satB, ^(bi ^ c.b[j] ^ ng))
			multispin.AddBits(c.link, ^((ai ^ c.a[j]) ^ (bi ^ c.b[j])))
		}
		s := stride
		for mu := range d {
			s /= L
			multispin.AddBits(c.coord[mu*L+(i/s)%L], o)
		}
	}
	n, bonds := float64(N), float64(d*N)
	for r := range Replicas {
		ea := -(2*float64(multispin.CountBits(c.satA, r)) - bonds)
		eb := -(2*float64(multispin.CountBits(c.satB, r)) - bonds)
		q := (2*float64(multispin.CountBits(c.same, r)) - n) / n
		ql := (2*float64(multispin.CountBits(c.link, r)) - bonds) / bonds
		var qk2 float64
		per := float64(N / L) // sites at one coordinate
		for mu := range d {
			var re, im float64
			for x := range L {
				o := 2*float64(multispin.CountBits(c.coord[mu*L+x], r)) - per
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
	b := []byte("mcfX")
	b = binary.LittleEndian.AppendUint32(b, uint32(c.lat.N))
	for _, s := range [][]uint64{c.a, c.b} {
		for _, w := range s {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return c.u.Lanes.AppendBinary(b), nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same
// lattice.
func (c *Multispin) UnmarshalBinary(b []byte) error {
	n := c.lat.N
	if len(b) >= 4 && string(b[:4]) == "mcfM" {
		return errors.New("ea: the chain state is of the earlier multispin engine (one random stream per unit, sequential sweeps); restart the task")
	}
	if len(b) != 8+16*n+multispin.StreamsSize || string(b[:4]) != "mcfX" || int(binary.LittleEndian.Uint32(b[4:])) != n {
		return errState
	}
	b = b[8:]
	if err := c.u.Lanes.UnmarshalBinary(b[16*n:]); err != nil {
		return err
	}
	for k, s := range [][]uint64{c.a, c.b} {
		for i := range s {
			s[i] = binary.LittleEndian.Uint64(b[8*(k*n+i):])
		}
	}
	return nil
}

// Kernel names the kernel the unit's decisions run on (package
// multispin): results are the same on every one.
func (c *Multispin) Kernel() string { return multispin.Active().String() }

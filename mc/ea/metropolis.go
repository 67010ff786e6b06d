package ea

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
)

// Observables are the names of what a pair records, in order: the energy
// per site (mean of the two replicas), the overlap q and |q|, q², q⁴, the
// link overlap q_l, and |q(k_min)|² (for the correlation length).
var Observables = []string{"e", "q", "absq", "q2", "q4", "ql", "qk2"}

// Metropolis is a pair of replicas advanced by sequential single-spin
// Metropolis sweeps.
type Metropolis struct {
	lat  *Lattice
	beta float64
	a, b []int8
	rng  *mc.PCG
	thr  []uint64 // ±J: the threshold for s·h = 2k − 2d at index k
}

// NewMetropolis returns a pair started hot (independent uniform spins)
// or cold (all +1) from rng's stream.
func NewMetropolis(lat *Lattice, beta float64, pm, hot bool, rng *mc.PCG) *Metropolis {
	c := &Metropolis{lat: lat, beta: beta, rng: rng}
	c.a = lattice.NewSpins(lat.N, hot, rng)
	c.b = lattice.NewSpins(lat.N, hot, rng)
	if pm { // s·h = 2k − 2d, ΔE = 2s·h
		d := lat.Dim
		for k := range 2*d + 1 {
			c.thr = append(c.thr, mc.Threshold(math.Exp(-beta*2*float64(2*k-2*d))))
		}
	}
	return c
}

// Step sweeps each replica once, site by site: a flip of s_i costs
// ΔE = 2 s_i h_i and is accepted with probability min(1, e^{−βΔE}).
func (c *Metropolis) Step() error {
	for _, s := range [][]int8{c.a, c.b} {
		if c.thr != nil {
			c.sweepPM(s)
		} else {
			c.sweepGaussian(s)
		}
	}
	return nil
}

func (c *Metropolis) sweepPM(s []int8) {
	d := c.lat.Dim
	for i := range s {
		sh := int(s[i]) * int(c.lat.field(s, i)) // −2d, −2d + 2, …, 2d
		if c.rng.Uint64() < c.thr[(sh+2*d)/2] {
			s[i] = -s[i]
		}
	}
}

func (c *Metropolis) sweepGaussian(s []int8) {
	for i := range s {
		dE := 2 * float64(s[i]) * c.lat.field(s, i)
		if dE <= 0 || mc.Uniform(c.rng) < math.Exp(-c.beta*dE) {
			s[i] = -s[i]
		}
	}
}

// Observe appends the Observables.
func (c *Metropolis) Observe(dst []float64) []float64 {
	n := float64(c.lat.N)
	e := (c.lat.Energy(c.a) + c.lat.Energy(c.b)) / (2 * n)
	q, ql, qk2 := c.lat.Overlaps(c.a, c.b)
	q2 := q * q
	return append(dst, e, q, math.Abs(q), q2, q2*q2, ql, qk2)
}

// Replicas returns the two configurations (not copies).
func (c *Metropolis) Replicas() (a, b []int8) { return c.a, c.b }

// LogProb returns −β(E_a + E_b) of the pair of `of` (mc.Exchanger: the
// pair is tempered as one configuration).
func (c *Metropolis) LogProb(of mc.Chain) float64 {
	o := of.(*Metropolis)
	return -c.beta * (c.lat.Energy(o.a) + c.lat.Energy(o.b))
}

// Exchange swaps both replicas with other's (mc.Exchanger).
func (c *Metropolis) Exchange(other mc.Chain) {
	o := other.(*Metropolis)
	c.a, o.a = o.a, c.a
	c.b, o.b = o.b, c.b
}

var errState = errors.New("ea: corrupt chain state")

// MarshalBinary encodes the replicas and the stream.
func (c *Metropolis) MarshalBinary() ([]byte, error) {
	r, err := c.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := []byte("mcfE")
	b = binary.LittleEndian.AppendUint32(b, uint32(c.lat.N))
	for _, s := range [][]int8{c.a, c.b} {
		for _, v := range s {
			b = append(b, byte(v))
		}
	}
	return append(b, r...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same
// lattice.
func (c *Metropolis) UnmarshalBinary(b []byte) error {
	n := c.lat.N
	if len(b) < 8+2*n || string(b[:4]) != "mcfE" || int(binary.LittleEndian.Uint32(b[4:])) != n {
		return errState
	}
	b = b[8:]
	for k, s := range [][]int8{c.a, c.b} {
		for i := range s {
			v := int8(b[k*n+i])
			if v != 1 && v != -1 {
				return errState
			}
			s[i] = v
		}
	}
	return c.rng.UnmarshalBinary(slices.Clone(b[2*n:]))
}

package ising

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// Params are the model's parameters.
type Params struct {
	L    int
	Beta float64
	J, H float64
}

// Validate reports an impossible parameter.
func (p Params) Validate() error {
	switch {
	case p.L < 2:
		return fmt.Errorf("ising: L = %d, want L >= 2", p.L)
	case p.L > 1<<15:
		return fmt.Errorf("ising: L = %d, want L <= %d", p.L, 1<<15)
	case !(p.Beta >= 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("ising: beta = %v, want a finite beta >= 0", p.Beta)
	case math.IsNaN(p.J) || math.IsInf(p.J, 0):
		return fmt.Errorf("ising: J = %v, want a finite number", p.J)
	case math.IsNaN(p.H) || math.IsInf(p.H, 0):
		return fmt.Errorf("ising: h = %v, want a finite number", p.H)
	}
	return nil
}

// Observables are the names of what Observe records, in order.
var Observables = []string{"e", "m", "absm", "m2"}

// Lattice is an L×L torus of spins ±1, row-major.
type Lattice struct {
	L    int
	Spin []int8
}

// NewLattice returns a lattice started cold (all +1) or hot (independent
// ±1 drawn from rng).
func NewLattice(L int, hot bool, rng *mc.PCG) Lattice {
	s := make([]int8, L*L)
	for i := range s {
		s[i] = 1
		if hot && rng.Uint64()>>63 == 1 {
			s[i] = -1
		}
	}
	return Lattice{L: L, Spin: s}
}

// Sums returns Σ_<ij> s_i s_j over the 2N bonds and M = Σ s_i.
func (lat *Lattice) Sums() (bonds, mag int64) {
	L, s := lat.L, lat.Spin
	for y := range L {
		row := s[y*L : (y+1)*L : (y+1)*L]
		yd := y + 1
		if yd == L {
			yd = 0
		}
		dn := s[yd*L : (yd+1)*L : (yd+1)*L]
		// Within a row the products fit in int; sums are per row.
		b, m := 0, 0
		prev := int(row[L-1])
		for x, v8 := range row {
			v := int(v8)
			b += v * (prev + int(dn[x]))
			m += v
			prev = v
		}
		bonds += int64(b)
		mag += int64(m)
	}
	return bonds, mag
}

// observe appends e, m, absm, m2.
func (lat *Lattice) observe(dst []float64, p Params) []float64 {
	bonds, mag := lat.Sums()
	n := float64(lat.L * lat.L)
	m := float64(mag) / n
	e := (-p.J*float64(bonds) - p.H*float64(mag)) / n
	return append(dst, e, m, math.Abs(m), m*m)
}

// header of a marshalled chain: magic, kind, L.
const magic = "mcfI"

var errState = errors.New("ising: corrupt chain state")

func marshalCommon(kind byte, lat *Lattice, rng *mc.PCG, extra []byte) ([]byte, error) {
	r, err := rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(magic)+1+4+len(lat.Spin)+1+len(r)+len(extra))
	b = append(b, magic...)
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint32(b, uint32(lat.L))
	for _, v := range lat.Spin {
		b = append(b, byte(v))
	}
	b = append(b, byte(len(r)))
	b = append(b, r...)
	return append(b, extra...), nil
}

func unmarshalCommon(kind byte, lat *Lattice, rng *mc.PCG, b []byte) (extra []byte, err error) {
	if len(b) < len(magic)+5 || string(b[:len(magic)]) != magic {
		return nil, errState
	}
	if b[len(magic)] != kind {
		return nil, fmt.Errorf("ising: chain state is of sampler kind %q, want %q", b[len(magic)], kind)
	}
	b = b[len(magic)+1:]
	if L := int(binary.LittleEndian.Uint32(b)); L != lat.L {
		return nil, fmt.Errorf("ising: chain state has L = %d, want %d", L, lat.L)
	}
	b = b[4:]
	n := lat.L * lat.L
	if len(b) < n+1 {
		return nil, errState
	}
	for i, v := range b[:n] {
		if v != 1 && v != 0xff {
			return nil, errState
		}
		lat.Spin[i] = int8(v)
	}
	b = b[n:]
	nr := int(b[0])
	if len(b) < 1+nr {
		return nil, errState
	}
	if err := rng.UnmarshalBinary(b[1 : 1+nr]); err != nil {
		return nil, fmt.Errorf("ising: chain RNG state: %w", err)
	}
	return b[1+nr:], nil
}

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
)

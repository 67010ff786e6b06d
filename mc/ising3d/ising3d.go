// Package ising3d is the Ising model on the L×L×L torus,
//
//	E = −J Σ⟨ij⟩ s_i s_j − h Σ_i s_i,   s_i = ±1,
//
// with checkerboard Metropolis (plain, and multi-spin coded: 64 replicas
// per machine word) and Wolff chains. Sites are x + L(y + Lz).
package ising3d

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
	case p.L < 2 || p.L > 1024:
		return fmt.Errorf("ising3d: L = %d, want 2 <= L <= 1024", p.L)
	case !(p.Beta >= 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("ising3d: beta = %v, want a finite beta >= 0", p.Beta)
	case math.IsNaN(p.J) || math.IsInf(p.J, 0) || math.IsNaN(p.H) || math.IsInf(p.H, 0):
		return fmt.Errorf("ising3d: J = %v, h = %v, want finite numbers", p.J, p.H)
	}
	return nil
}

// Observables are the names of what Observe records, in order.
var Observables = []string{"e", "m", "absm", "m2"}

// Lattice is an L×L×L torus of spins ±1.
type Lattice struct {
	L    int
	Spin []int8
}

// NewLattice returns a lattice started cold (all +1) or hot (independent
// ±1 from rng).
func NewLattice(L int, hot bool, rng *mc.PCG) Lattice {
	s := make([]int8, L*L*L)
	for i := range s {
		s[i] = 1
		if hot && rng.Uint64()>>63 == 1 {
			s[i] = -1
		}
	}
	return Lattice{L: L, Spin: s}
}

// Sums returns Σ⟨ij⟩ s_i s_j over the 3N bonds and M = Σ s_i.
func (lat *Lattice) Sums() (bonds, mag int64) {
	L, s := lat.L, lat.Spin
	for z := range L {
		for y := range L {
			row := s[(z*L+y)*L:][:L]
			dn := s[(z*L+(y+1)%L)*L:][:L]
			bk := s[(((z+1)%L)*L+y)*L:][:L]
			prev := int(row[L-1])
			b, m := 0, 0
			for x, v8 := range row {
				v := int(v8)
				b += v * (prev + int(dn[x]) + int(bk[x]))
				m += v
				prev = v
			}
			bonds += int64(b)
			mag += int64(m)
		}
	}
	return bonds, mag
}

// observe appends e, m, absm, m2.
func (lat *Lattice) observe(dst []float64, p Params) []float64 {
	bonds, mag := lat.Sums()
	n := float64(len(lat.Spin))
	m := float64(mag) / n
	e := (-p.J*float64(bonds) - p.H*float64(mag)) / n
	return append(dst, e, m, math.Abs(m), m*m)
}

// neighbours returns the six neighbours of site i.
func neighbours(i, L int) [6]int {
	x, y, z := i%L, (i/L)%L, i/(L*L)
	yz := i - x
	zz := i - y*L - x
	return [6]int{
		yz + (x+1)%L, yz + (x+L-1)%L,
		zz + ((y+1)%L)*L + x, zz + ((y+L-1)%L)*L + x,
		(((z+1)%L)*L+y)*L + x, (((z+L-1)%L)*L+y)*L + x,
	}
}

const magic = "mcf3"

var errState = errors.New("ising3d: corrupt chain state")

func marshalCommon(kind byte, L int, spins []byte, rng *mc.PCG, extra []byte) ([]byte, error) {
	r, err := rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := append([]byte(magic), kind)
	b = binary.LittleEndian.AppendUint32(b, uint32(L))
	b = append(b, spins...)
	b = append(b, byte(len(r)))
	b = append(b, r...)
	return append(b, extra...), nil
}

// unmarshalCommon returns the n spin bytes and what follows the RNG.
func unmarshalCommon(kind byte, L, n int, rng *mc.PCG, b []byte) (spins, extra []byte, err error) {
	if len(b) < len(magic)+5 || string(b[:len(magic)]) != magic || b[len(magic)] != kind {
		return nil, nil, errState
	}
	b = b[len(magic)+1:]
	if l := int(binary.LittleEndian.Uint32(b)); l != L {
		return nil, nil, fmt.Errorf("ising3d: chain state has L = %d, want %d", l, L)
	}
	b = b[4:]
	if len(b) < n+1 {
		return nil, nil, errState
	}
	spins, b = b[:n], b[n:]
	nr := int(b[0])
	if len(b) < 1+nr {
		return nil, nil, errState
	}
	if err := rng.UnmarshalBinary(b[1 : 1+nr]); err != nil {
		return nil, nil, fmt.Errorf("ising3d: chain RNG state: %w", err)
	}
	return spins, b[1+nr:], nil
}

func spinBytes(s []int8) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

func setSpins(s []int8, b []byte) error {
	for i, v := range b {
		if v != 1 && v != 0xff {
			return errState
		}
		s[i] = int8(v)
	}
	return nil
}

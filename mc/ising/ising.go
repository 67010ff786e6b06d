package ising

import (
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/lattice"
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
	return Lattice{L: L, Spin: lattice.NewSpins(L*L, hot, rng)}
}

// Sums returns Σ_<ij> s_i s_j over the 2N bonds and M = Σ s_i.
func (lat *Lattice) Sums() (bonds, mag int64) {
	L, s := lat.L, lat.Spin
	for y := range L {
		row, _, dn := lattice.Rows(s, L, y)
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
	return AppendObservables(dst, p.J, p.H, bonds, mag, len(lat.Spin))
}

// AppendObservables appends e, m, |m| and m² (per site) of n spins with
// Σ⟨ij⟩ s_i s_j = bonds and Σ s_i = mag at couplings J and h.
func AppendObservables(dst []float64, J, h float64, bonds, mag int64, n int) []float64 {
	m := float64(mag) / float64(n)
	e := (-J*float64(bonds) - h*float64(mag)) / float64(n)
	return append(dst, e, m, math.Abs(m), m*m)
}

var errState = errors.New("ising: corrupt chain state")

// format is the layout of a chain's state: magic "mcfI", kind, L.
var format = lattice.Format{Model: "ising", Magic: "mcfI", Header: []string{"L"}, Corrupt: errState}

func marshalCommon(kind byte, lat *Lattice, rng *mc.PCG, extra []byte) ([]byte, error) {
	return format.Marshal(kind, []int{lat.L}, SpinBytes(lat.Spin), rng, extra)
}

func unmarshalCommon(kind byte, lat *Lattice, rng *mc.PCG, b []byte) (extra []byte, err error) {
	sp, extra, err := format.Unmarshal(kind, []int{lat.L}, len(lat.Spin), rng, b)
	if err != nil {
		return nil, err
	}
	return extra, SetSpins(lat.Spin, sp, errState)
}

// SpinBytes returns ±1 spins as bytes (0x01, 0xff), as a chain's state
// holds them.
func SpinBytes(s []int8) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

// SetSpins sets s from the bytes of SpinBytes, or returns corrupt if one
// is not a spin.
func SetSpins(s []int8, b []byte, corrupt error) error {
	for _, v := range b {
		if v != 1 && v != 0xff {
			return corrupt
		}
	}
	for i, v := range b {
		s[i] = int8(v)
	}
	return nil
}

var (
	_ mc.Chain = (*Metropolis)(nil)
	_ mc.Chain = (*Wolff)(nil)
)

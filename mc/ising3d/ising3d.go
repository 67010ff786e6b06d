// Package ising3d is the Ising model on the L×L×L torus,
//
//	E = −J Σ⟨ij⟩ s_i s_j − h Σ_i s_i,   s_i = ±1,
//
// with checkerboard Metropolis (plain, and multi-spin coded: 64 replicas
// per machine word) and Wolff chains. Sites are x + L(y + Lz).
package ising3d

import (
	"errors"
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
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
	return Lattice{L: L, Spin: lattice.NewSpins(L*L*L, hot, rng)}
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
	return ising.AppendObservables(dst, p.J, p.H, bonds, mag, len(lat.Spin))
}

var errState = errors.New("ising3d: corrupt chain state")

// format is the layout of a chain's state: magic "mcf3", kind, L.
var format = lattice.Format{Model: "ising3d", Magic: "mcf3", Header: []string{"L"}, Corrupt: errState}

func marshalCommon(kind byte, lat *Lattice, rng *mc.PCG, extra []byte) ([]byte, error) {
	return format.Marshal(kind, []int{lat.L}, ising.SpinBytes(lat.Spin), rng, extra)
}

func unmarshalCommon(kind byte, lat *Lattice, rng *mc.PCG, b []byte) (extra []byte, err error) {
	sp, extra, err := format.Unmarshal(kind, []int{lat.L}, len(lat.Spin), rng, b)
	if err != nil {
		return nil, err
	}
	return extra, ising.SetSpins(lat.Spin, sp, errState)
}

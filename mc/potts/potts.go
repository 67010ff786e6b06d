// Package potts is the q-state Potts model on the L×L torus,
//
//	E = −J Σ⟨ij⟩ δ(s_i, s_j) − h Σ_i δ(s_i, 0),   s_i ∈ {0, …, q−1},
//
// with checkerboard Metropolis, Swendsen–Wang and Wolff chains. Its
// magnetisation is the length of the sum of the simplex vectors of the
// states, per site: m² = (q Σ_a ρ_a² − 1)/(q − 1) for the fractions ρ_a of
// sites in state a, 1 in an ordered state, 0 when all states are equally
// frequent (for q = 2, the Ising model's |m|).
package potts

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
	Q    int
	Beta float64
	J, H float64
}

// MaxQ is the largest number of states.
const MaxQ = 256

// Validate reports an impossible parameter.
func (p Params) Validate() error {
	switch {
	case p.L < 2 || p.L > 1<<14:
		return fmt.Errorf("potts: L = %d, want 2 <= L <= %d", p.L, 1<<14)
	case p.Q < 2 || p.Q > MaxQ:
		return fmt.Errorf("potts: q = %d, want 2 <= q <= %d", p.Q, MaxQ)
	case !(p.Beta >= 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("potts: beta = %v, want a finite beta >= 0", p.Beta)
	case math.IsNaN(p.J) || math.IsInf(p.J, 0) || math.IsNaN(p.H) || math.IsInf(p.H, 0):
		return fmt.Errorf("potts: J = %v, h = %v, want finite numbers", p.J, p.H)
	}
	return nil
}

// Observables are the names of what Observe records, in order.
var Observables = []string{"e", "m", "absm", "m2"}

// Lattice is an L×L torus of states, row-major.
type Lattice struct {
	L, Q  int
	S     []uint8
	count []int // scratch: sites per state
}

// NewLattice returns a lattice started cold (all 0) or hot (independent
// uniform states from rng).
func NewLattice(L, q int, hot bool, rng *mc.PCG) Lattice {
	s := make([]uint8, L*L)
	if hot {
		for i := range s {
			s[i] = uint8(mc.Below(rng, uint64(q)))
		}
	}
	return Lattice{L: L, Q: q, S: s, count: make([]int, q)}
}

// Sums returns the number of satisfied bonds Σ⟨ij⟩ δ(s_i, s_j) over the
// 2N bonds and the number of sites in each state (in a scratch slice).
func (lat *Lattice) Sums() (bonds int64, count []int) {
	L, s := lat.L, lat.S
	clear(lat.count)
	for y := range L {
		row := s[y*L : (y+1)*L]
		dn := s[((y+1)%L)*L:][:L]
		prev := row[L-1]
		b := 0
		for x, v := range row {
			if v == prev {
				b++
			}
			if v == dn[x] {
				b++
			}
			prev = v
			lat.count[v]++
		}
		bonds += int64(b)
	}
	return bonds, lat.count
}

// observe appends e, m, absm, m2.
func (lat *Lattice) observe(dst []float64, p Params) []float64 {
	bonds, count := lat.Sums()
	n := float64(lat.L * lat.L)
	e := (-p.J*float64(bonds) - p.H*float64(count[0])) / n
	var sum float64
	for _, c := range count {
		r := float64(c) / n
		sum += r * r
	}
	q := float64(p.Q)
	m2 := max((q*sum-1)/(q-1), 0)
	m := math.Sqrt(m2)
	return append(dst, e, m, m, m2)
}

const magic = "mcfP"

var errState = errors.New("potts: corrupt chain state")

// format is the layout of a chain's state: magic "mcfP", kind, L, q.
var format = lattice.Format{Model: "potts", Magic: magic, Header: []string{"L", "q"}, Corrupt: errState}

func marshalCommon(kind byte, lat *Lattice, rng *mc.PCG, extra []byte) ([]byte, error) {
	return format.Marshal(kind, []int{lat.L, lat.Q}, lat.S, rng, extra)
}

func unmarshalCommon(kind byte, lat *Lattice, rng *mc.PCG, b []byte) ([]byte, error) {
	sites, extra, err := format.Unmarshal(kind, []int{lat.L, lat.Q}, len(lat.S), rng, b)
	if err != nil {
		return nil, err
	}
	for _, v := range sites {
		if int(v) >= lat.Q {
			return nil, errState
		}
	}
	copy(lat.S, sites)
	return extra, nil
}

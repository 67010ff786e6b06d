// Package xy is the XY (plane rotator, O(2)) model on the L×L torus,
//
//	E = −J Σ⟨ij⟩ cos(θ_i − θ_j),   θ_i ∈ [0, 2π),
//
// with checkerboard Metropolis (its step adapted during thermalisation)
// and Wolff's embedding cluster chain.
//
// Observables: e = E/N; m = |Σ_i (cos θ_i, sin θ_i)|/N, absm = m, m2 = m²;
// upsilon, whose mean is the helicity modulus
//
//	Υ = (1/2N) Σ_μ [ J⟨Σ_i cos(θ_i − θ_{i+μ})⟩ − βJ²⟨(Σ_i sin(θ_i − θ_{i+μ}))²⟩ ],
//
// the response of the free energy to a twist, averaged over both
// directions.
package xy

import (
	"encoding/binary"
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
	J    float64
}

// Validate reports an impossible parameter.
func (p Params) Validate() error {
	switch {
	case p.L < 2 || p.L > 1<<13:
		return fmt.Errorf("xy: L = %d, want 2 <= L <= %d", p.L, 1<<13)
	case !(p.Beta >= 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("xy: beta = %v, want a finite beta >= 0", p.Beta)
	case math.IsNaN(p.J) || math.IsInf(p.J, 0):
		return fmt.Errorf("xy: J = %v, want a finite number", p.J)
	}
	return nil
}

// Observables are the names of what Observe records, in order.
var Observables = []string{"e", "m", "absm", "m2", "upsilon"}

// Lattice is an L×L torus of angles with their cosines and sines.
type Lattice struct {
	L        int
	Theta    []float64
	cos, sin []float64
}

// NewLattice returns a lattice started cold (all θ = 0) or hot (uniform
// angles from rng).
func NewLattice(L int, hot bool, rng *mc.PCG) Lattice {
	n := L * L
	lat := Lattice{L: L, Theta: make([]float64, n), cos: make([]float64, n), sin: make([]float64, n)}
	for i := range n {
		if hot {
			lat.Theta[i] = 2 * math.Pi * mc.Uniform(rng)
		}
		lat.sin[i], lat.cos[i] = math.Sincos(lat.Theta[i])
	}
	return lat
}

func (lat *Lattice) set(i int, theta float64) {
	lat.Theta[i] = theta
	lat.sin[i], lat.cos[i] = math.Sincos(theta)
}

// observe appends e, m, absm, m2, upsilon.
func (lat *Lattice) observe(dst []float64, p Params) []float64 {
	L := lat.L
	var mx, my float64
	var cosSum [2]float64 // Σ cos(θ_i − θ_{i+μ}) for μ = x, y
	var sinSum [2]float64
	for i := range lat.Theta {
		x, y := i%L, i/L
		mx += lat.cos[i]
		my += lat.sin[i]
		for mu, j := range [2]int{i - x + (x+1)%L, ((y+1)%L)*L + x} {
			// cos(a − b), sin(a − b) from the stored cosines and sines
			cosSum[mu] += lat.cos[i]*lat.cos[j] + lat.sin[i]*lat.sin[j]
			sinSum[mu] += lat.sin[i]*lat.cos[j] - lat.cos[i]*lat.sin[j]
		}
	}
	n := float64(L * L)
	e := -p.J * (cosSum[0] + cosSum[1]) / n
	m2 := (mx*mx + my*my) / (n * n)
	m := math.Sqrt(m2)
	var ups float64
	for mu := range 2 {
		ups += p.J*cosSum[mu] - p.Beta*p.J*p.J*sinSum[mu]*sinSum[mu]
	}
	return append(dst, e, m, m, m2, ups/(2*n))
}

const magic = "mcfX"

var errState = errors.New("xy: corrupt chain state")

// format is the layout of a chain's state: magic "mcfX", kind, L, the
// angles as little-endian float64 bits.
var format = lattice.Format{Model: "xy", Magic: magic, Header: []string{"L"}, Corrupt: errState}

func marshalCommon(kind byte, lat *Lattice, rng *mc.PCG, extra []byte) ([]byte, error) {
	sites := make([]byte, 0, 8*len(lat.Theta))
	for _, t := range lat.Theta {
		sites = binary.LittleEndian.AppendUint64(sites, math.Float64bits(t))
	}
	return format.Marshal(kind, []int{lat.L}, sites, rng, extra)
}

func unmarshalCommon(kind byte, lat *Lattice, rng *mc.PCG, b []byte) ([]byte, error) {
	sites, extra, err := format.Unmarshal(kind, []int{lat.L}, 8*len(lat.Theta), rng, b)
	if err != nil {
		return nil, err
	}
	for i := range lat.Theta {
		if t := math.Float64frombits(binary.LittleEndian.Uint64(sites[8*i:])); !(t >= 0 && t < 2*math.Pi) {
			return nil, errState
		}
	}
	for i := range lat.Theta {
		lat.set(i, math.Float64frombits(binary.LittleEndian.Uint64(sites[8*i:])))
	}
	return extra, nil
}

// wrap maps an angle into [0, 2π).
func wrap(t float64) float64 {
	t = math.Mod(t, 2*math.Pi)
	if t < 0 {
		t += 2 * math.Pi
	}
	if t >= 2*math.Pi { // t was a tiny negative number
		t = 0
	}
	return t
}

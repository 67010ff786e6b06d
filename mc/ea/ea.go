// Package ea is the Edwards–Anderson spin glass on the periodic L^d
// lattice (d = 2, 3): E = −Σ_{i,μ} J_{i,μ} s_i s_{i+ê_μ}, with quenched
// couplings J of one disorder sample, ±1 or standard normal.
//
// Sites are numbered in C order of (y, x) or (z, y, x); the coupling
// J_{i,μ} joins site i to its neighbour one step along axis μ of that
// order (μ = 0 the first axis), and Couplings holds it at μ·N + i, so that
// it reads as an array of shape (d, L, …, L).
//
// A chain is a pair of independent real replicas a and b at the same β,
// whose overlaps are the spin glass's observables.
package ea

import (
	"fmt"
	"math"

	"github.com/mcflow/mcflow/mc"
)

// Params are a sample's parameters.
type Params struct {
	Dim, L    int
	Beta      float64
	Gaussian  bool   // couplings N(0, 1); else ±1 with equal probability
	Sample    uint64 // the disorder sample
	Couplings []float64
}

// Lattice is the geometry: the 2d neighbours of every site and the
// couplings to them.
type Lattice struct {
	Dim, L, N int
	nbr       []int32   // nbr[2d·i + k]: neighbour k of site i (k = 2μ: +ê_μ, 2μ+1: −ê_μ)
	jn        []float64 // the coupling to it
	J         []float64 // J[μ·N + i]
	cosk      []float64 // cos, sin of k_min·c for a coordinate c
	sink      []float64
}

// Stream returns the disorder stream of a sample: it depends on the seed,
// the dimension, L, the coupling distribution and the sample only, so a
// sample is the same instance at every β and in every job with that seed.
func Stream(seed uint64, dim, L int, gaussian bool, sample uint64) *mc.PCG {
	dist := "pm"
	if gaussian {
		dist = "gaussian"
	}
	return mc.NewStream(seed, fmt.Sprintf("ea/dim=%d/L=%d/%s", dim, L, dist), mc.Disorder, sample)
}

// Draw returns the couplings of a sample, J[μ·N + i].
func Draw(seed uint64, dim, L int, gaussian bool, sample uint64) []float64 {
	rng := Stream(seed, dim, L, gaussian, sample)
	n := 1
	for range dim {
		n *= L
	}
	J := make([]float64, dim*n)
	for i := range J {
		if gaussian {
			J[i] = mc.Normal(rng)
		} else {
			J[i] = float64(1 - 2*int(rng.Uint64()>>63))
		}
	}
	return J
}

// NewLattice returns the geometry with the couplings J[μ·N + i].
func NewLattice(dim, L int, J []float64) (*Lattice, error) {
	if dim != 2 && dim != 3 {
		return nil, fmt.Errorf("ea: dim = %d, want 2 or 3", dim)
	}
	if L < 2 {
		return nil, fmt.Errorf("ea: L = %d, want L >= 2", L)
	}
	n := 1
	for range dim {
		n *= L
	}
	if len(J) != dim*n {
		return nil, fmt.Errorf("ea: %d couplings, want %d", len(J), dim*n)
	}
	lat := &Lattice{Dim: dim, L: L, N: n, nbr: make([]int32, 2*dim*n), jn: make([]float64, 2*dim*n), J: J}
	for c := range L {
		sn, cs := math.Sincos(2 * math.Pi * float64(c) / float64(L))
		lat.cosk, lat.sink = append(lat.cosk, cs), append(lat.sink, sn)
	}
	stride := make([]int, dim) // of axis μ in the site index
	s := 1
	for mu := dim - 1; mu >= 0; mu-- {
		stride[mu] = s
		s *= L
	}
	for i := range n {
		for mu := range dim {
			c := (i / stride[mu]) % L
			up := i + ((c+1)%L-c)*stride[mu]
			dn := i + ((c+L-1)%L-c)*stride[mu]
			lat.nbr[2*dim*i+2*mu], lat.jn[2*dim*i+2*mu] = int32(up), J[mu*n+i]
			lat.nbr[2*dim*i+2*mu+1], lat.jn[2*dim*i+2*mu+1] = int32(dn), J[mu*n+dn]
		}
	}
	return lat, nil
}

// Energy returns E of a configuration.
func (lat *Lattice) Energy(s []int8) float64 {
	var e float64
	d := lat.Dim
	for i, si := range s {
		for mu := range d {
			e -= lat.jn[2*d*i+2*mu] * float64(si*s[lat.nbr[2*d*i+2*mu]])
		}
	}
	return e
}

// field returns Σ_k J_k s_k over the neighbours of site i.
func (lat *Lattice) field(s []int8, i int) float64 {
	d2 := 2 * lat.Dim
	nb, jn := lat.nbr[d2*i:d2*i+d2], lat.jn[d2*i:d2*i+d2]
	var h float64
	for k, j := range nb {
		h += jn[k] * float64(s[j])
	}
	return h
}

// Overlaps returns q = (1/N) Σ s^a s^b, the link overlap
// q_l = (1/(dN)) Σ_{i,μ} s^a_i s^a_{i+μ} s^b_i s^b_{i+μ}, and |q(k)|² at
// the smallest nonzero wave vector, averaged over the d axes.
func (lat *Lattice) Overlaps(a, b []int8) (q, ql, qk2 float64) {
	d, L := lat.Dim, lat.L
	var sq, sl int
	re, im := make([]float64, d), make([]float64, d)
	stride := lat.N
	for i := range a {
		o := int(a[i] * b[i])
		sq += o
		for mu := range d {
			j := lat.nbr[2*d*i+2*mu]
			sl += o * int(a[j]*b[j])
		}
		s := stride
		for mu := range d {
			s /= L
			c := (i / s) % L
			re[mu] += float64(o) * lat.cosk[c]
			im[mu] += float64(o) * lat.sink[c]
		}
	}
	n := float64(lat.N)
	for mu := range d {
		qk2 += (re[mu]*re[mu] + im[mu]*im[mu]) / (n * n)
	}
	return float64(sq) / n, float64(sl) / (float64(d) * n), qk2 / float64(d)
}

// Neighbour returns the neighbour of site i one step along axis μ.
func (lat *Lattice) Neighbour(i, mu int) int { return int(lat.nbr[2*lat.Dim*i+2*mu]) }

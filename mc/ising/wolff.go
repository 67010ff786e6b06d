package ising

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/mcflow/mcflow/mc"
)

// WolffObservables are the names of what a Wolff chain's Observe records.
var WolffObservables = append(append([]string(nil), Observables...), "cluster")

// Wolff is a single-cluster Wolff chain for J > 0 and h = 0.
type Wolff struct {
	P     Params
	Lat   Lattice
	rng   *mc.PCG
	thr   uint64 // bond added iff u < thr: P = 1 - exp(-2βJ)
	stack []int32

	// clusters and sites flipped since the last Observe
	nClusters, nSites int64
}

// WolffDomain reports whether Wolff's algorithm applies: J > 0 and h = 0.
func WolffDomain(p Params) error {
	if p.H != 0 {
		return fmt.Errorf("ising: Wolff needs h = 0 (got h = %v); use Metropolis for a field", p.H)
	}
	if !(p.J > 0) {
		return fmt.Errorf("ising: Wolff needs J > 0 (got J = %v); use Metropolis", p.J)
	}
	return nil
}

// NewWolff returns a Wolff chain, or an error if the model is outside
// Wolff's domain (J <= 0 or h != 0).
func NewWolff(p Params, hot bool, rng *mc.PCG) (*Wolff, error) {
	if err := WolffDomain(p); err != nil {
		return nil, err
	}
	c := &Wolff{P: p, Lat: NewLattice(p.L, hot, rng), rng: rng, stack: make([]int32, 0, p.L*p.L)}
	c.thr = mc.Threshold(-math.Expm1(-2 * p.Beta * p.J))
	return c, nil
}

// Step grows one cluster from a uniformly chosen seed and flips it.
func (c *Wolff) Step() error {
	L, s := c.Lat.L, c.Lat.Spin
	n := uint64(L * L)
	rng := c.rng
	hi, _ := bits.Mul64(rng.Uint64(), n) // uniform in [0, n), bias < n/2⁶⁴
	seed := int32(hi)
	s0 := s[seed]
	s[seed] = -s0
	stack := append(c.stack[:0], seed)
	size := int64(1)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := i%L, i/L
		var nbr [4]int
		nbr[0] = i - x + (x+1)%L
		nbr[1] = i - x + (x+L-1)%L
		nbr[2] = ((y+1)%L)*L + x
		nbr[3] = ((y+L-1)%L)*L + x
		for _, j := range nbr {
			if s[j] == s0 && rng.Uint64() < c.thr {
				s[j] = -s0
				stack = append(stack, int32(j))
				size++
			}
		}
	}
	c.stack = stack
	c.nClusters++
	c.nSites += size
	return nil
}

// Observe appends e, m, absm, m2 and the mean cluster size (in sites) of
// the clusters flipped since the last call.
func (c *Wolff) Observe(dst []float64) []float64 {
	dst = c.Lat.observe(dst, c.P)
	mean := math.NaN()
	if c.nClusters > 0 {
		mean = float64(c.nSites) / float64(c.nClusters)
	}
	c.nClusters, c.nSites = 0, 0
	return append(dst, mean)
}

// MarshalBinary encodes spins, RNG state and the interval's cluster counts.
func (c *Wolff) MarshalBinary() ([]byte, error) {
	var extra [16]byte
	binary.LittleEndian.PutUint64(extra[:], uint64(c.nClusters))
	binary.LittleEndian.PutUint64(extra[8:], uint64(c.nSites))
	return marshalCommon('W', &c.Lat, c.rng, extra[:])
}

// UnmarshalBinary restores a state written by MarshalBinary for the same L.
func (c *Wolff) UnmarshalBinary(b []byte) error {
	extra, err := unmarshalCommon('W', &c.Lat, c.rng, b)
	if err != nil {
		return err
	}
	if len(extra) != 16 {
		return errState
	}
	c.nClusters = int64(binary.LittleEndian.Uint64(extra))
	c.nSites = int64(binary.LittleEndian.Uint64(extra[8:]))
	return nil
}

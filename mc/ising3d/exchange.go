package ising3d

import "github.com/mcflow/mcflow/mc"

// Energy returns E = −J Σ⟨ij⟩ s_i s_j − h Σ s_i.
func (lat *Lattice) Energy(p Params) float64 {
	bonds, mag := lat.Sums()
	return -p.J*float64(bonds) - p.H*float64(mag)
}

// LogProb returns −βE of the configuration of `of`, a *Metropolis of
// the same L (mc.Exchanger).
func (c *Metropolis) LogProb(of mc.Chain) float64 {
	return -c.P.Beta * of.(*Metropolis).Lat.Energy(c.P)
}

// Exchange swaps the spins with other, a *Metropolis of the same L
// (mc.Exchanger: replica exchange).
func (c *Metropolis) Exchange(other mc.Chain) {
	o := other.(*Metropolis)
	c.Lat.Spin, o.Lat.Spin = o.Lat.Spin, c.Lat.Spin
}

// LogProb returns −βE of the configuration of `of`, a *Wolff of the same
// L (mc.Exchanger).
func (c *Wolff) LogProb(of mc.Chain) float64 { return -c.P.Beta * of.(*Wolff).Lat.Energy(c.P) }

// Exchange swaps the spins with other, a *Wolff of the same L
// (mc.Exchanger: replica exchange).
func (c *Wolff) Exchange(other mc.Chain) {
	o := other.(*Wolff)
	c.Lat.Spin, o.Lat.Spin = o.Lat.Spin, c.Lat.Spin
}

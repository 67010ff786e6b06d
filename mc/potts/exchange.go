package potts

import "github.com/mcflow/mcflow/mc"

// Energy returns E = −J Σ⟨ij⟩ δ(s_i, s_j) − h Σ δ(s_i, 0).
func (lat *Lattice) Energy(p Params) float64 {
	bonds, count := lat.Sums()
	return -p.J*float64(bonds) - p.H*float64(count[0])
}

// The chains are mc.Exchangers: LogProb(of) is −βE of the configuration
// of `of` (a chain of the same type and L), Exchange swaps the states.

func (c *Metropolis) LogProb(of mc.Chain) float64 {
	return -c.P.Beta * of.(*Metropolis).Lat.Energy(c.P)
}
func (c *Metropolis) Exchange(other mc.Chain) {
	o := other.(*Metropolis)
	c.Lat.S, o.Lat.S = o.Lat.S, c.Lat.S
}

func (c *Wolff) LogProb(of mc.Chain) float64 { return -c.P.Beta * of.(*Wolff).Lat.Energy(c.P) }
func (c *Wolff) Exchange(other mc.Chain) {
	o := other.(*Wolff)
	c.Lat.S, o.Lat.S = o.Lat.S, c.Lat.S
}

func (c *SwendsenWang) LogProb(of mc.Chain) float64 {
	return -c.P.Beta * of.(*SwendsenWang).Lat.Energy(c.P)
}
func (c *SwendsenWang) Exchange(other mc.Chain) {
	o := other.(*SwendsenWang)
	c.Lat.S, o.Lat.S = o.Lat.S, c.Lat.S
}

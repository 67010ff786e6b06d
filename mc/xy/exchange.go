package xy

import "github.com/mcflow/mcflow/mc"

// Energy returns E = −J Σ⟨ij⟩ cos(θ_i − θ_j).
func (lat *Lattice) Energy(p Params) float64 {
	L := lat.L
	var s float64
	for i := range lat.Theta {
		x, y := i%L, i/L
		for _, j := range [2]int{i - x + (x+1)%L, ((y+1)%L)*L + x} {
			s += lat.cos[i]*lat.cos[j] + lat.sin[i]*lat.sin[j]
		}
	}
	return -p.J * s
}

// swap exchanges two lattices' angles.
func (lat *Lattice) swap(o *Lattice) {
	lat.Theta, o.Theta = o.Theta, lat.Theta
	lat.cos, o.cos = o.cos, lat.cos
	lat.sin, o.sin = o.sin, lat.sin
}

// The chains are mc.Exchangers: LogProb(of) is −βE of the configuration
// of `of` (a chain of the same type and L), Exchange swaps the angles.

func (c *Metropolis) LogProb(of mc.Chain) float64 {
	return -c.P.Beta * of.(*Metropolis).Lat.Energy(c.P)
}
func (c *Metropolis) Exchange(other mc.Chain) { c.Lat.swap(&other.(*Metropolis).Lat) }

func (c *Wolff) LogProb(of mc.Chain) float64 { return -c.P.Beta * of.(*Wolff).Lat.Energy(c.P) }
func (c *Wolff) Exchange(other mc.Chain)     { c.Lat.swap(&other.(*Wolff).Lat) }
